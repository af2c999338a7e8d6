import { AirlockError, ErrorCodes } from '../errors.js';
import { solveExpression } from './expression.js';
import type { Renderer } from './types.js';
import { targetReference, targetsOf, type Target } from './target.js';
import { yamlFile } from './text.js';

const PREFIX = 'atmosphere_image_prefix';

/**
 * Atmosphere's image overrides: `atmosphere_image_overrides:` mapping each image to its
 * reference, the destination (pinned `registry/prefix/repo:tag@digest`) when the image has
 * one, else the source. Atmosphere builds `atmosphere_images` in its role vars as
 * `_atmosphere_images | combine(atmosphere_image_overrides)`, and role vars win over the
 * inventory, so the overrides (a role default) are what an inventory can set. An image
 * imported from Atmosphere's files goes by its own name there. With `--unpinned`, when
 * every image is its Atmosphere reference under one new prefix, that prefix alone is
 * written (`atmosphere_image_prefix`), as that is all the registry move needs.
 */
export const renderAtmosphere: Renderer = (lock, options) => {
  const { targets, warnings } = targetsOf(lock, options.unpinned);
  const nameOf = (t: Target) => {
    const imported = lock.images[t.key]!.origin.imported;
    return imported?.tool === 'atmosphere' && imported.name ? imported.name : t.key;
  };
  if (options.unpinned) {
    const prefix = commonPrefix(lock, targets);
    if (prefix !== undefined) return { kind: 'file', content: yamlFile('atmosphere', { [PREFIX]: prefix }), warnings };
  }
  const overrides: Record<string, string> = {};
  const seen = new Map<string, string>();
  for (const t of targets) {
    const name = nameOf(t);
    const other = seen.get(name);
    if (other !== undefined) {
      throw new AirlockError(ErrorCodes.RENDER_UNSUPPORTED, `atmosphere: images "${other}" and "${t.key}" are both Atmosphere's "${name}"`, {
        keys: [other, t.key],
      });
    }
    seen.set(name, t.key);
    overrides[name] = targetReference(t);
  }
  const sorted = Object.fromEntries(Object.keys(overrides).sort().map((k) => [k, overrides[k]]));
  return { kind: 'file', content: yamlFile('atmosphere', { atmosphere_image_overrides: sorted }), warnings };
};

/**
 * The one `atmosphere_image_prefix` that makes every image's Atmosphere expression give its
 * target reference, or undefined when there is none (an image not from Atmosphere, an
 * expression that does not use the prefix alone, targets that need different prefixes).
 */
function commonPrefix(lock: Parameters<Renderer>[0], targets: Target[]): string | undefined {
  let prefix: string | undefined;
  for (const t of targets) {
    const imported = lock.images[t.key]!.origin.imported;
    if (imported?.tool !== 'atmosphere' || !imported.expression) return undefined;
    const solved = solveExpression(imported.expression, targetReference(t));
    if (!solved || Object.keys(solved).some((k) => k !== PREFIX) || solved[PREFIX] === undefined) return undefined;
    if (prefix !== undefined && prefix !== solved[PREFIX]) return undefined;
    prefix = solved[PREFIX];
  }
  return prefix;
}
