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
 * expression with a filter, targets that need different prefixes). The expression's other
 * variables (`atmosphere_release`, `atmosphere_kubernetes_version`) are Atmosphere's own and
 * are not written: they must come out as they were when the image was imported (its source
 * under an empty prefix), so that only the prefix moves.
 */
function commonPrefix(lock: Parameters<Renderer>[0], targets: Target[]): string | undefined {
  let prefix: string | undefined;
  for (const t of targets) {
    const image = lock.images[t.key]!;
    const imported = image.origin.imported;
    if (imported?.tool !== 'atmosphere' || !imported.expression) return undefined;
    const solved = solveWithDigest(imported.expression, targetReference(t), image.digest);
    const asImported = solveWithDigest(imported.expression.replace(PREFIX_PLACEHOLDER, ''), image.source.replace(/@sha256:[0-9a-f]+$/, ''), image.digest);
    if (!solved || solved[PREFIX] === undefined || !asImported) return undefined;
    if (Object.keys(solved).some((k) => k !== PREFIX && solved[k] !== asImported[k])) return undefined;
    if (prefix !== undefined && prefix !== solved[PREFIX]) return undefined;
    prefix = solved[PREFIX];
  }
  return prefix;
}

/** `atmosphere_image_prefix` as a placeholder, however it is spaced. */
const PREFIX_PLACEHOLDER = /\{\{\s*atmosphere_image_prefix\s*\}\}/g;

/**
 * The values that make `expression` give `reference`, or the reference pinned by `digest`:
 * an expression may carry its digest itself (`keepalived:2.2.8@sha256:...`), which an
 * unpinned target leaves out.
 */
function solveWithDigest(expression: string, reference: string, digest: string): Record<string, string> | null {
  return solveExpression(expression, reference) ?? (reference.includes('@') ? null : solveExpression(expression, `${reference}@${digest}`));
}
