/**
 * Ansible's `version` test (and the old `version_compare` filter): versions compared as
 * Python's LooseVersion does, which is Ansible's default `version_type`.
 */
import { JinjaError } from './jinja-errors.js';

type Part = number | string;

const OPERATORS: Record<string, (c: number) => boolean> = {
  '<': (c) => c < 0,
  lt: (c) => c < 0,
  '<=': (c) => c <= 0,
  le: (c) => c <= 0,
  '>': (c) => c > 0,
  gt: (c) => c > 0,
  '>=': (c) => c >= 0,
  ge: (c) => c >= 0,
  '==': (c) => c === 0,
  '=': (c) => c === 0,
  eq: (c) => c === 0,
  '!=': (c) => c !== 0,
  '<>': (c) => c !== 0,
  ne: (c) => c !== 0,
};

/** LooseVersion's components: runs of digits (numbers) and of lower-case letters, and whatever lies between, dots dropped. */
export function looseParts(version: string): Part[] {
  const parts: Part[] = [];
  let last = 0;
  for (const m of version.matchAll(/\d+|[a-z]+|\./g)) {
    if (m.index > last) parts.push(version.slice(last, m.index));
    if (m[0] !== '.') parts.push(/^\d/.test(m[0]) ? Number(m[0]) : m[0]);
    last = m.index + m[0].length;
  }
  if (last < version.length) parts.push(version.slice(last));
  return parts;
}

/** -1, 0 or 1, as LooseVersion orders `a` and `b`; a number against text fails, as it does in Python 3. */
export function compareLoose(a: string, b: string): number {
  const x = looseParts(a);
  const y = looseParts(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const p = x[i]!;
    const q = y[i]!;
    if (p === q) continue;
    if (typeof p !== typeof q) {
      throw new JinjaError('invalid', `cannot compare versions ${JSON.stringify(a)} and ${JSON.stringify(b)} (a number against text)`);
    }
    return p < q ? -1 : 1;
  }
  return Math.sign(x.length - y.length);
}

/** `value is version(other, operator)`; an unknown operator is `invalid`. */
export function versionTest(value: string, other: string, operator = 'eq'): boolean {
  const op = OPERATORS[operator];
  if (!op) throw new JinjaError('invalid', `unknown version operator ${JSON.stringify(operator)}`);
  return op(compareLoose(value, other));
}
