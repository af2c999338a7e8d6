/**
 * What a container status's `imageID` says the container runs. Runtimes write it in several
 * forms: `repo@sha256:<hex>` (containerd, CRI-O: the digest the image was pulled by),
 * `docker-pullable://repo@sha256:<hex>` (dockershim), and `sha256:<hex>` or
 * `docker://sha256:<hex>`, which are the image's ID (its config's digest), not a manifest
 * digest, so they cannot be compared with a lock.
 */
import { isDigest, type Digest } from '../oci/digest.js';

/** A parsed imageID: the manifest digest the image was pulled by, or only an image ID. */
export type RunningImage = { kind: 'manifest'; digest: Digest; repository?: string } | { kind: 'image-id'; id: string } | { kind: 'unknown'; text: string };

/** Parses an imageID in any of the forms runtimes write. */
export function parseImageID(text: string): RunningImage {
  const bare = text.replace(/^[a-z-]+:\/\//, '');
  const at = bare.lastIndexOf('@');
  if (at > 0) {
    const digest = bare.slice(at + 1);
    if (isDigest(digest)) return { kind: 'manifest', digest, repository: bare.slice(0, at) };
  }
  if (isDigest(bare)) return { kind: 'image-id', id: bare };
  return { kind: 'unknown', text };
}
