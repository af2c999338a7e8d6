/**
 * Python methods that Jinja expressions call on values: `kube_version.split('.')`,
 * `name.startswith('v')`, `versions.keys()`, `d.get('k', x)`. An unknown method is
 * `unsupported`.
 */
import { bind, type CallArgs, type CallContext } from './jinja-call.js';
import { JinjaError } from './jinja-errors.js';
import { pyRsplit, pySplit } from './jinja-strings.js';
import { equal, isDict, need, pyStr, textKey, typeName, type JDict, type JValue } from './jinja-values.js';

const text = (v: JValue): string => pyStr(need(v));
const optSep = (v: JValue | undefined): string | undefined => (v === undefined || need(v) === null ? undefined : text(v));
const maxsplit = (v: JValue | undefined): number => (v === undefined ? -1 : Number(need(v)));

/** Characters `strip` removes: the given ones, or whitespace. */
function stripper(chars: JValue | undefined, side: 'both' | 'left' | 'right') {
  return (s: string): string => {
    if (chars === undefined || need(chars) === null) return side === 'both' ? s.trim() : side === 'left' ? s.trimStart() : s.trimEnd();
    const set = new Set(text(chars));
    let a = 0;
    let b = s.length;
    if (side !== 'right') while (a < b && set.has(s[a]!)) a++;
    if (side !== 'left') while (b > a && set.has(s[b - 1]!)) b--;
    return s.slice(a, b);
  };
}

/** Tuples of the prefixes/suffixes (`startswith(('a', 'b'))`) or one of them. */
function affixes(v: JValue | undefined): string[] {
  const d = need(v ?? '');
  return Array.isArray(d) ? d.map(text) : [text(d)];
}

function stringMethod(s: string, name: string, args: CallArgs, ctx: CallContext): JValue {
  const a = (names: string[]) => bind(`str.${name}`, args, names);
  switch (name) {
    case 'split': {
      const { sep, maxsplit: m } = a(['sep', 'maxsplit']);
      return pySplit(s, optSep(sep), maxsplit(m));
    }
    case 'rsplit': {
      const { sep, maxsplit: m } = a(['sep', 'maxsplit']);
      return pyRsplit(s, optSep(sep), maxsplit(m));
    }
    case 'replace': {
      const { old, new: rep, count } = a(['old', 'new', 'count']);
      const pieces = pySplit(s, text(old ?? ''), count === undefined ? -1 : Number(need(count)));
      ctx.budget.checkLength(s.length + (pieces.length - 1) * text(rep ?? '').length);
      return pieces.join(text(rep ?? ''));
    }
    case 'startswith':
      return affixes(a(['prefix']).prefix).some((p) => s.startsWith(p));
    case 'endswith':
      return affixes(a(['suffix']).suffix).some((p) => s.endsWith(p));
    case 'strip':
      return stripper(a(['chars']).chars, 'both')(s);
    case 'lstrip':
      return stripper(a(['chars']).chars, 'left')(s);
    case 'rstrip':
      return stripper(a(['chars']).chars, 'right')(s);
    case 'lower':
      return s.toLowerCase();
    case 'upper':
      return s.toUpperCase();
    case 'find':
      return s.indexOf(text(a(['sub']).sub ?? ''));
    case 'join': {
      const items = need(a(['iterable']).iterable ?? []);
      if (!Array.isArray(items)) throw new JinjaError('invalid', 'str.join needs a list');
      const parts = items.map(text);
      ctx.budget.checkLength(parts.reduce((n, p) => n + p.length + s.length, 0));
      return parts.join(s);
    }
    default:
      throw new JinjaError('unsupported', `the string method ${name}() is not supported by the built-in evaluator`);
  }
}

function dictMethod(d: JDict, name: string, args: CallArgs): JValue {
  switch (name) {
    case 'keys':
      bind('dict.keys', args, []);
      return [...d.keys()];
    case 'values':
      bind('dict.values', args, []);
      return [...d.values()];
    case 'items':
      bind('dict.items', args, []);
      return [...d].map(([k, v]) => [k, v]);
    case 'get': {
      const { key, default: fallback } = bind('dict.get', args, ['key', 'default']);
      const k = textKey(key ?? null);
      return d.has(k) ? d.get(k)! : (fallback ?? null);
    }
    default:
      throw new JinjaError('unsupported', `the dict method ${name}() is not supported by the built-in evaluator`);
  }
}

/** Calls method `name` of `obj` (a string, dict or list). */
export function callMethod(obj: JValue, name: string, args: CallArgs, ctx: CallContext): JValue {
  const o = need(obj);
  ctx.budget.tick();
  if (typeof o === 'string') return stringMethod(o, name, args, ctx);
  if (isDict(o)) return dictMethod(o, name, args);
  if (Array.isArray(o) && name === 'index') {
    const wanted = bind('list.index', args, ['value']).value ?? null;
    const i = o.findIndex((x) => equal(x, wanted));
    if (i < 0) throw new JinjaError('invalid', 'list.index: the value is not in the list');
    return i;
  }
  throw new JinjaError('unsupported', `${typeName(o)} has no method ${name}() the built-in evaluator supports`);
}

/** True when `name` is a method of dicts (so `d.keys` is the method, not a key named `keys`, as in Jinja). */
export function isDictMethod(name: string): boolean {
  return name === 'keys' || name === 'values' || name === 'items' || name === 'get';
}
