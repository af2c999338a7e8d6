/**
 * What warming a node takes, image by image: the name the pods use, the locked root, and
 * every blob containerd needs to run it on one platform (the root, the platform's manifest,
 * its config and layers), read from the bundle or the store and checked there before
 * anything is sent. Blobs of the index's other platforms are not part of it.
 */
import { AirlockError, ErrorCodes, type ErrorCode } from '../errors.js';
import { sortedKeys } from '../lock/keys.js';
import type { LockedImage, LockFile } from '../lock/types.js';
import type { Descriptor } from '../oci/descriptor.js';
import type { Digest } from '../oci/digest.js';
import { parseImageConfig, parseManifest } from '../oci/manifest.js';
import { formatPlatform, platformMatches, type Platform } from '../oci/platform.js';
import type { LayoutContent } from '../transport/layout/content.js';
import type { Location } from '../transport/types.js';
import { containerdName } from './names.js';
import { selectChild } from './platform.js';

/** Indexes inside indexes are followed this deep at most. */
const MAX_DEPTH = 4;

/** One image to warm. */
export interface WarmImage {
  /** Its lock key. */
  key: string;
  /** Its containerd name. */
  name: string;
  /** The locked root manifest (an index, or a single image). */
  root: Descriptor;
  /** The platform of the image sent (`linux/amd64`), or undefined when its config names none. */
  platform: string | undefined;
  /** Every blob containerd needs, once: layers, config, then manifests up to the root (last). */
  blobs: Descriptor[];
}

/** Where the images are read from. */
export interface WarmContent {
  layout: LayoutContent;
  /** For messages: `bundle images.tar`, `the store /var/cache/airlock/store`. */
  where: string;
  /** The code for a blob the source lacks or holds damaged: BUNDLE_DAMAGED or STORE_DAMAGED. */
  damaged: ErrorCode;
  /** Added to "not in ..." errors: how to fill the source. */
  hint?: string;
}

/** Options of `planWarm`. */
export interface WarmPlanOptions {
  /** Only these lock keys (USAGE for a key the lock does not have). */
  only?: string[];
  /** The node's platform: the one child of an index that is sent. */
  platform: Platform;
  /** `--names REGISTRY/PREFIX`: name the images as `airlock mirror --to` placed them. */
  names?: Location;
}

/** The lock keys to warm: all, or `only` (each must be a key of the lock). */
export function selectKeys(lock: LockFile, only: string[] | undefined): string[] {
  const keys = sortedKeys(lock.images);
  if (!only || only.length === 0) return keys;
  const unknown = only.filter((k) => !(k in lock.images));
  if (unknown.length > 0) {
    throw new AirlockError(
      ErrorCodes.USAGE,
      `--only ${unknown.map((k) => `"${k}"`).join(', ')}: not ${unknown.length === 1 ? 'a key' : 'keys'} of the lock (it has ${keys.join(', ') || 'no images'})`,
      { unknown },
    );
  }
  const wanted = new Set(only);
  return keys.filter((k) => wanted.has(k));
}

/** The locked root: the filtered index when the lock keeps some platforms, else the locked manifest. */
async function rootOf(key: string, image: LockedImage, src: WarmContent): Promise<Descriptor> {
  const digest = image.filtered_digest ?? image.digest;
  const held = await src.layout.hasBlob(digest);
  if (held === null) {
    throw new AirlockError(ErrorCodes.IMAGE_NOT_FOUND, `${key}: ${image.source} (${digest}) is not in ${src.where}${src.hint ? ` (${src.hint})` : ''}`, { key, digest });
  }
  return { mediaType: image.mediaType, digest, size: image.filtered_digest ? held : image.size };
}

/** Checks that the source holds `d` whole (by size; the bytes are verified while they stream). */
async function checkHeld(key: string, d: Descriptor, src: WarmContent): Promise<void> {
  const held = await src.layout.hasBlob(d.digest);
  if (held === d.size) return;
  throw new AirlockError(
    src.damaged,
    held === null ? `${key}: blob ${d.digest} is missing from ${src.where}` : `${key}: blob ${d.digest} in ${src.where} has ${held} bytes, its manifest says ${d.size}`,
    { key, digest: d.digest },
  );
}

/**
 * Walks one image from its root to the platform's layers. PLATFORM_NOT_FOUND when an index
 * has no child for the platform, or a single image's config names another platform.
 */
async function walk(key: string, name: string, root: Descriptor, src: WarmContent, platform: Platform): Promise<WarmImage> {
  const manifests: Descriptor[] = [];
  let chosen: string | undefined;
  let d = root;
  for (let depth = 0; ; depth++) {
    if (depth > 0) await checkHeld(key, d, src);
    const bytes = await src.layout.readBytes(d.digest, d.size);
    const m = parseManifest(bytes, d.mediaType);
    manifests.push(d);
    if (m.kind === 'index') {
      if (depth >= MAX_DEPTH) throw new AirlockError(ErrorCodes.MANIFEST_INVALID, `${key}: indexes nested deeper than ${MAX_DEPTH}`, { key });
      d = selectChild(m.manifests, platform, name);
      if (d.platform) chosen = formatPlatform(d.platform);
      continue;
    }
    await checkHeld(key, m.config, src);
    const config = parseImageConfig(await src.layout.readBytes(m.config.digest, m.config.size));
    if (config.os && config.architecture) {
      const own: Platform = { os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) };
      if (depth === 0 && !platformMatches(platform, own)) {
        throw new AirlockError(ErrorCodes.PLATFORM_NOT_FOUND, `${name}: the image is for ${formatPlatform(own)}, the node is ${formatPlatform(platform)}`, {
          image: name,
          platform: formatPlatform(platform),
        });
      }
      chosen ??= formatPlatform(own);
    }
    for (const layer of m.layers) await checkHeld(key, layer, src);
    const blobs = new Map<Digest, Descriptor>();
    for (const b of [...m.layers, m.config, ...manifests.reverse()]) if (!blobs.has(b.digest)) blobs.set(b.digest, { mediaType: b.mediaType, digest: b.digest, size: b.size });
    return { key, name, root, platform: chosen, blobs: [...blobs.values()] };
  }
}

/**
 * Plans the warming of `lock`'s images (or `only` those keys) from `src` for a node of
 * `platform`. Reads only manifests and configs (verified) and checks every blob is held;
 * nothing is sent. IMAGE_NOT_FOUND for an image the source lacks; `src.damaged` for a blob
 * it lacks; USAGE when two images would get one name with different digests.
 */
export async function planWarm(lock: LockFile, src: WarmContent, opts: WarmPlanOptions): Promise<WarmImage[]> {
  const out: WarmImage[] = [];
  const byName = new Map<string, WarmImage>();
  for (const key of selectKeys(lock, opts.only)) {
    const image = lock.images[key]!;
    const root = await rootOf(key, image, src);
    const name = containerdName(image, root.digest, opts.names);
    const other = byName.get(name);
    if (other) {
      if (other.root.digest === root.digest) continue;
      throw new AirlockError(ErrorCodes.USAGE, `${other.key} and ${key} would both be named ${name} in containerd, with different digests`, { keys: [other.key, key], name });
    }
    const planned = await walk(key, name, root, src, opts.platform);
    byName.set(name, planned);
    out.push(planned);
  }
  return out;
}
