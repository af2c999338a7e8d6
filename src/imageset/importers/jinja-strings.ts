/** Python's string and sequence operations that Jinja expressions reach: `split`, slicing, `%` formatting. */
import { JinjaError } from './jinja-errors.js';
import { need, pyRepr, pyStr, type JValue } from './jinja-values.js';

/**
 * Python's `str.split(sep, maxsplit)`: without `sep`, runs of whitespace separate and
 * empty pieces are dropped; an empty `sep` is an error, as in Python.
 */
export function pySplit(s: string, sep: string | undefined, maxsplit = -1): string[] {
  if (sep === undefined) {
    const out: string[] = [];
    let rest = s.trimStart();
    while (rest !== '') {
      if (maxsplit >= 0 && out.length === maxsplit) {
        out.push(rest);
        break;
      }
      const m = /\s+/.exec(rest);
      if (!m) {
        out.push(rest);
        break;
      }
      out.push(rest.slice(0, m.index));
      rest = rest.slice(m.index + m[0].length);
    }
    return out;
  }
  if (sep === '') throw new JinjaError('invalid', 'split with an empty separator');
  const parts = s.split(sep);
  if (maxsplit < 0 || parts.length <= maxsplit + 1) return parts;
  return [...parts.slice(0, maxsplit), parts.slice(maxsplit).join(sep)];
}

/** Python's `str.rsplit(sep, maxsplit)`. */
export function pyRsplit(s: string, sep: string | undefined, maxsplit = -1): string[] {
  if (maxsplit < 0) return pySplit(s, sep);
  const reversed = (x: string) => [...x].reverse().join('');
  return pySplit(reversed(s), sep === undefined ? undefined : reversed(sep), maxsplit)
    .map(reversed)
    .reverse();
}

/** Python's `seq[start:stop:step]` on a list or text. */
export function pySlice<T>(items: T[], start: number | null, stop: number | null, step: number | null): T[] {
  const n = items.length;
  const st = step ?? 1;
  if (st === 0) throw new JinjaError('invalid', 'slice step cannot be zero');
  const clamp = (i: number, lo: number, hi: number) => Math.min(Math.max(i, lo), hi);
  const norm = (i: number | null, dflt: number, lo: number, hi: number) => (i === null ? dflt : clamp(i < 0 ? i + n : i, lo, hi));
  const out: T[] = [];
  if (st > 0) {
    const a = norm(start, 0, 0, n);
    const b = norm(stop, n, 0, n);
    for (let i = a; i < b; i += st) out.push(items[i]!);
  } else {
    const a = norm(start, n - 1, -1, n - 1);
    const b = norm(stop, -1, -1, n - 1);
    for (let i = a; i > b; i += st) out.push(items[i]!);
  }
  return out;
}

/** Python's `format % args` for `%s`, `%r`, `%d`/`%i` and `%%` (what templates use); anything else is `unsupported`. */
export function pyPercentFormat(format: string, args: JValue[]): string {
  let next = 0;
  const take = (): JValue => {
    if (next >= args.length) throw new JinjaError('invalid', 'not enough arguments for format string');
    return args[next++]!;
  };
  const out = format.replace(/%([%srdi])/g, (_m, c: string) => {
    if (c === '%') return '%';
    const v = need(take());
    if (c === 's') return pyStr(v);
    if (c === 'r') return pyRepr(v);
    if (typeof v !== 'number' && typeof v !== 'boolean') throw new JinjaError('invalid', `%${c} needs a number`);
    return String(Math.trunc(Number(v)));
  });
  if (/%[^%srdi]/.test(format.replace(/%%/g, ''))) throw new JinjaError('unsupported', `the format ${JSON.stringify(format)} uses a conversion other than %s, %r, %d`);
  if (next < args.length) throw new JinjaError('invalid', 'not all arguments converted during string formatting');
  return out;
}
