import { AirlockError } from '../../errors.js';
import { formatReference, parseReference, type ImageReference } from '../../ref/reference.js';
import type { ImageSet } from '../types.js';
import { importError } from './source.js';

/**
 * Parses an imported reference; a malformed one is IMPORT_INVALID at `file:line`, with the
 * reference parser's reason.
 */
export function importedReference(text: string, file: string, line: number | undefined, what: string): ImageReference {
  try {
    return parseReference(text);
  } catch (err) {
    const why = err instanceof AirlockError ? err.message : String(err);
    throw importError(file, line, `${what}: ${why}`, { reference: text });
  }
}

/**
 * An image set holding exactly these images (fully qualified references), keys sorted so
 * the same input always gives the same set; no parameters, rules or credentials.
 */
export function imageSetOf(images: Map<string, ImageReference>): ImageSet {
  const sorted = [...images.keys()].sort();
  return {
    version: 1,
    parameters: {},
    images: Object.fromEntries(sorted.map((key) => [key, { ref: formatReference(images.get(key)!) }])),
    rules: [],
    credentials: {},
  };
}
