import { isDigest, type Digest } from '../../oci/digest.js';
import { repositoryName, type ImageReference } from '../../ref/reference.js';
import type { Location } from '../types.js';

/** An image name in a layout split the way a registry reference is: repository, tag, digest. */
export interface LayoutName {
  /** The part before the tag (`quay.io/ceph/ceph`), or '' for a bare tag (`v1`). */
  repository: string;
  tag?: string;
  digest?: Digest;
}

/**
 * Splits a layout image name (the `ref.name` annotation): `quay.io/ceph/ceph:v18` into
 * repository and tag, a bare `v1` into '' and `v1`, `repo@sha256:...` into repository and
 * digest. `joinName` gives the name back exactly.
 */
export function splitName(name: string): LayoutName {
  const at = name.indexOf('@');
  const tail = at >= 0 ? name.slice(at + 1) : '';
  const digest = at >= 0 && isDigest(tail) ? tail : undefined;
  const rest = digest ? name.slice(0, at) : name;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) return { repository: rest.slice(0, colon), tag: rest.slice(colon + 1), ...(digest ? { digest } : {}) };
  if (digest) return { repository: rest, digest };
  return { repository: '', tag: rest };
}

/**
 * The name an image goes by in a layout: `repository:tag`, the bare tag when there is no
 * repository, `repository@digest` for an untagged image; undefined when there is nothing
 * to name it by (an unnamed entry).
 */
export function joinName(n: LayoutName): string | undefined {
  if (n.tag !== undefined) return n.repository ? `${n.repository}:${n.tag}` : n.tag;
  if (n.digest !== undefined && n.repository) return `${n.repository}@${n.digest}`;
  return undefined;
}

/**
 * Where an image goes in a namespace that names images by their full reference (a layout,
 * the store, an archive): the namespace's scheme and root, the reference's repository with
 * its registry, its tag and digest.
 */
export function placeByFullName(ns: Location, ref: ImageReference): Location {
  return {
    scheme: ns.scheme,
    root: ns.root,
    repository: repositoryName(ref),
    ...(ref.tag !== undefined ? { tag: ref.tag } : {}),
    ...(ref.digest !== undefined ? { digest: ref.digest } : {}),
  };
}
