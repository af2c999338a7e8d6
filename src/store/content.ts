/**
 * What one stored image is made of: every digest its root reaches (manifests, configs,
 * layers) with its size, the platforms it holds, and what the store lacks of it.
 */
import { AirlockError } from '../errors.js';
import type { Descriptor } from '../oci/descriptor.js';
import type { Digest } from '../oci/digest.js';
import { childDescriptors, parseImageConfig, parseManifest } from '../oci/manifest.js';
import { isIndexMediaType, isManifestMediaType } from '../oci/mediatypes.js';
import { formatPlatform } from '../oci/platform.js';
import { entryName } from '../transport/layout/index-file.js';
import type { LayoutContent } from '../transport/layout/content.js';

/** An image's content as the store holds it. */
export interface ImageContent {
  /** Every digest reachable from the root, the root included, with its size. */
  blobs: Map<Digest, number>;
  /** Which of those are manifests (indexes and image manifests). */
  manifests: Set<Digest>;
  /** Manifests or blobs the image names that the store does not hold (or holds damaged). */
  missing: Digest[];
  /** `os/arch[/variant]` of each image in it (one for a plain image). */
  platforms: string[];
}

/** Reads a stored manifest; undefined when it is missing or damaged (the caller reports it). */
async function readManifest(layout: LayoutContent, d: Descriptor): Promise<Uint8Array | undefined> {
  try {
    return await layout.readBytes(d.digest, d.size);
  } catch (err) {
    if (err instanceof AirlockError) return undefined;
    throw err;
  }
}

/**
 * Walks the image under `root` through the store: index to manifests, manifest to config and
 * layers. Blobs are only checked for presence and size (not re-hashed: that is verifyStore's
 * job); manifests are read and verified, as they must be to be walked.
 */
export async function imageContent(layout: LayoutContent, root: Descriptor): Promise<ImageContent> {
  const out: ImageContent = { blobs: new Map(), manifests: new Set(), missing: [], platforms: [] };
  const stack: { d: Descriptor; top: boolean }[] = [{ d: root, top: true }];
  while (stack.length > 0) {
    const { d, top } = stack.pop()!;
    if (out.blobs.has(d.digest)) continue;
    out.blobs.set(d.digest, d.size);
    if (!isManifestMediaType(d.mediaType)) {
      if ((await layout.hasBlob(d.digest)) !== d.size) out.missing.push(d.digest);
      continue;
    }
    out.manifests.add(d.digest);
    const bytes = await readManifest(layout, d);
    if (!bytes) {
      out.missing.push(d.digest);
      continue;
    }
    const m = parseManifest(bytes, d.mediaType);
    if (isIndexMediaType(d.mediaType) && top) {
      for (const child of m.kind === 'index' ? m.manifests : []) if (child.platform) out.platforms.push(formatPlatform(child.platform));
    } else if (m.kind === 'image' && top) {
      const config = await readManifest(layout, m.config);
      const c = config ? parseImageConfig(config) : undefined;
      if (c?.os && c.architecture) out.platforms.push(formatPlatform({ os: c.os, architecture: c.architecture, ...(c.variant ? { variant: c.variant } : {}) }));
    }
    for (const child of childDescriptors(m)) stack.push({ d: child, top: false });
  }
  return out;
}

/** The index entries that have no name: their content is kept, though no image lists them. */
export async function unnamedRoots(layout: LayoutContent): Promise<Descriptor[]> {
  return (await layout.readIndex()).manifests.filter((m) => entryName(m) === undefined);
}

/** Every digest the roots reach (what the store must keep for them). */
export async function reachable(layout: LayoutContent, roots: Descriptor[]): Promise<Set<Digest>> {
  const out = new Set<Digest>();
  for (const root of roots) for (const d of (await imageContent(layout, root)).blobs.keys()) out.add(d);
  return out;
}
