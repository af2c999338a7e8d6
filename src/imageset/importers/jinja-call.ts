/**
 * What filters, tests and methods share: their signature, the context they run in, and
 * argument binding (positional or by keyword, as Python binds them).
 */
import { Budget, JinjaError } from './jinja-errors.js';
import type { JValue } from './jinja-values.js';

/** A call's arguments after evaluation. */
export interface CallArgs {
  positional: JValue[];
  keywords: Map<string, JValue>;
}

/** What a filter or test may call back into: other filters and tests (`map('upper')`, `select('defined')`) and the budget. */
export interface CallContext {
  budget: Budget;
  filter(name: string, value: JValue, args: CallArgs): JValue;
  test(name: string, value: JValue, args: CallArgs): boolean;
}

export type FilterFn = (value: JValue, args: CallArgs, ctx: CallContext) => JValue;
export type TestFn = (value: JValue, args: CallArgs, ctx: CallContext) => boolean;

/** No arguments. */
export const NO_ARGS: CallArgs = { positional: [], keywords: new Map() };

/**
 * Binds a call's arguments to `names` (Python's rule: positional first, then by keyword);
 * unknown keywords or too many arguments are `invalid`. Unbound names are absent.
 */
export function bind(what: string, args: CallArgs, names: string[]): Record<string, JValue> {
  if (args.positional.length > names.length) throw new JinjaError('invalid', `${what} takes at most ${names.length} arguments`);
  const out: Record<string, JValue> = {};
  args.positional.forEach((v, i) => (out[names[i]!] = v));
  for (const [k, v] of args.keywords) {
    if (!names.includes(k)) throw new JinjaError('invalid', `${what} has no argument ${k}`);
    if (Object.hasOwn(out, k)) throw new JinjaError('invalid', `${what} got ${k} twice`);
    out[k] = v;
  }
  return out;
}

/** Arguments after the first `skip` positional ones, as a new CallArgs (for `select('test', arg...)`). */
export function restArgs(args: CallArgs, skip: number): CallArgs {
  return { positional: args.positional.slice(skip), keywords: args.keywords };
}
