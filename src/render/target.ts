import { AirlockError, ErrorCodes } from '../errors.js';
import { sortedKeys } from '../lock/keys.js';
import type { LockedImage, LockFile } from '../lock/types.js';
import type { Digest } from '../oci/digest.js';
import { parseReference } from '../ref/reference.js';

/** Where a deployment should pull one locked image from: its destination when it has one, else its source. */
export interface Target {
  key: string;
  registry: string;
  repository: string;
  tag?: string;
  /** The digest the pulled reference must resolve to; absent when unpinned or not knowable. */
  digest?: Digest;
}

/** The targets of a lock in key order, plus a warning for each image that could not be pinned. */
export interface Targets {
  targets: Target[];
  warnings: string[];
}

/**
 * Computes every image's pull target in lock key order (code units, the same in every locale).
 * With `unpinned`, digests are dropped except for images without a tag, which have nothing
 * else to be pulled by.
 */
export function targetsOf(lock: LockFile, unpinned = false): Targets {
  const warnings: string[] = [];
  const keys = sortedKeys(lock.images);
  const targets = keys.map((key) => {
    const t = targetOf(key, lock.images[key]!, warnings);
    if (unpinned && t.tag) delete t.digest;
    return t;
  });
  return { targets, warnings };
}

function targetOf(key: string, image: LockedImage, warnings: string[]): Target {
  const source = parseReference(image.source, { defaultTag: false });
  const tag = image.tag ?? source.tag;
  if (!image.destination) return { key, registry: source.registry, repository: source.repository, ...opt(tag, image.digest) };
  const dest = parseReference(image.destination, { defaultTag: false });
  const destTag = dest.tag ?? tag;
  // A modified image is what the destination holds: renderers point at it.
  if (image.modify) return { key, registry: dest.registry, repository: dest.repository, ...opt(destTag, image.modify.result) };
  // Mirroring with keep_platforms writes a filtered index: pin its digest when the lock has it.
  if (image.keep_platforms?.length && image.filtered_digest) {
    return { key, registry: dest.registry, repository: dest.repository, ...opt(destTag, image.filtered_digest) };
  }
  // A single-image manifest is copied as is, whatever keep_platforms says.
  if (image.keep_platforms?.length && image.platforms?.length) {
    if (!destTag) {
      throw new AirlockError(
        ErrorCodes.RENDER_UNSUPPORTED,
        `${key}: ${image.destination} has neither a tag nor a known digest (keep_platforms filters its index)`,
        { key },
      );
    }
    warnings.push(
      `${key}: ${image.destination} keeps only ${image.keep_platforms.join(', ')}; its index digest is not in the lock, so it is referenced by tag`,
    );
    return { key, registry: dest.registry, repository: dest.repository, ...opt(destTag, undefined) };
  }
  return { key, registry: dest.registry, repository: dest.repository, ...opt(destTag, image.digest) };
}

function opt(tag: string | undefined, digest: Digest | undefined): { tag?: string; digest?: Digest } {
  return { ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/** `registry/repository[:tag][@digest]` of a target. */
export function targetReference(t: Target): string {
  return `${t.registry}/${t.repository}${t.tag ? `:${t.tag}` : ''}${t.digest ? `@${t.digest}` : ''}`;
}
