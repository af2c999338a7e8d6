import type { Renderer } from './types.js';
import { targetsOf } from './target.js';
import { yamlFile } from './text.js';

/** The values one image gets, in the common chart convention (Bitnami's `image.*` block). */
export interface HelmImageValues {
  /** Registry host[:port]: charts join `registry/repository`. */
  registry: string;
  /** Repository path without the registry (`library/nginx`, `mirror/ceph/ceph`). */
  repository: string;
  /** Empty when the image has no tag. */
  tag: string;
  /** `sha256:<hex>`; empty when unpinned. Charts that support it pull `repository@digest`. */
  digest: string;
}

/**
 * A Helm values fragment keyed by image key, in key order:
 * `<key>: { image: { registry, repository, tag, digest } }`, from the destination when present.
 * Copy each block under the value path your chart uses for that image.
 */
export const renderHelm: Renderer = (lock, options) => {
  const { targets, warnings } = targetsOf(lock, options.unpinned);
  const values: Record<string, { image: HelmImageValues }> = {};
  for (const t of targets) {
    values[t.key] = { image: { registry: t.registry, repository: t.repository, tag: t.tag ?? '', digest: t.digest ?? '' } };
  }
  return { kind: 'file', content: yamlFile('helm', values), warnings };
};
