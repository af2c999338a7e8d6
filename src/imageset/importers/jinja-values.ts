/**
 * The values the Jinja evaluator works with, and the Python semantics Ansible gives them:
 * truthiness, equality, ordering, `str()` and `repr()`. Values stay typed (lists, dicts,
 * booleans, None) until a template renders them as text.
 */
import { JinjaError } from './jinja-errors.js';

/** A dict keeps insertion order, as Python's does; keys are the text of YAML keys. */
export type JDict = Map<string, JValue>;

/** Any value an expression can have. */
export type JValue = string | number | boolean | null | JValue[] | JDict | Undef;

/**
 * An undefined value (a missing variable, key or attribute). Like Ansible's, it is fine to
 * test (`is defined`), to default (`| default(x)`) or to look into (`a.b` stays undefined);
 * using it in any other way fails with `cause` (the error that made a variable undefined, so
 * the problem is reported where it really is) or with `hint`.
 */
export class Undef {
  constructor(
    readonly hint: string,
    /** The variable that is missing, when a plain variable is. */
    readonly name?: string,
    readonly cause?: JinjaError,
  ) {}

  /** The error to throw when this value is used. */
  error(): JinjaError {
    return this.cause ?? new JinjaError('undefined', this.hint, this.name);
  }
}

export const isDict = (v: JValue): v is JDict => v instanceof Map;
export const isList = (v: JValue): v is JValue[] => Array.isArray(v);
export const isUndef = (v: JValue): v is Undef => v instanceof Undef;

/** `v` itself; an undefined value fails here with its error. */
export function need(v: JValue): Exclude<JValue, Undef> {
  if (v instanceof Undef) throw v.error();
  return v;
}

/** Python's type name of a value, for messages and `type_debug`. */
export function typeName(v: JValue): string {
  if (v instanceof Undef) return 'AnsibleUndefined';
  if (v === null) return 'NoneType';
  if (typeof v === 'string') return 'str';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  return Array.isArray(v) ? 'list' : 'dict';
}

/** Python truthiness; an undefined value fails. */
export function truthy(v: JValue): boolean {
  const d = need(v);
  if (d === null) return false;
  if (typeof d === 'string') return d.length > 0;
  if (typeof d === 'number') return d !== 0;
  if (typeof d === 'boolean') return d;
  return Array.isArray(d) ? d.length > 0 : d.size > 0;
}

/** Python `==` (True == 1, 1 == 1.0, lists and dicts compared deeply); undefined values fail. */
export function equal(a: JValue, b: JValue): boolean {
  const x = need(a);
  const y = need(b);
  const nx = numeric(x);
  const ny = numeric(y);
  if (nx !== undefined && ny !== undefined) return nx === ny;
  if (x === null || y === null) return x === y;
  if (typeof x === 'string' || typeof y === 'string') return x === y;
  if (Array.isArray(x) || Array.isArray(y)) {
    return Array.isArray(x) && Array.isArray(y) && x.length === y.length && x.every((item, i) => equal(item, y[i]!));
  }
  if (x instanceof Map && y instanceof Map) {
    if (x.size !== y.size) return false;
    for (const [k, v] of x) if (!y.has(k) || !equal(v, y.get(k)!)) return false;
    return true;
  }
  return false;
}

function numeric(v: JValue): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return undefined;
}

/** Python ordering (`<`): numbers with numbers, text with text, lists element by element; anything else fails. */
export function compare(a: JValue, b: JValue): number {
  const x = need(a);
  const y = need(b);
  const nx = numeric(x);
  const ny = numeric(y);
  if (nx !== undefined && ny !== undefined) return nx < ny ? -1 : nx > ny ? 1 : 0;
  if (typeof x === 'string' && typeof y === 'string') return x < y ? -1 : x > y ? 1 : 0;
  if (Array.isArray(x) && Array.isArray(y)) {
    for (let i = 0; i < Math.min(x.length, y.length); i++) {
      if (equal(x[i]!, y[i]!)) continue;
      return compare(x[i]!, y[i]!);
    }
    return x.length - y.length;
  }
  throw new JinjaError('invalid', `cannot order ${typeName(x)} and ${typeName(y)}`);
}

/** Python `x in y`: a substring, a list member or a dict key. */
export function contains(container: JValue, item: JValue): boolean {
  const c = need(container);
  const i = need(item);
  if (typeof c === 'string') {
    if (typeof i !== 'string') throw new JinjaError('invalid', `'in <string>' needs a string, not ${typeName(i)}`);
    return c.includes(i);
  }
  if (Array.isArray(c)) return c.some((x) => equal(x, i));
  if (c instanceof Map) return c.has(textKey(i));
  throw new JinjaError('invalid', `${typeName(c)} is not a container`);
}

/** The dict key a value looks up (keys are kept as text). */
export function textKey(v: JValue): string {
  const d = need(v);
  return typeof d === 'string' ? d : pyStr(d);
}

/** Python `str()` of a number: integers without a fraction, others as the shortest round-trip form. */
function numberText(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
  return String(n);
}

/** Python `str()`: text as it is, the rest as `repr()`. */
export function pyStr(v: JValue): string {
  if (typeof v === 'string') return v;
  return pyRepr(v);
}

/** Python `repr()`: `'text'`, `True`, `None`, `[1, 'a']`, `{'k': 'v'}`. */
export function pyRepr(v: JValue): string {
  if (v instanceof Undef) throw v.error();
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return numberText(v);
  if (typeof v === 'string') return quote(v);
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  return `{${[...v].map(([k, x]) => `${quote(k)}: ${pyRepr(x)}`).join(', ')}}`;
}

function quote(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  const body = s.replace(/[\\\n\r\t]/g, (c) => ({ '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' })[c]!);
  return q + (q === "'" ? body.replace(/'/g, "\\'") : body) + q;
}

/** Python's `json.dumps` (Ansible's `to_json`): `", "` and `": "` separators, non-ASCII escaped. */
export function toJson(v: JValue): string {
  const d = need(v);
  if (d === null) return 'null';
  if (typeof d === 'boolean') return d ? 'true' : 'false';
  if (typeof d === 'number') return Number.isFinite(d) ? String(d) : d > 0 ? 'Infinity' : Number.isNaN(d) ? 'NaN' : '-Infinity';
  if (typeof d === 'string') return jsonString(d);
  if (Array.isArray(d)) return `[${d.map(toJson).join(', ')}]`;
  return `{${[...d].map(([k, x]) => `${jsonString(k)}: ${toJson(x)}`).join(', ')}}`;
}

function jsonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i]!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (c < 0x20 || c > 0x7e) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** A plain JSON-like value (Ansible's output, `--set` values) as a Jinja value: objects become dicts. */
export function fromPlain(v: unknown): JValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (Array.isArray(v)) return v.map(fromPlain);
  if (v instanceof Map) return v as JDict;
  return new Map(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, fromPlain(x)]));
}
