/**
 * Python regular expressions (as `regex_replace`, `regex_search` and the `match`/`search`
 * tests take them) in JavaScript: the syntax that differs is translated, and a replacement's
 * group references (`\1`, `\g<1>`, `\g<name>`) are applied by hand, so JavaScript's own `$`
 * rules never apply.
 */
import { JinjaError } from './jinja-errors.js';

/** Flags Python spells inline (`(?i)`) that JavaScript takes as flags. */
const INLINE_FLAGS: Record<string, string> = { i: 'i', m: 'm', s: 's' };

/** Most characters a subject may have: enough for any version or reference, small enough that a bad pattern cannot stall the import for long. */
export const MAX_REGEX_SUBJECT = 64 * 1024;

/** A JavaScript RegExp for a Python pattern; a pattern either side rejects is `invalid`. */
export function pythonRegExp(pattern: string, flags: { ignorecase?: boolean; multiline?: boolean; global?: boolean } = {}): RegExp {
  let source = pattern;
  let extra = '';
  const inline = /^\(\?([a-zA-Z]+)\)/.exec(source);
  if (inline) {
    for (const f of inline[1]!) {
      if (!INLINE_FLAGS[f]) throw new JinjaError('unsupported', `the regular expression flag (?${f}) is not supported`);
      extra += INLINE_FLAGS[f];
    }
    source = source.slice(inline[0].length);
  }
  source = source
    .replace(/\(\?P<([A-Za-z_][A-Za-z0-9_]*)>/g, '(?<$1>')
    .replace(/\(\?P=([A-Za-z_][A-Za-z0-9_]*)\)/g, '\\k<$1>')
    .replace(/\\A/g, '^')
    .replace(/\\Z/g, '$(?![\\s\\S])');
  const all = new Set([...(flags.global ? 'g' : ''), ...(flags.ignorecase ? 'i' : ''), ...(flags.multiline ? 'm' : ''), ...extra]);
  try {
    return new RegExp(source, [...all].join(''));
  } catch (err) {
    throw new JinjaError('invalid', `bad regular expression ${JSON.stringify(pattern)}: ${(err as Error).message}`);
  }
}

type ReplacementPart = string | { group: number | string };

/** Python's `re.sub` replacement template, parsed once. */
export function parseReplacement(template: string): ReplacementPart[] {
  const parts: ReplacementPart[] = [];
  let text = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    if (c !== '\\' || i + 1 >= template.length) {
      text += c;
      continue;
    }
    const next = template[i + 1]!;
    const digits = /^\d{1,2}/.exec(template.slice(i + 1, i + 3));
    const named = /^g<([^>]*)>/.exec(template.slice(i + 1));
    let group: number | string | undefined;
    if (digits) {
      group = Number(digits[0]);
      i += digits[0].length;
    } else if (named) {
      group = /^\d+$/.test(named[1]!) ? Number(named[1]) : named[1]!;
      i += named[0].length;
    } else {
      const escapes: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', f: '\f', v: '\v', a: '\x07', b: '\b' };
      if (escapes[next] !== undefined) text += escapes[next];
      else if (/[A-Za-z]/.test(next)) throw new JinjaError('invalid', `bad escape \\${next} in the replacement ${JSON.stringify(template)}`);
      else text += `\\${next}`;
      i++;
      continue;
    }
    if (text) parts.push(text);
    text = '';
    parts.push({ group });
  }
  if (text) parts.push(text);
  return parts;
}

/** `subject` with every match of `re` replaced by the Python template `replacement` (at most `count` when > 0). */
export function pythonSub(re: RegExp, replacement: string, subject: string, count = 0): string {
  if (subject.length > MAX_REGEX_SUBJECT) throw new JinjaError('limit', `a regular expression's subject is longer than ${MAX_REGEX_SUBJECT} characters`);
  const parts = parseReplacement(replacement);
  let done = 0;
  return subject.replace(re, (...m: unknown[]) => {
    const hasNamed = typeof m.at(-1) === 'object' && m.at(-1) !== null;
    const groups = m.slice(0, hasNamed ? -3 : -2) as (string | undefined)[];
    const named = (hasNamed ? m.at(-1) : {}) as Record<string, string | undefined>;
    if (count > 0 && done >= count) return groups[0]!;
    done++;
    return parts
      .map((p) => {
        if (typeof p === 'string') return p;
        if (typeof p.group === 'number') {
          if (p.group >= groups.length) throw new JinjaError('invalid', `the replacement refers to group ${p.group}, which the pattern does not have`);
          return groups[p.group] ?? '';
        }
        if (!Object.hasOwn(named, p.group)) throw new JinjaError('invalid', `the replacement refers to group ${p.group}, which the pattern does not have`);
        return named[p.group] ?? '';
      })
      .join('');
  });
}
