/**
 * What can go wrong while evaluating Jinja, and the limits that keep a hostile or broken
 * file from taking unbounded time or memory.
 */

/**
 * - `undefined`: a variable, key or attribute is missing (supply it).
 * - `unsupported`: a construct the built-in evaluator does not implement (Ansible may).
 * - `invalid`: the expression is wrong whoever evaluates it (a type error, bad syntax).
 * - `cycle`: a variable refers to itself.
 * - `limit`: a size, depth or work limit was hit; the import stops at once.
 */
export type JinjaErrorKind = 'undefined' | 'unsupported' | 'invalid' | 'cycle' | 'limit';

/** Where an expression that failed was written. */
export interface JinjaWhere {
  /** The variable (or `downloads.NAME.FIELD`) whose value the expression is. */
  variable: string;
  file: string;
  line?: number;
  /** The text of the whole value, as written. */
  expression: string;
}

/** An evaluation failure; `where` is set by the innermost variable being evaluated. */
export class JinjaError extends Error {
  where?: JinjaWhere;

  constructor(
    readonly kind: JinjaErrorKind,
    message: string,
    /** The missing variable, when a plain variable is missing. */
    readonly undefinedName?: string,
  ) {
    super(message);
    this.name = 'JinjaError';
  }
}

/** Bounds on one import's evaluation. */
export interface JinjaLimits {
  /** Longest text any value may become (characters). */
  maxText: number;
  /** Most items a list or dict may get from an operation. */
  maxItems: number;
  /** Deepest nesting of variables referring to variables, and of an expression's syntax. */
  maxDepth: number;
  /** Evaluation steps (syntax nodes visited, items processed) for the whole import. */
  maxSteps: number;
}

/** 1 MiB of text, 64 levels, and a work budget far above what Kubespray's files need (about 100,000 steps). */
export const DEFAULT_LIMITS: JinjaLimits = { maxText: 1 << 20, maxItems: 100_000, maxDepth: 64, maxSteps: 20_000_000 };

/** Counts the work of one import against its limits; every check that fails throws a `limit` error. */
export class Budget {
  private steps = 0;

  constructor(readonly limits: JinjaLimits = DEFAULT_LIMITS) {}

  /** Spends `n` steps. */
  tick(n = 1): void {
    this.steps += n;
    if (this.steps > this.limits.maxSteps) {
      throw new JinjaError('limit', `evaluation took more than ${this.limits.maxSteps} steps (a runaway expression?)`);
    }
  }

  /** `s`, if it is within the text limit. */
  text(s: string): string {
    this.checkLength(s.length);
    return s;
  }

  /** Fails when a text of `length` characters would be over the limit (check before building it). */
  checkLength(length: number): void {
    if (length > this.limits.maxText) {
      throw new JinjaError('limit', `a value would be longer than ${this.limits.maxText} characters`);
    }
  }

  /** Fails when a list or dict of `count` items would be over the limit. */
  checkItems(count: number): void {
    this.tick(count);
    if (count > this.limits.maxItems) throw new JinjaError('limit', `a list or dict would have more than ${this.limits.maxItems} items`);
  }

  /** Fails when nesting `depth` is over the limit. */
  checkDepth(depth: number, what: string): void {
    if (depth > this.limits.maxDepth) throw new JinjaError('limit', `${what} nest deeper than ${this.limits.maxDepth} levels`);
  }
}
