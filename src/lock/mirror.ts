import { AirlockError, ErrorCodes } from '../errors.js';
import type { MirrorPair } from '../mirror/plan.js';
import { parsePlatform } from '../oci/platform.js';
import { parseReference, type ImageReference } from '../ref/reference.js';
import { parseLocation, pinLocation, placeImage } from '../transport/location.js';
import { dockerLocation } from '../transport/registry/transport.js';
import type { Location } from '../transport/types.js';
import { operationsOf } from '../modify/steps.js';
import { fromLocked } from '../referrers/kinds.js';
import { sortedKeys } from './keys.js';
import type { LockedImage, LockFile } from './types.js';

/** Options of `planLockMirror`. */
export interface LockMirrorOptions {
  /** Where to copy (a namespace); overrides every image's `destination`. Needed for images without one. */
  to?: Location;
  /** Copy only the image with this key. */
  only?: string;
  /** Read from this namespace (`oci:DIR`, `store:`) instead of the source registries. */
  from?: Location;
  /** The directory modification inputs are relative to (the lock's, which sits beside its image set). */
  dir?: string;
}

/**
 * One copy per lock image (key order): the source pinned by the locked digest, the
 * destination from the lock (or placed under `to`), and the image's `keep_platforms`. A
 * destination that already names the locked result is up to date after one request. Throws USAGE when `only` names no
 * image, or when images without a destination are given no `to`.
 */
export function planLockMirror(lock: LockFile, opts: LockMirrorOptions = {}): MirrorPair[] {
  let keys = sortedKeys(lock.images);
  if (opts.only !== undefined) {
    if (!(opts.only in lock.images)) {
      throw new AirlockError(ErrorCodes.USAGE, `--only "${opts.only}" is not a key of the lock (it has ${keys.join(', ') || 'no images'})`);
    }
    keys = [opts.only];
  }
  const homeless = keys.filter((k) => !opts.to && !lock.images[k]!.destination);
  if (homeless.length > 0) {
    throw new AirlockError(ErrorCodes.USAGE, `no destination for ${homeless.join(', ')}: give --to or set push_destination in the image set`, {
      keys: homeless,
    });
  }
  return keys.map((key) => pairOf(key, lock.images[key]!, opts));
}

function pairOf(key: string, image: LockedImage, opts: LockMirrorOptions): MirrorPair {
  const pinned: ImageReference = { ...parseReference(image.source), digest: image.digest };
  // The name an image goes by where names matter (layouts, the store, destinations): its tag when it has one.
  const named: ImageReference = pinned.tag ? { registry: pinned.registry, repository: pinned.repository, tag: pinned.tag } : pinned;
  const pair: MirrorPair = {
    key,
    // A layout or the store is searched by the locked digest first, so a moved tag cannot swap the image.
    source: opts.from ? pinLocation(placeImage(opts.from, named), image.digest) : dockerLocation(pinned),
    destination: opts.to ? placeImage(opts.to, named) : parseLocation(image.destination!),
    pinned: { source: { mediaType: image.mediaType, digest: image.digest, size: image.size }, result: image.filtered_digest ?? image.digest },
  };
  if (image.keep_platforms && image.keep_platforms.length > 0) pair.platforms = image.keep_platforms.map(parsePlatform);
  if (image.modify) {
    // The modification is made again from its inputs; the lock knows the image it gives.
    pair.modify = operationsOf(image.modify.steps, opts.dir ?? '.');
    pair.pinned = { ...pair.pinned!, result: image.modify.result };
  }
  if (image.referrers) pair.referrers = image.referrers.map(fromLocked);
  return pair;
}
