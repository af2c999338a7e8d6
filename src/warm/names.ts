/**
 * The name an image gets in a node's containerd: the name the cluster's pods use for it, so
 * the kubelet finds it there and never asks a registry.
 */
import { AirlockError, ErrorCodes } from '../errors.js';
import type { LockedImage } from '../lock/types.js';
import type { Digest } from '../oci/digest.js';
import { formatReference, parseReference, type ImageReference } from '../ref/reference.js';
import { parseNamespace, placeImage } from '../transport/location.js';
import type { Location } from '../transport/types.js';

/**
 * `--names REGISTRY/PREFIX` as a namespace: a registry (with an optional path prefix), as
 * `airlock mirror --to` takes it. USAGE for `store:`, `oci:` and the like: containerd names
 * images by registry reference.
 */
export function parseNames(text: string): Location {
  const ns = parseNamespace(text);
  if (ns.scheme !== 'docker') {
    throw new AirlockError(ErrorCodes.USAGE, `--names takes REGISTRY[/PREFIX] (where airlock mirror --to put the images), got "${text}"`, { names: text });
  }
  return ns;
}

/** `ref` named by its tag, or by `digest` (the locked root) when it has none. */
function byTagOrDigest(ref: ImageReference, digest: Digest): ImageReference {
  return ref.tag ? { registry: ref.registry, repository: ref.repository, tag: ref.tag } : { registry: ref.registry, repository: ref.repository, digest };
}

/**
 * The containerd name of a locked image:
 * - with `names` (a registry namespace), where `airlock mirror --to NAMES` puts it
 *   (`quay.io/ceph/ceph:v18` under `reg:5000/mirror` is `reg:5000/mirror/ceph/ceph:v18`);
 * - else its lock `destination`, when it has one;
 * - else its source reference without the digest (`quay.io/ceph/ceph:v18`).
 * An image without a tag is named by `digest`, its locked root (`quay.io/ceph/ceph@sha256:...`).
 */
export function containerdName(image: LockedImage, digest: Digest, names?: Location): string {
  const source = byTagOrDigest(parseReference(image.source), digest);
  if (names) {
    const placed = placeImage(names, source);
    return formatReference({ registry: placed.root, repository: placed.repository, ...(placed.tag ? { tag: placed.tag } : { digest }) });
  }
  if (image.destination) return formatReference(byTagOrDigest(parseReference(image.destination), digest));
  return formatReference(source);
}
