import type { Renderer } from './types.js';
import { targetReference, targetsOf } from './target.js';
import { yamlFile } from './text.js';

/**
 * Atmosphere's image manifest: `atmosphere_images:` mapping each key to a reference, the
 * destination (pinned `registry/prefix/repo:tag@digest`) when the image has one, else the source.
 */
export const renderAtmosphere: Renderer = (lock, options) => {
  const { targets, warnings } = targetsOf(lock, options.unpinned);
  const images: Record<string, string> = {};
  for (const t of targets) images[t.key] = targetReference(t);
  return { kind: 'file', content: yamlFile('atmosphere', { atmosphere_images: images }), warnings };
};
