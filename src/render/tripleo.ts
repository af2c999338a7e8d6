import type { Renderer } from './types.js';
import { targetReference, targetsOf } from './target.js';
import { yamlFile } from './text.js';
import { heatParameters, parameterOwners } from './tripleo-params.js';

/**
 * A TripleO Heat environment: `parameter_defaults:` valued with each image's pinned
 * reference (destination when present), as `ContainerImagePrepare` would write it. An image
 * imported from TripleO's image list sets every Heat parameter it carries, under its real
 * name (`ContainerHAProxyImage`, `ContainerHAProxyConfigImage`, `PrometheusContainerImage`);
 * any other image sets `Container<CamelKey>Image` (`nova_api` -> `ContainerNovaApiImage`).
 * Parameters are written in key order, each image's in its own order. Two images setting
 * one parameter is RENDER_UNSUPPORTED, unless both come from one image list (see
 * parameterOwners).
 */
export const renderTripleo: Renderer = (lock, options) => {
  const { targets, warnings } = targetsOf(lock, options.unpinned);
  const { owner, warnings: clashes } = parameterOwners(
    lock,
    targets.map((t) => t.key),
  );
  const params: Record<string, string> = {};
  for (const t of targets) {
    for (const name of heatParameters(t.key, lock.images[t.key]?.origin.imported)) {
      if (owner.get(name) === t.key) params[name] = targetReference(t);
    }
  }
  return { kind: 'file', content: yamlFile('tripleo', { parameter_defaults: params }), warnings: [...warnings, ...clashes] };
};
