/**
 * The built-in Jinja evaluator: the subset of Jinja and Ansible that Kubespray's variables
 * use, evaluated the way Ansible evaluates variables (lazily, each variable once, values
 * typed until they become text). See jinja-parser.ts for the syntax, jinja-filters.ts and
 * jinja-tests.ts for the filters and tests.
 */
import { Budget, DEFAULT_LIMITS, JinjaError, type JinjaLimits, type JinjaWhere } from './jinja-errors.js';
import { Evaluator, type Scope } from './jinja-eval.js';
import { isTemplate } from './jinja-lexer.js';
import { literalExpression, parseTemplate } from './jinja-parser.js';
import { Undef, type JDict, type JValue } from './jinja-values.js';

export { JinjaError, DEFAULT_LIMITS, type JinjaErrorKind, type JinjaLimits, type JinjaWhere } from './jinja-errors.js';
export { OMIT } from './jinja-eval.js';
export { fromPlain, pyStr, Undef, type JDict, type JValue } from './jinja-values.js';

/** A variable's value as a vars file holds it: text (maybe a template), a number, a boolean, None, a list or a dict. */
export type RawValue = string | number | boolean | null | RawValue[] | Map<string, RawValue>;

/** One variable definition and where it was written. */
export interface Definition {
  name: string;
  file: string;
  line?: number;
  value: RawValue;
}

/** The text of a raw value for messages: a template as written, a dict or list as a short summary. */
export function rawText(v: RawValue): string {
  if (typeof v === 'string') return v;
  if (v instanceof Map) return `{dict of ${v.size}}`;
  if (Array.isArray(v)) return `[list of ${v.length}]`;
  return String(v);
}

type Memo = { value: JValue } | { error: JinjaError };

/**
 * Variables and their lazy evaluation. Each variable is evaluated at most once, when first
 * used; a failure is remembered and reported where it happened (the innermost variable), so
 * a missing variable used by ten others is one problem. A variable whose value is undefined
 * (it refers to a missing one) is itself undefined, as in Ansible, so `| default(x)` still
 * applies to it. A cycle is `cycle`; a size, depth or work limit is `limit`.
 */
export class JinjaScope implements Scope {
  private readonly memo = new Map<string, Memo>();
  private readonly active: string[] = [];
  private readonly activeSet = new Set<string>();
  private readonly budget: Budget;
  private readonly evaluator: Evaluator;

  constructor(
    private readonly defs: ReadonlyMap<string, Definition>,
    limits: JinjaLimits = DEFAULT_LIMITS,
  ) {
    this.budget = new Budget(limits);
    this.evaluator = new Evaluator(this, this.budget);
  }

  /** True when the variable is defined. */
  has(name: string): boolean {
    return this.defs.has(name);
  }

  whereOf(name: string): JinjaWhere | undefined {
    const d = this.defs.get(name);
    return d && { variable: d.name, file: d.file, ...(d.line ? { line: d.line } : {}), expression: rawText(d.value) };
  }

  lookup(name: string): JValue {
    const def = this.defs.get(name);
    if (!def) return new Undef(`'${name}' is undefined`, name);
    let memo = this.memo.get(name);
    if (!memo) {
      memo = this.compute(def);
      this.memo.set(name, memo);
    }
    if ('value' in memo) return memo.value;
    if (memo.error.kind === 'undefined') return new Undef(memo.error.message, name, memo.error);
    throw memo.error;
  }

  private compute(def: Definition): Memo {
    if (this.activeSet.has(def.name)) {
      const cycle = [...this.active.slice(this.active.indexOf(def.name)), def.name].join(' -> ');
      const err = new JinjaError('cycle', `refers to itself: ${cycle}`);
      err.where = this.whereOf(def.name)!;
      throw err;
    }
    this.budget.checkDepth(this.active.length + 1, 'variables referring to variables');
    this.active.push(def.name);
    this.activeSet.add(def.name);
    try {
      return { value: this.evaluate(def.value, this.whereOf(def.name)!) };
    } catch (err) {
      if (!(err instanceof JinjaError) || err.kind === 'limit' || err.kind === 'cycle') throw err;
      return { error: err };
    } finally {
      this.active.pop();
      this.activeSet.delete(def.name);
    }
  }

  /**
   * Templates `raw` as Ansible templates a variable's value (text, and every text inside a
   * list or dict), in the context `where`: a failure not already placed in a variable is
   * placed there. Throws JinjaError.
   */
  evaluate(raw: RawValue, where: JinjaWhere): JValue {
    try {
      return this.template(raw);
    } catch (err) {
      if (err instanceof RangeError) throw new JinjaError('limit', 'expressions nest too deeply (the stack ran out)');
      if (err instanceof JinjaError && !err.where && err.kind !== 'limit') err.where = where;
      throw err;
    }
  }

  private template(raw: RawValue): JValue {
    this.budget.tick();
    if (typeof raw === 'string') {
      if (!isTemplate(raw)) return raw;
      this.budget.checkLength(raw.length);
      return this.evaluator.template(parseTemplate(raw, this.budget), (text) => this.literal(text));
    }
    if (Array.isArray(raw)) return raw.map((x) => this.template(x));
    if (raw instanceof Map) {
      const out: JDict = new Map();
      for (const [k, v] of raw) out.set(k, this.template(v));
      return out;
    }
    return raw;
  }

  /** Ansible's last step: text reading True/False, or a Python list or dict literal, becomes that value. */
  private literal(text: string): JValue {
    if (text === 'True') return true;
    if (text === 'False') return false;
    if (!text.startsWith('[') && !text.startsWith('{')) return text;
    const e = literalExpression(text, this.budget);
    return e ? this.evaluator.expr(e) : text;
  }
}
