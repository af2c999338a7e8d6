/**
 * Turning evaluated values into one image reference: repository and tag as text, the
 * checksum as a sha256 digest, the whole parsed as a reference. Each failure is a problem
 * placed at the value that caused it.
 */
import { AirlockError, clip } from '../../errors.js';
import { formatReference, parseReference } from '../../ref/reference.js';
import type { JinjaWhere, JValue } from './jinja.js';
import { textOf, type EvalOutcome } from './evaluate.js';
import { QUOTE_MAX, type Problem } from './problems.js';

/** A value, or the problem that stands in its way. */
export type Checked<T> = { ok: true; value: T } | { ok: false; problem: Problem };

const ok = <T>(value: T): Checked<T> => ({ ok: true, value });
const fail = <T>(problem: Problem): Checked<T> => ({ ok: false, problem });

/** A problem about a value that did evaluate. */
export function valueProblem(where: JinjaWhere, message: string): Problem {
  return { file: where.file, ...(where.line ? { line: where.line } : {}), variable: where.variable, expression: where.expression, message, kind: 'invalid' };
}

/** The outcome as trimmed text: a problem when it failed, is not text, or (unless `allowEmpty`) is empty. */
export function checkedText(o: EvalOutcome, where: JinjaWhere, allowEmpty = false): Checked<string> {
  if (!o.ok) return fail(o.problem);
  const text = textOf(o.value);
  if (text === undefined) return fail(valueProblem(where, `is a ${describe(o.value)}, not text`));
  if (!allowEmpty && text.trim() === '') return fail(valueProblem(where, 'is empty'));
  return ok(text.trim());
}

function describe(v: JValue): string {
  return Array.isArray(v) ? 'list' : v instanceof Map ? 'dict' : typeof v;
}

/** `sha256:<hex>` from a Kubespray checksum (`<hex>` or `sha256:<hex>`), null for none; anything else is a problem. */
export function checkedDigest(text: string, where: JinjaWhere): Checked<string | null> {
  const raw = text.trim().toLowerCase();
  if (raw === '' || raw === 'none') return ok(null);
  const hex = raw.startsWith('sha256:') ? raw.slice(7) : raw;
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    return fail(valueProblem(where, `is not a sha256 digest (64 hex digits, optionally prefixed with sha256:): ${JSON.stringify(clip(raw, QUOTE_MAX))}`));
  }
  return ok(`sha256:${hex}`);
}

/** The reference `repo:tag[@digest]`, normalised, or a problem saying why it is not one. */
export function checkedReference(repo: string, tag: string, digest: string | null, where: JinjaWhere): Checked<string> {
  const text = `${repo}:${tag}${digest ? `@${digest}` : ''}`;
  try {
    return ok(formatReference(parseReference(text)));
  } catch (err) {
    const why = err instanceof AirlockError ? err.message : String(err);
    return fail(valueProblem(where, `gives an invalid reference ${JSON.stringify(clip(text, QUOTE_MAX))}: ${why}`));
  }
}

/** Adds the problem of every failed check to `add`; true when all passed. */
export function allPassed(add: (p: Problem) => void, ...checks: Checked<unknown>[]): boolean {
  for (const c of checks) if (!c.ok) add(c.problem);
  return checks.every((c) => c.ok);
}
