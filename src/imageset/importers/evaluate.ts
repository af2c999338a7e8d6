/**
 * What an import asks an evaluator (the built-in one or Ansible): a list of values as
 * written (templates, usually), each with where it was written; and what it gets back: each
 * value evaluated, or the problem that stopped it. Both evaluators answer in this one shape,
 * so the image set is built the same way whichever ran.
 */
import { AirlockError, clip, ErrorCodes } from '../../errors.js';
import { JinjaError, JinjaScope, OMIT, type Definition, type JinjaLimits, type JinjaWhere, type JValue, type RawValue } from './jinja.js';
import { problemOf, QUOTE_MAX, type Problem } from './problems.js';

/** One value to evaluate. */
export interface EvalRequest {
  raw: RawValue;
  where: JinjaWhere;
}

/** A value evaluated, or why it could not be. */
export type EvalOutcome = { ok: true; value: JValue } | { ok: false; problem: Problem };

/** Collects requests, handing out their indices. */
export class Requests {
  readonly list: EvalRequest[] = [];

  /** Adds a request; its outcome will be at the index returned. */
  add(raw: RawValue, where: JinjaWhere): number {
    this.list.push({ raw, where });
    return this.list.length - 1;
  }
}

/**
 * Evaluates every request with the built-in evaluator over `defs`. A request that fails is
 * a problem placed where it failed (the innermost variable). Hitting a size, depth or work
 * limit stops the whole import at once: IMPORT_INVALID with a short message.
 */
export function evaluateBuiltin(defs: ReadonlyMap<string, Definition>, requests: EvalRequest[], limits?: JinjaLimits): EvalOutcome[] {
  const scope = new JinjaScope(defs, limits);
  return requests.map((r) => {
    try {
      return { ok: true, value: scope.evaluate(r.raw, r.where) };
    } catch (err) {
      if (!(err instanceof JinjaError)) throw err;
      if (err.kind === 'limit') {
        const at = err.where ?? r.where;
        throw new AirlockError(ErrorCodes.IMPORT_INVALID, `${at.line ? `${at.file}:${at.line}` : at.file}: ${at.variable}: evaluation stopped: ${clip(err.message, QUOTE_MAX)}`, {
          file: at.file,
          ...(at.line ? { line: at.line } : {}),
          variable: at.variable,
        });
      }
      return { ok: false, problem: problemOf(err, r.where) };
    }
  });
}

/** A value as text, as Ansible renders it in a reference: None and omit are empty, booleans `True`/`False`; a list or dict is not text. */
export function textOf(v: JValue): string | undefined {
  if (v === null) return '';
  if (typeof v === 'string') return v.startsWith(OMIT) ? '' : v;
  if (typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  return undefined;
}

/** A value as a switch (`enabled`, `container`): booleans and their usual spellings; anything else is undecided. */
export function switchOf(v: JValue): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (v === null) return false;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (['true', 'yes', 'on', '1'].includes(s)) return true;
    if (['false', 'no', 'off', '0', ''].includes(s)) return false;
  }
  return undefined;
}
