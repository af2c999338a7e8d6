import type { Renderer } from './types.js';
import { targetReference, targetsOf } from './target.js';

/**
 * One fully qualified reference per line, sorted by key: `registry/repo:tag@digest`
 * (`registry/repo:tag` with `unpinned`), the destination when the image has one. No header,
 * so the output feeds `airlock mirror`, `skopeo` or `xargs` as it is.
 */
export const renderList: Renderer = (lock, options) => {
  const { targets, warnings } = targetsOf(lock, options.unpinned);
  return { kind: 'file', content: targets.map((t) => `${targetReference(t)}\n`).join(''), warnings };
};
