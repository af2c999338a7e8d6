/**
 * The `{% if %}` conditions of TripleO's image list (`ceph_images`, `not rhel_containers`,
 * `neutron_driver == "ovn"`, `ceph3_namespace is defined`), kept as conditions: parsed,
 * evaluated with Jinja's rules, and named as the boolean parameter that switches their images.
 */
import type { ParamValue } from '../types.js';
import { Budget } from './jinja-errors.js';
import { lexExpression } from './jinja-lexer.js';
import { parseExpression, type Expr } from './jinja-parser.js';

/** A parsed condition. Values compared with `==` are kept as the text they are written as. */
export type Condition =
  | { kind: 'var'; name: string }
  | { kind: 'eq'; name: string; value: string; negated: boolean }
  | { kind: 'defined'; name: string; negated: boolean }
  | { kind: 'not'; of: Condition }
  | { kind: 'and' | 'or'; of: Condition[] };

/** Longest condition text accepted; TripleO's are a few words. */
export const MAX_CONDITION_LENGTH = 256;
const MAX_DEPTH = 16;

/** The condition as written, for messages. */
const quoted = (text: string) => JSON.stringify(text.trim().slice(0, 60));

/** A Jinja expression's tree as a condition, or an Error saying what cannot be kept as one. */
function conditionOf(e: Expr, depth: number): Condition {
  if (depth > MAX_DEPTH) throw new Error(`nested more than ${MAX_DEPTH} deep`);
  switch (e.k) {
    case 'name':
      return { kind: 'var', name: e.name };
    case 'not':
      return negate(conditionOf(e.value, depth + 1));
    case 'bin': {
      if (e.op !== 'and' && e.op !== 'or') break;
      const of = [e.left, e.right].flatMap((x) => {
        const c = conditionOf(x, depth + 1);
        return (c.kind === 'and' || c.kind === 'or') && c.kind === e.op ? c.of : [c];
      });
      return { kind: e.op, of };
    }
    case 'cmp': {
      const [op, right] = e.rest[0]!;
      if (e.rest.length !== 1 || (op !== '==' && op !== '!=') || e.first.k !== 'name') break;
      if (right.k !== 'lit' || (typeof right.value !== 'string' && typeof right.value !== 'number')) {
        throw new Error(`${e.first.name} is compared with something else than a quoted string or a number`);
      }
      return { kind: 'eq', name: e.first.name, value: String(right.value), negated: op === '!=' };
    }
    case 'test':
      if (e.value.k !== 'name') break;
      if (e.name !== 'defined' && e.name !== 'undefined') throw new Error(`only "is defined" and "is not defined" are supported, not "is ${e.name}"`);
      return { kind: 'defined', name: e.value.name, negated: e.negate !== (e.name === 'undefined') };
  }
  throw new Error('only variables, not, and, or, parentheses, == and != with a string or number, and "is (not) defined" are supported');
}

/**
 * Parses the condition of an `{% if %}` or `{% elif %}` with the Jinja parser: variables,
 * `not`, `and`, `or`, parentheses, `NAME == 'text'`, `NAME != 'text'` (strings or numbers),
 * `NAME is defined` and `NAME is not defined`. Anything else throws an Error whose message
 * says what.
 */
export function parseCondition(text: string): Condition {
  if (text.length > MAX_CONDITION_LENGTH) throw new Error(`a condition is at most ${MAX_CONDITION_LENGTH} characters`);
  if (text.trim() === '') throw new Error('the condition is empty');
  let expr: Expr;
  try {
    expr = parseExpression(lexExpression(text), new Budget());
  } catch (err) {
    throw new Error(`cannot read ${quoted(text)}: ${(err as Error).message}`);
  }
  try {
    return conditionOf(expr, 0);
  } catch (err) {
    throw new Error(`cannot read ${quoted(text)}: ${(err as Error).message}`);
  }
}

/** `not c`, pushed down to the leaves (De Morgan), so names and descriptions stay flat. */
export function negate(c: Condition): Condition {
  switch (c.kind) {
    case 'var':
      return { kind: 'not', of: c };
    case 'not':
      return c.of;
    case 'eq':
    case 'defined':
      return { ...c, negated: !c.negated };
    case 'and':
      return { kind: 'or', of: c.of.map(negate) };
    case 'or':
      return { kind: 'and', of: c.of.map(negate) };
  }
}

/**
 * All of `conditions` (an `{% elif %}` branch: the earlier branches false, its own true;
 * nested `{% if %}`s). Flattened, and `X != a` dropped where `X == b` already decides it, so
 * the `ovn` branch of `if neutron_driver == "odl" / elif neutron_driver == "ovn"` is just
 * `neutron_driver == "ovn"`. Undefined for no condition at all.
 */
export function allOf(conditions: Condition[]): Condition | undefined {
  const flat = conditions.flatMap((c) => (c.kind === 'and' ? c.of : [c]));
  const equal = new Map(flat.filter((c) => c.kind === 'eq' && !c.negated).map((c) => [(c as { name: string }).name, (c as { value: string }).value]));
  const kept = flat.filter((c) => !(c.kind === 'eq' && c.negated && equal.has(c.name) && equal.get(c.name) !== c.value));
  if (kept.length === 0) return undefined;
  return kept.length === 1 ? kept[0]! : { kind: 'and', of: kept };
}

/** Jinja truthiness of a value: undefined, false and '' are false; any other string is true. */
function truthy(v: ParamValue | undefined): boolean {
  return v === undefined ? false : typeof v === 'boolean' ? v : v !== '';
}

/**
 * Evaluates `c` as Jinja would over `values` (an undefined variable is false, equal to
 * nothing and not defined; a boolean equals no string).
 */
export function evaluateCondition(c: Condition, values: Readonly<Record<string, ParamValue>>): boolean {
  const get = (name: string) => (Object.hasOwn(values, name) ? values[name] : undefined);
  switch (c.kind) {
    case 'var':
      return truthy(get(c.name));
    case 'not':
      return !evaluateCondition(c.of, values);
    case 'eq': {
      const v = get(c.name);
      return (typeof v === 'string' && v === c.value) !== c.negated;
    }
    case 'defined':
      return (get(c.name) !== undefined) !== c.negated;
    case 'and':
      return c.of.every((x) => evaluateCondition(x, values));
    case 'or':
      return c.of.some((x) => evaluateCondition(x, values));
  }
}

/** The variables `c` reads, in order, without repeats. */
export function conditionVariables(c: Condition): string[] {
  const out = new Set<string>();
  const walk = (x: Condition): void => {
    switch (x.kind) {
      case 'and':
      case 'or':
        x.of.forEach(walk);
        break;
      case 'not':
        walk(x.of);
        break;
      default:
        out.add(x.name);
    }
  };
  walk(c);
  return [...out];
}

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '') || 'empty';

/**
 * The name of the boolean parameter standing for `c`: `ceph_images`, `not_rhel_containers`,
 * `neutron_driver_ovn`, `neutron_driver_not_odl_or_ovn`, `ceph3_namespace_defined`,
 * `ceph_images_and_neutron_driver_ovn`. Lower-case letters, digits and `_`.
 */
export function conditionParameter(c: Condition): string {
  switch (c.kind) {
    case 'var':
      return c.name;
    case 'not':
      return `not_${conditionParameter(c.of)}`;
    case 'eq':
      return `${c.name}_${c.negated ? 'not_' : ''}${slug(c.value)}`;
    case 'defined':
      return `${c.name}_${c.negated ? 'undefined' : 'defined'}`;
    case 'or':
      return c.of.map(conditionParameter).join('_or_');
    case 'and': {
      // `X != a and X != b` reads better as X_not_a_or_b.
      const names = new Set(c.of.map((x) => (x.kind === 'eq' && x.negated ? x.name : undefined)));
      if (names.size === 1 && !names.has(undefined)) {
        const values = c.of.map((x) => slug((x as { value: string }).value));
        return `${[...names][0]}_not_${values.join('_or_')}`;
      }
      return c.of.map(conditionParameter).join('_and_');
    }
  }
}

/** `c` written back as Jinja, for notes (`neutron_driver == "ovn"`). */
export function describeCondition(c: Condition): string {
  switch (c.kind) {
    case 'var':
      return c.name;
    case 'not':
      return `not ${describeCondition(c.of)}`;
    case 'eq':
      return `${c.name} ${c.negated ? '!=' : '=='} ${JSON.stringify(c.value)}`;
    case 'defined':
      return `${c.name} is ${c.negated ? 'not ' : ''}defined`;
    case 'and':
    case 'or':
      return c.of.map((x) => (x.kind === 'and' || x.kind === 'or' ? `(${describeCondition(x)})` : describeCondition(x))).join(` ${c.kind} `);
  }
}
