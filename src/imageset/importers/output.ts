import { Document } from 'yaml';
import type { ImageSet } from '../types.js';

/**
 * The image set as `images.yaml` text: fixed top-level order (version, parameters, images,
 * rules, credentials), images in key order, one `ref:` each, no line folding; `header`
 * becomes a leading comment. The same set always gives the same bytes.
 */
export function stringifyImageSet(set: ImageSet, header?: string): string {
  const keys = Object.keys(set.images).sort();
  const doc = new Document(
    {
      version: set.version,
      parameters: set.parameters,
      images: Object.fromEntries(keys.map((k) => [k, set.images[k]])),
      rules: set.rules,
      credentials: set.credentials,
    },
    { version: '1.2' },
  );
  if (header) doc.commentBefore = header.split('\n').map((l) => ` ${l}`).join('\n');
  return doc.toString({ lineWidth: 0 });
}
