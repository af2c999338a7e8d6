import { Document } from 'yaml';
import type { ImageSet } from '../types.js';

const OPTIONS = { lineWidth: 0 } as const;

/** One top-level `key: value` of the file as YAML text. */
function section(key: string, value: unknown): string {
  return new Document({ [key]: value }, { version: '1.2' }).toString(OPTIONS);
}

// Text the YAML writer always leaves plain: a key of letters, digits and _ that does not read
// as a number or keyword, and a reference of the characters references use.
const PLAIN_KEY = /^[a-z_][a-z0-9_]*$/;
const KEYWORDS = new Set(['true', 'false', 'null', 'y', 'n', 'yes', 'no', 'on', 'off']);
const PLAIN_REF = /^[a-z0-9][a-z0-9._/:@-]*$/;

/** A `{ ref }` entry written directly when the writer would write it the same; undefined otherwise. */
function plainEntry(key: string, entry: ImageSet['images'][string]): string | undefined {
  if (Object.keys(entry).length !== 1 || !PLAIN_KEY.test(key) || KEYWORDS.has(key)) return undefined;
  if (!PLAIN_REF.test(entry.ref) || entry.ref.endsWith(':')) return undefined;
  return `  ${key}:\n    ref: ${entry.ref}\n`;
}

/**
 * The image set as `images.yaml` text: fixed top-level order (version, parameters, images,
 * rules, credentials), images in key order, one `ref:` each, no line folding; `header`
 * becomes a leading comment. The same set always gives the same bytes. Images are written
 * one at a time under `images:` (the same bytes as the whole document through the YAML
 * writer, without a syntax tree of 20,000 images at once).
 */
export function stringifyImageSet(set: ImageSet, header?: string): string {
  const keys = Object.keys(set.images).sort();
  // The YAML writer puts a header comment first, then an empty line.
  const comment = header ? `${header.split('\n').map((l) => `# ${l}`.trimEnd()).join('\n')}\n\n` : '';
  const images =
    keys.length === 0
      ? section('images', {})
      : `images:\n${keys.map((k) => plainEntry(k, set.images[k]!) ?? section(k, set.images[k]).replace(/^(?=.)/gm, '  ')).join('')}`;
  return [comment, section('version', set.version), section('parameters', set.parameters), images, section('rules', set.rules), section('credentials', set.credentials)].join('');
}
