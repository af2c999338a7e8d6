import type { Referrer } from '../referrers/kinds.js';
import type { ModifyOperation } from '../modify/operations.js';
import type { Descriptor } from '../oci/descriptor.js';
import type { Digest } from '../oci/digest.js';
import type { Platform } from '../oci/platform.js';
import { placeImage } from '../transport/location.js';
import { dockerLocation } from '../transport/registry/transport.js';
import type { Location } from '../transport/types.js';
import type { ListEntry } from './list.js';

/** One planned copy of a mirror run. */
export interface MirrorPair {
  /** The list line it came from (absent for a single `copy`). */
  entry?: ListEntry;
  /** The lock or image set key it came from. */
  key?: string;
  source: Location;
  destination: Location;
  /** Platforms to keep of this image's index; wins over the run's `platforms`. */
  platforms?: Platform[];
  /** What a lock pins: when the destination already names `result`, the copy is up to date without reading the source. */
  pinned?: PinnedCopy;
  /** Modifications made on the way (airlock modify): the destination gets the modified image. */
  modify?: readonly ModifyOperation[];
  /** The source image's referrers as a lock lists them: exactly these travel (else they are looked for). */
  referrers?: readonly Referrer[];
}

/** A copy whose outcome a lock already knows. */
export interface PinnedCopy {
  /** The locked source manifest. */
  source: Descriptor;
  /** The digest the destination names once copied (the source's, or the filtered index's). */
  result: Digest;
}

/**
 * Pairs every list entry with its source and destination: the image placed in the `target`
 * namespace (under a registry prefix with its path kept, or by full reference in a layout
 * or the store). `from` (a namespace) reads the images from there instead of their registries.
 */
export function planMirror(entries: ListEntry[], target: Location, from?: Location): MirrorPair[] {
  return entries.map((entry) => ({
    entry,
    source: from ? placeImage(from, entry.ref) : dockerLocation(entry.ref),
    destination: placeImage(target, entry.ref),
  }));
}
