/**
 * Jinja's and Ansible's filters, the subset Kubespray's variables use, with Ansible's
 * semantics (`bool` of None is None, `split` is Python's `str.split`, `regex_replace` takes
 * Python patterns). An unknown filter is `unsupported`; a wrong argument is `invalid`.
 */
import { bind, restArgs, type CallArgs, type CallContext, type FilterFn } from './jinja-call.js';
import { JinjaError } from './jinja-errors.js';
import { pythonRegExp, pythonSub, MAX_REGEX_SUBJECT } from './jinja-regex.js';
import { compare, equal, isDict, isList, isUndef, need, pyStr, textKey, toJson, truthy, typeName, Undef, type JDict, type JValue } from './jinja-values.js';
import { versionTest } from './jinja-version.js';
import { pyPercentFormat, pySplit } from './jinja-strings.js';

const text = (v: JValue): string => pyStr(need(v));
const flag = (v: JValue | undefined): boolean => v !== undefined && truthy(v);

/** The items of anything iterable, as Python iterates it (a dict gives its keys, text its characters). */
export function iterate(v: JValue): JValue[] {
  const d = need(v);
  if (Array.isArray(d)) return d;
  if (d instanceof Map) return [...d.keys()];
  if (typeof d === 'string') return [...d];
  throw new JinjaError('invalid', `${typeName(d)} is not iterable`);
}

function dictOf(v: JValue, what: string): JDict {
  const d = need(v);
  if (!(d instanceof Map)) throw new JinjaError('invalid', `${what} needs a dictionary, not ${typeName(d)}`);
  return d;
}

/** `obj.a.b` for `attribute='a.b'` (Jinja's dotted attribute lookup); missing parts are undefined. */
export function attributeOf(obj: JValue, path: string): JValue {
  let v = obj;
  for (const part of path.split('.')) {
    if (isUndef(v)) return v;
    if (v instanceof Map) v = v.has(part) ? v.get(part)! : new Undef(`no attribute '${part}'`);
    else if (Array.isArray(v) && /^\d+$/.test(part)) v = v[Number(part)] ?? new Undef(`no item ${part}`);
    else v = new Undef(`${typeName(v)} has no attribute '${part}'`);
  }
  return v;
}

const defaultFilter: FilterFn = (value, args) => {
  const a = bind('default', args, ['default_value', 'boolean']);
  const fallback = a.default_value ?? '';
  if (isUndef(value)) return fallback;
  return flag(a.boolean) && !truthy(value) ? fallback : value;
};

function toInt(value: JValue, fallback: JValue): JValue {
  const d = need(value);
  if (typeof d === 'number') return Math.trunc(d);
  if (typeof d === 'boolean') return d ? 1 : 0;
  if (typeof d === 'string') {
    const s = d.trim().replace(/_/g, '');
    if (/^[+-]?\d+$/.test(s)) return Number(s);
    if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return Math.trunc(Number(s));
  }
  return fallback;
}

function regexReplace(value: JValue, args: CallArgs): JValue {
  const a = bind('regex_replace', args, ['pattern', 'replacement', 'ignorecase', 'multiline', 'count', 'mandatory_count']);
  const re = pythonRegExp(text(a.pattern ?? ''), { ignorecase: flag(a.ignorecase), multiline: flag(a.multiline), global: true });
  const count = a.count === undefined ? 0 : Number(toInt(a.count, 0));
  return pythonSub(re, text(a.replacement ?? ''), text(value), count);
}

function regexSearch(value: JValue, args: CallArgs): JValue {
  const subject = text(value);
  if (subject.length > MAX_REGEX_SUBJECT) throw new JinjaError('limit', `a regular expression's subject is longer than ${MAX_REGEX_SUBJECT} characters`);
  const pattern = args.positional[0];
  if (pattern === undefined) throw new JinjaError('invalid', 'regex_search needs a pattern');
  const groups = args.positional.slice(1).map(text);
  const re = pythonRegExp(text(pattern), { ignorecase: flag(args.keywords.get('ignorecase')), multiline: flag(args.keywords.get('multiline')) });
  const m = re.exec(subject);
  if (!m) return null;
  if (groups.length === 0) return m[0];
  return groups.map((g) => {
    const named = /^\\g<(.+)>$/.exec(g);
    const num = /^\\(\d+)$/.exec(g);
    if (named) return m.groups?.[named[1]!] ?? null;
    if (num) return m[Number(num[1])] ?? null;
    throw new JinjaError('invalid', `regex_search group ${JSON.stringify(g)} is not \\N or \\g<name>`);
  });
}

function select(value: JValue, args: CallArgs, ctx: CallContext, keep: boolean, attribute: boolean): JValue {
  const items = iterate(value);
  const [first, second] = args.positional;
  const pick = (item: JValue): boolean => {
    ctx.budget.tick();
    let subject = item;
    let rest = restArgs(args, 1);
    if (attribute) {
      if (first === undefined) throw new JinjaError('invalid', 'selectattr needs an attribute');
      subject = attributeOf(item, text(first));
      if (second === undefined) return truthy(subject);
      rest = restArgs(args, 2);
      return ctx.test(text(second), subject, rest);
    }
    if (first === undefined) return truthy(subject);
    return ctx.test(text(first), subject, rest);
  };
  return items.filter((item) => pick(item) === keep);
}

function mapFilter(value: JValue, args: CallArgs, ctx: CallContext): JValue {
  const items = iterate(value);
  ctx.budget.checkItems(items.length);
  const attribute = args.keywords.get('attribute');
  if (attribute !== undefined) {
    const fallback = args.keywords.get('default');
    return items.map((item) => {
      const v = attributeOf(item, text(attribute));
      return isUndef(v) && fallback !== undefined ? fallback : v;
    });
  }
  const name = args.positional[0];
  if (name === undefined) throw new JinjaError('invalid', 'map needs a filter name or attribute=');
  return items.map((item) => ctx.filter(text(name), item, restArgs(args, 1)));
}

function combine(value: JValue, args: CallArgs, ctx: CallContext): JValue {
  const recursive = flag(args.keywords.get('recursive'));
  const merge = (a: JDict, b: JDict): JDict => {
    const out = new Map(a);
    for (const [k, v] of b) {
      const old = out.get(k);
      out.set(k, recursive && old instanceof Map && v instanceof Map ? merge(old, v) : v);
    }
    ctx.budget.checkItems(out.size);
    return out;
  };
  const dicts = [value, ...args.positional].flatMap((d) => (isList(need(d)) ? (d as JValue[]) : [d]));
  return dicts.map((d) => dictOf(d, 'combine')).reduce(merge, new Map());
}

function sortFilter(value: JValue, args: CallArgs): JValue {
  const a = bind('sort', args, ['reverse', 'case_sensitive', 'attribute']);
  const key = (v: JValue): JValue => {
    const x = a.attribute === undefined ? v : attributeOf(v, text(a.attribute));
    return typeof x === 'string' && !flag(a.case_sensitive) ? x.toLowerCase() : x;
  };
  const sorted = [...iterate(value)].sort((x, y) => compare(key(x), key(y)));
  return flag(a.reverse) ? sorted.reverse() : sorted;
}

function unique(value: JValue): JValue {
  const out: JValue[] = [];
  for (const item of iterate(value)) if (!out.some((o) => equal(o, item))) out.push(item);
  return out;
}

function extreme(value: JValue, sign: number): JValue {
  const items = iterate(value);
  if (items.length === 0) return new Undef('no items to compare');
  return items.reduce((best, x) => (compare(x, best) * sign > 0 ? x : best));
}

function dict2items(value: JValue, args: CallArgs): JValue {
  const a = bind('dict2items', args, ['key_name', 'value_name']);
  const k = a.key_name === undefined ? 'key' : text(a.key_name);
  const v = a.value_name === undefined ? 'value' : text(a.value_name);
  return [...dictOf(value, 'dict2items')].map(([key, val]) => new Map<string, JValue>([[k, key], [v, val]]));
}

function items2dict(value: JValue, args: CallArgs): JValue {
  const a = bind('items2dict', args, ['key_name', 'value_name']);
  const k = a.key_name === undefined ? 'key' : text(a.key_name);
  const v = a.value_name === undefined ? 'value' : text(a.value_name);
  const out: JDict = new Map();
  for (const item of iterate(value)) {
    const d = dictOf(item, 'items2dict');
    if (!d.has(k) || !d.has(v)) throw new JinjaError('invalid', `items2dict needs items with ${k} and ${v}`);
    out.set(textKey(d.get(k)!), d.get(v)!);
  }
  return out;
}

function firstOrLast(value: JValue, last: boolean): JValue {
  const items = iterate(value);
  if (items.length === 0) return new Undef(`no ${last ? 'last' : 'first'} item of an empty sequence`);
  return last ? items.at(-1)! : items[0]!;
}

function ternary(value: JValue, args: CallArgs): JValue {
  const a = bind('ternary', args, ['true_val', 'false_val', 'none_val']);
  if (need(value) === null && a.none_val !== undefined && need(a.none_val) !== null) return a.none_val;
  return truthy(value) ? (a.true_val ?? null) : (a.false_val ?? null);
}

/** Ansible's `bool`: None and booleans as they are, `yes`/`on`/`1`/`true` true, anything else false. */
function toBool(value: JValue): JValue {
  const d = need(value);
  if (d === null || typeof d === 'boolean') return d;
  const s = typeof d === 'string' ? d.toLowerCase() : d;
  return s === 'yes' || s === 'on' || s === '1' || s === 'true' || s === 1;
}

/** The filters by name. */
export const FILTERS: Record<string, FilterFn> = {
  default: defaultFilter,
  d: defaultFilter,
  mandatory: (v) => {
    if (isUndef(v)) throw v.error();
    return v;
  },
  string: (v) => text(v),
  trim: (v) => text(v).trim(),
  lower: (v) => text(v).toLowerCase(),
  upper: (v) => text(v).toUpperCase(),
  capitalize: (v) => {
    const s = text(v);
    return s.slice(0, 1).toUpperCase() + s.slice(1).toLowerCase();
  },
  bool: toBool,
  int: (v, args) => toInt(v, bind('int', args, ['default', 'base']).default ?? 0),
  float: (v, args) => {
    const d = need(v);
    const n = typeof d === 'number' ? d : typeof d === 'boolean' ? Number(d) : Number(text(d).trim());
    return Number.isNaN(n) ? (bind('float', args, ['default']).default ?? 0) : n;
  },
  abs: (v) => {
    const d = need(v);
    if (typeof d !== 'number') throw new JinjaError('invalid', `abs needs a number, not ${typeName(d)}`);
    return Math.abs(d);
  },
  replace: (v, args, ctx) => {
    const a = bind('replace', args, ['old', 'new', 'count']);
    const s = text(v);
    const old = text(a.old ?? '');
    const rep = text(a.new ?? '');
    const count = a.count === undefined ? -1 : Number(toInt(a.count, -1));
    const pieces = pySplit(s, old, count < 0 ? -1 : count);
    ctx.budget.checkLength(s.length + (pieces.length - 1) * rep.length);
    return pieces.join(rep);
  },
  regex_replace: regexReplace,
  regex_search: regexSearch,
  regex_escape: (v) => text(v).replace(/[^A-Za-z0-9_]/g, (c) => `\\${c}`),
  split: (v, args) => {
    const a = bind('split', args, ['sep', 'maxsplit']);
    const sep = a.sep === undefined || need(a.sep) === null ? undefined : text(a.sep);
    return pySplit(text(v), sep, a.maxsplit === undefined ? -1 : Number(toInt(a.maxsplit, -1)));
  },
  join: (v, args, ctx) => {
    const a = bind('join', args, ['d', 'attribute']);
    const items = iterate(v).map((x) => text(a.attribute === undefined ? x : attributeOf(x, text(a.attribute))));
    const sep = a.d === undefined ? '' : text(a.d);
    ctx.budget.checkLength(items.reduce((n, s) => n + s.length + sep.length, 0));
    return items.join(sep);
  },
  first: (v) => firstOrLast(v, false),
  last: (v) => firstOrLast(v, true),
  length: (v) => iterate(v).length,
  count: (v) => iterate(v).length,
  list: (v) => [...iterate(v)],
  reverse: (v) => {
    const d = need(v);
    return typeof d === 'string' ? [...d].reverse().join('') : [...iterate(d)].reverse();
  },
  unique,
  sort: sortFilter,
  min: (v) => extreme(v, -1),
  max: (v) => extreme(v, 1),
  dict2items,
  items2dict,
  select: (v, a, ctx) => select(v, a, ctx, true, false),
  reject: (v, a, ctx) => select(v, a, ctx, false, false),
  selectattr: (v, a, ctx) => select(v, a, ctx, true, true),
  rejectattr: (v, a, ctx) => select(v, a, ctx, false, true),
  map: mapFilter,
  combine,
  ternary,
  to_json: (v, _a, ctx) => ctx.budget.text(toJson(v)),
  basename: (v) => text(v).replace(/.*\//s, ''),
  dirname: (v) => {
    const s = text(v);
    const i = s.lastIndexOf('/');
    return i < 0 ? '' : i === 0 ? '/' : s.slice(0, i).replace(/\/+$/, '') || '/';
  },
  format: (v, args, ctx) => ctx.budget.text(pyPercentFormat(text(v), args.positional)),
  type_debug: (v) => typeName(v),
  version: (v, args) => {
    const a = bind('version', args, ['version', 'operator', 'strict', 'version_type']);
    return versionTest(text(v), text(a.version ?? ''), a.operator === undefined ? 'eq' : text(a.operator));
  },
  version_compare: (v, args) => {
    const a = bind('version_compare', args, ['version', 'operator', 'strict']);
    return versionTest(text(v), text(a.version ?? ''), a.operator === undefined ? 'eq' : text(a.operator));
  },
};

/** Makes sure a filter that builds a dict or list stays within the item limit. */
export function checkSize(v: JValue, ctx: CallContext): JValue {
  if (Array.isArray(v)) ctx.budget.checkItems(v.length);
  else if (isDict(v)) ctx.budget.checkItems(v.size);
  return v;
}
