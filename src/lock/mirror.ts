import { AirlockError, ErrorCodes } from '../errors.js';
import { destinationRef, type MirrorPair, type MirrorTarget } from '../mirror/plan.js';
import { parsePlatform } from '../oci/platform.js';
import type { Location } from '../ref/location.js';
import { formatReference, parseReference, type ImageReference } from '../ref/reference.js';
import { sortedKeys } from './keys.js';
import type { LockedImage, LockFile } from './types.js';

/** Options of `planLockMirror`. */
export interface LockMirrorOptions {
  /** Where to copy; overrides every image's `destination`. Needed for images without one. */
  to?: MirrorTarget;
  /** Copy only the image with this key. */
  only?: string;
  /** Read from `oci:DIR` or `store:` instead of the source registries. */
  from?: Location;
}

/**
 * One copy per lock image (key order): the source pinned by the locked digest, the
 * destination from the lock (or under `to`), and the image's `keep_platforms`. Throws USAGE
 * when `only` names no image, or when images without a destination are given no `to`.
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
  return keys.map((key) => pairOf(lock.images[key]!, opts));
}

function pairOf(image: LockedImage, opts: LockMirrorOptions): MirrorPair {
  const pinned: ImageReference = { ...parseReference(image.source), digest: image.digest };
  // The name an image goes by where names matter (layouts, the store, destinations): its tag when it has one.
  const named: ImageReference = pinned.tag ? { registry: pinned.registry, repository: pinned.repository, tag: pinned.tag } : pinned;
  const pair: MirrorPair = {
    source: sourceOf(pinned, named, opts.from),
    destination: opts.to ? underTarget(named, opts.to) : { kind: 'docker', ref: parseReference(image.destination!) },
  };
  if (image.keep_platforms && image.keep_platforms.length > 0) pair.platforms = image.keep_platforms.map(parsePlatform);
  return pair;
}

function sourceOf(pinned: ImageReference, named: ImageReference, from: Location | undefined): Location {
  if (!from) return { kind: 'docker', ref: pinned };
  // The store and layouts find an image by its locked digest (the name only helps a layout list it).
  if (from.kind === 'store' && !from.ref) return { kind: 'store', ref: pinned };
  // A layout is searched by the locked digest first, so a moved tag cannot swap the image.
  if (from.kind === 'oci' && !from.name) return { kind: 'oci', dir: from.dir, name: formatReference(named), ...(pinned.digest ? { digest: pinned.digest } : {}) };
  throw new AirlockError(ErrorCodes.LOCATION_INVALID, '--from takes oci:DIR or store: (without an image name)');
}

function underTarget(named: ImageReference, to: MirrorTarget): Location {
  if (to.kind === 'registry') return { kind: 'docker', ref: destinationRef(named, to) };
  if (to.kind === 'store') return { kind: 'store', ref: named };
  return { kind: 'oci', dir: to.dir, name: formatReference(named) };
}
