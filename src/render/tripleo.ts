import { AirlockError, ErrorCodes } from '../errors.js';
import type { Renderer } from './types.js';
import { camelName, uniqueNames } from './names.js';
import { targetReference, targetsOf } from './target.js';
import { yamlFile } from './text.js';

/**
 * A TripleO Heat environment: `parameter_defaults:` with one `Container<CamelName>Image`
 * per key (`nova_api` -> `ContainerNovaApiImage`), valued with the pinned reference
 * (destination when present), as `ContainerImagePrepare` would write it.
 */
export const renderTripleo: Renderer = (lock, options) => {
  const { targets, warnings } = targetsOf(lock, options.unpinned);
  const names = uniqueNames(targets.map((t) => t.key), (k) => `Container${camelName(k)}Image`, 'tripleo');
  const params: Record<string, string> = {};
  for (const t of targets) {
    const name = names.get(t.key)!;
    if (name === 'ContainerImage') {
      throw new AirlockError(ErrorCodes.RENDER_UNSUPPORTED, `tripleo: key "${t.key}" has no letters or digits`, { key: t.key });
    }
    params[name] = targetReference(t);
  }
  return { kind: 'file', content: yamlFile('tripleo', { parameter_defaults: params }), warnings };
};
