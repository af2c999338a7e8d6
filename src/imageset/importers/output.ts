import { Document } from 'yaml';
import type { ImageSet } from '../types.js';

const OPTIONS = { lineWidth: 0 } as const;

/** One top-level `key: value` of the file as YAML text. */
function section(key: string, value: unknown): string {
  return new Document({ [key]: value }, { version: '1.2' }).toString(OPTIONS);
}

// Text the YAML writer always leaves plain: a key of letters, digits and _ that does not read
// as a number or keyword, a reference of the characters references use, and names and paths.
const PLAIN_KEY = /^[a-z_][a-z0-9_]*$/;
const KEYWORDS = new Set(['true', 'false', 'null', 'y', 'n', 'yes', 'no', 'on', 'off']);
const PLAIN_REF = /^[a-z0-9][a-z0-9._/:@-]*$/;
const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9._/-]*$/;
// Text the writer always double-quotes as JSON would: it starts with `{` (a template), and has
// only printable ASCII without `"` or `\` (nothing to escape).
const QUOTED_TEMPLATE = /^\{[\x20-\x21\x23-\x5b\x5d-\x7e]*$/;

/** A scalar value as the YAML writer writes it in a block map, when that is certain; undefined otherwise. */
function scalarYaml(v: unknown): string | undefined {
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0 ? String(v) : undefined;
  if (typeof v !== 'string') return undefined;
  if (PLAIN_REF.test(v) && !v.endsWith(':') && /[a-z]/.test(v) && !/^[0-9]/.test(v)) return v;
  if (PLAIN_NAME.test(v) && !KEYWORDS.has(v.toLowerCase())) return v;
  if (QUOTED_TEMPLATE.test(v) && !v.endsWith(' ')) return JSON.stringify(v);
  return undefined;
}

/** `  name: value` lines of a flat map at `indent`, lists of scalars as `- item`; undefined when anything is not certain. */
function flatMapYaml(map: Record<string, unknown>, indent: string): string | undefined {
  let out = '';
  for (const [k, v] of Object.entries(map)) {
    if (v === undefined) continue;
    if (!PLAIN_KEY.test(k) || KEYWORDS.has(k)) return undefined;
    if (Array.isArray(v)) {
      if (v.length === 0) return undefined;
      out += `${indent}${k}:\n`;
      for (const item of v) {
        const text = scalarYaml(item);
        if (text === undefined) return undefined;
        out += `${indent}  - ${text}\n`;
      }
      continue;
    }
    const text = scalarYaml(v);
    if (text === undefined) return undefined;
    out += `${indent}${k}: ${text}\n`;
  }
  return out;
}

/**
 * An entry written directly (ref, enabled_by and imported, the fields imports give) when the
 * writer would write it the same; undefined otherwise, for the writer to do.
 */
function plainEntry(key: string, entry: ImageSet['images'][string]): string | undefined {
  if (!PLAIN_KEY.test(key) || KEYWORDS.has(key)) return undefined;
  if (!PLAIN_REF.test(entry.ref) || entry.ref.endsWith(':')) return undefined;
  let out = `  ${key}:\n    ref: ${entry.ref}\n`;
  for (const [field, value] of Object.entries(entry)) {
    if (field === 'ref' || value === undefined) continue;
    if (field === 'enabled_by') {
      const text = flatMapYaml({ enabled_by: value }, '    ');
      if (text === undefined) return undefined;
      out += text;
    } else if (field === 'imported' && typeof value === 'object' && value !== null && Object.keys(value).length > 0) {
      const text = flatMapYaml(value as Record<string, unknown>, '      ');
      if (text === undefined) return undefined;
      out += `    imported:\n${text}`;
    } else return undefined;
  }
  return out;
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
  // A rule's modify is written as the file takes it: its steps as `- kind: value`, no directory.
  const rules = set.rules.map((r) => {
    if (!r.modify) return r;
    const { tag_suffix, only_with_labels, only_images, steps } = r.modify;
    const modify = {
      ...(tag_suffix !== undefined ? { tag_suffix } : {}),
      ...(only_with_labels !== undefined ? { only_with_labels } : {}),
      ...(only_images !== undefined ? { only_images } : {}),
      steps: steps.map((s) => ({ [s.kind]: s.value })),
    };
    return { ...r, modify };
  });
  return [comment, section('version', set.version), section('parameters', set.parameters), images, section('rules', rules), section('credentials', set.credentials)].join('');
}
