/**
 * Parses Jinja expressions and templates into syntax trees, with Jinja's precedence:
 * `x if c else y`, `or`, `and`, `not`, comparisons (`==` `!=` `<` `<=` `>` `>=` `in`
 * `not in`), `~`, `+ -`, `* / // %`, `**`, unary `-`, then primaries with `.attr`,
 * `[item]`, `[a:b:c]`, calls, `| filter(args)` and `is [not] test(args)`.
 * Statements: `{% if %}`/`{% elif %}`/`{% else %}`/`{% endif %}`; any other statement is
 * `unsupported`.
 */
import { Budget, JinjaError } from './jinja-errors.js';
import { lexExpression, lexTemplate, type Token } from './jinja-lexer.js';
import type { JValue } from './jinja-values.js';

/** Keyword arguments keep their order. */
export type Args = { positional: Expr[]; keywords: [string, Expr][] };

/** An expression's syntax tree. */
export type Expr =
  | { k: 'lit'; value: JValue }
  | { k: 'name'; name: string }
  | { k: 'list'; items: Expr[] }
  | { k: 'dict'; items: [Expr, Expr][] }
  | { k: 'attr'; obj: Expr; name: string }
  | { k: 'item'; obj: Expr; key: Expr }
  | { k: 'slice'; obj: Expr; start?: Expr; stop?: Expr; step?: Expr }
  | { k: 'call'; fn: Expr; args: Args }
  | { k: 'filter'; value: Expr; name: string; args: Args }
  | { k: 'test'; value: Expr; name: string; args: Args; negate: boolean }
  | { k: 'not'; value: Expr }
  | { k: 'neg'; value: Expr; op: '-' | '+' }
  | { k: 'bin'; op: string; left: Expr; right: Expr }
  | { k: 'cmp'; first: Expr; rest: [string, Expr][] }
  | { k: 'cond'; test: Expr; then: Expr; otherwise?: Expr };

/** A template's syntax tree. */
export type TNode =
  | { k: 'text'; text: string }
  | { k: 'out'; expr: Expr }
  | { k: 'if'; branches: { test: Expr | null; body: TNode[] }[] };

const LITERALS: Record<string, JValue> = { true: true, True: true, false: false, False: false, none: null, None: null };
const COMPARE = new Set(['==', '!=', '<', '<=', '>', '>=']);
/** Names that end a test's bare argument (`x is defined and y`). */
const STOP_WORDS = new Set(['and', 'or', 'else', 'if', 'in', 'is', 'not']);

class ExprParser {
  private i = 0;
  private depth = 0;
  private readonly depths = new WeakMap<Expr, number>();

  constructor(
    private readonly tokens: Token[],
    private readonly budget: Budget,
  ) {}

  parseAll(): Expr {
    if (this.tokens.length === 0) throw new JinjaError('invalid', 'an empty expression');
    const e = this.expr();
    if (this.i < this.tokens.length) throw new JinjaError('invalid', `unexpected ${JSON.stringify(this.tokens[this.i]!.value)}`);
    return e;
  }

  private peek(offset = 0): Token | undefined {
    return this.tokens[this.i + offset];
  }

  private isOp(value: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t?.type === 'op' && t.value === value;
  }

  private isName(value: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t?.type === 'name' && t.value === value;
  }

  private expect(value: string): void {
    if (!this.isOp(value)) {
      const got = this.peek();
      throw new JinjaError('invalid', `expected ${JSON.stringify(value)}, found ${got ? JSON.stringify(got.value) : 'the end'}`);
    }
    this.i++;
  }

  /** Runs `f` one level deeper, failing beyond the depth limit (a hostile file cannot overflow the stack). */
  private nested<T>(f: () => T): T {
    this.depth++;
    this.budget.checkDepth(this.depth, 'expressions');
    try {
      return f();
    } finally {
      this.depth--;
    }
  }

  expr(): Expr {
    return this.nested(() => {
      const value = this.or();
      if (!this.isName('if')) return value;
      this.i++;
      const test = this.or();
      if (!this.isName('else')) return { k: 'cond', test, then: value };
      this.i++;
      return { k: 'cond', test, then: value, otherwise: this.expr() };
    });
  }

  private or(): Expr {
    let left = this.and();
    while (this.isName('or')) {
      this.i++;
      left = this.deeper({ k: 'bin', op: 'or', left, right: this.and() });
    }
    return left;
  }

  private and(): Expr {
    let left = this.not();
    while (this.isName('and')) {
      this.i++;
      left = this.deeper({ k: 'bin', op: 'and', left, right: this.not() });
    }
    return left;
  }

  private not(): Expr {
    if (this.isName('not')) {
      this.i++;
      return this.nested(() => ({ k: 'not', value: this.not() }));
    }
    return this.compare();
  }

  private compare(): Expr {
    const first = this.concat();
    const rest: [string, Expr][] = [];
    for (;;) {
      const t = this.peek();
      if (t?.type === 'op' && COMPARE.has(t.value)) {
        this.i++;
        rest.push([t.value, this.concat()]);
      } else if (this.isName('in')) {
        this.i++;
        rest.push(['in', this.concat()]);
      } else if (this.isName('not') && this.isName('in', 1)) {
        this.i += 2;
        rest.push(['not in', this.concat()]);
      } else break;
    }
    return rest.length === 0 ? first : { k: 'cmp', first, rest };
  }

  private binary(ops: string[], next: () => Expr): Expr {
    let left = next();
    for (;;) {
      const t = this.peek();
      if (t?.type !== 'op' || !ops.includes(t.value)) return left;
      this.i++;
      left = this.deeper({ k: 'bin', op: t.value, left, right: next() });
    }
  }

  private concat(): Expr {
    return this.binary(['~'], () => this.math1());
  }

  private math1(): Expr {
    return this.binary(['+', '-'], () => this.math2());
  }

  private math2(): Expr {
    return this.binary(['*', '/', '//', '%'], () => this.pow());
  }

  private pow(): Expr {
    return this.binary(['**'], () => this.unary());
  }

  /**
   * Counts each link of a chain (`a ~ b ~ c ...`, `x | f | g`, `a.b.c`) as one level of
   * nesting: such chains build deep trees without recursing in the parser, and evaluating
   * them recurses.
   */
  private deeper(e: Expr): Expr {
    this.budget.tick();
    const d = 1 + Math.max(0, ...children(e).map((c) => this.depths.get(c) ?? 1));
    this.depths.set(e, d);
    this.budget.checkDepth(d + this.depth, 'expressions');
    return e;
  }

  private unary(): Expr {
    if (this.isOp('-') || this.isOp('+')) {
      const op = this.peek()!.value as '-' | '+';
      this.i++;
      return this.nested(() => this.filters({ k: 'neg', op, value: this.unaryOperand() }));
    }
    return this.filters(this.postfix(this.primary()));
  }

  /** The operand of a unary minus, without filters: Jinja applies them to the negated value (`-x|abs` is `(-x)|abs`). */
  private unaryOperand(): Expr {
    if (this.isOp('-') || this.isOp('+')) return this.unary();
    return this.postfix(this.primary());
  }

  private primary(): Expr {
    const t = this.peek();
    if (!t) throw new JinjaError('invalid', 'the expression ends too early');
    this.i++;
    if (t.type === 'string') {
      // Adjacent strings join, as in Python.
      let value = t.value;
      while (this.peek()?.type === 'string') value += this.tokens[this.i++]!.value;
      return { k: 'lit', value };
    }
    if (t.type === 'number') return { k: 'lit', value: t.num! };
    if (t.type === 'name') {
      if (Object.hasOwn(LITERALS, t.value)) return { k: 'lit', value: LITERALS[t.value]! };
      return { k: 'name', name: t.value };
    }
    if (t.value === '(') {
      return this.nested(() => {
        if (this.isOp(')')) {
          this.i++;
          return { k: 'list', items: [] };
        }
        const first = this.expr();
        if (this.isOp(')')) {
          this.i++;
          return first;
        }
        const items = [first];
        while (this.isOp(',')) {
          this.i++;
          if (this.isOp(')')) break;
          items.push(this.expr());
        }
        this.expect(')');
        return { k: 'list', items };
      });
    }
    if (t.value === '[') return this.nested(() => ({ k: 'list', items: this.sequence(']') }));
    if (t.value === '{') {
      return this.nested(() => {
        const items: [Expr, Expr][] = [];
        while (!this.isOp('}')) {
          const key = this.expr();
          this.expect(':');
          items.push([key, this.expr()]);
          if (!this.isOp(',')) break;
          this.i++;
        }
        this.expect('}');
        return { k: 'dict', items };
      });
    }
    throw new JinjaError('invalid', `unexpected ${JSON.stringify(t.value)}`);
  }

  private sequence(close: string): Expr[] {
    const items: Expr[] = [];
    while (!this.isOp(close)) {
      items.push(this.expr());
      if (!this.isOp(',')) break;
      this.i++;
    }
    this.expect(close);
    return items;
  }

  private postfix(e: Expr): Expr {
    let node = e;
    for (;;) {
      if (this.isOp('.')) {
        this.i++;
        const t = this.peek();
        if (t?.type === 'name') {
          this.i++;
          node = this.deeper({ k: 'attr', obj: node, name: t.value });
        } else if (t?.type === 'number') {
          this.i++;
          node = this.deeper({ k: 'item', obj: node, key: { k: 'lit', value: t.num! } });
        } else throw new JinjaError('invalid', 'expected an attribute name after "."');
      } else if (this.isOp('[')) {
        this.i++;
        node = this.nested(() => this.subscript(node));
      } else if (this.isOp('(')) {
        this.i++;
        node = this.nested(() => ({ k: 'call', fn: node, args: this.args() }));
      } else return node;
    }
  }

  private subscript(obj: Expr): Expr {
    const part = (): Expr | undefined => (this.isOp(':') || this.isOp(']') ? undefined : this.expr());
    const start = part();
    if (this.isOp(']')) {
      this.i++;
      if (!start) throw new JinjaError('invalid', 'an empty subscript []');
      return { k: 'item', obj, key: start };
    }
    this.expect(':');
    const stop = part();
    let step: Expr | undefined;
    if (this.isOp(':')) {
      this.i++;
      step = part();
    }
    this.expect(']');
    return { k: 'slice', obj, ...(start ? { start } : {}), ...(stop ? { stop } : {}), ...(step ? { step } : {}) };
  }

  /** Call arguments after `(`: positional, then `name=value`. */
  private args(): Args {
    const args: Args = { positional: [], keywords: [] };
    while (!this.isOp(')')) {
      if (this.peek()?.type === 'name' && this.isOp('=', 1)) {
        const name = this.peek()!.value;
        this.i += 2;
        args.keywords.push([name, this.expr()]);
      } else {
        if (args.keywords.length > 0) throw new JinjaError('invalid', 'a positional argument after a keyword argument');
        args.positional.push(this.expr());
      }
      if (!this.isOp(',')) break;
      this.i++;
    }
    this.expect(')');
    return args;
  }

  private filters(e: Expr): Expr {
    let node = e;
    for (;;) {
      if (this.isOp('|')) {
        this.i++;
        const name = this.dottedName('filter');
        let args: Args = { positional: [], keywords: [] };
        if (this.isOp('(')) {
          this.i++;
          args = this.nested(() => this.args());
        }
        node = this.deeper({ k: 'filter', value: node, name, args });
      } else if (this.isName('is')) {
        this.i++;
        const negate = this.isName('not');
        if (negate) this.i++;
        const name = this.dottedName('test');
        let args: Args = { positional: [], keywords: [] };
        if (this.isOp('(')) {
          this.i++;
          args = this.nested(() => this.args());
        } else if (this.startsBareArgument()) {
          args = { positional: [this.nested(() => this.postfix(this.primary()))], keywords: [] };
        }
        node = this.deeper({ k: 'test', value: node, name, args, negate });
      } else return node;
    }
  }

  /** A test's argument without parentheses (`is sameas false`, `is version_compare '1.0'`)? */
  private startsBareArgument(): boolean {
    const t = this.peek();
    if (!t) return false;
    if (t.type === 'string' || t.type === 'number') return true;
    if (t.type === 'name') return !STOP_WORDS.has(t.value);
    return t.value === '[' || t.value === '{';
  }

  /** `name` or `collection.namespace.name`; the short name is what counts (`ansible.builtin.split` is `split`). */
  private dottedName(what: string): string {
    const parts: string[] = [];
    do {
      const t = this.peek();
      if (t?.type !== 'name') throw new JinjaError('invalid', `expected a ${what} name`);
      this.i++;
      parts.push(t.value);
    } while (this.isOp('.') && this.peek(1)?.type === 'name' && this.i++ >= 0);
    return parts.at(-1)!;
  }
}

/** The direct sub-expressions of a chain link. */
function children(e: Expr): Expr[] {
  switch (e.k) {
    case 'bin':
      return [e.left, e.right];
    case 'attr':
    case 'item':
    case 'slice':
      return [e.obj];
    case 'filter':
    case 'test':
      return [e.value, ...e.args.positional, ...e.args.keywords.map(([, v]) => v)];
    default:
      return [];
  }
}

/** Parses one expression's tokens. */
export function parseExpression(tokens: Token[], budget: Budget): Expr {
  return new ExprParser(tokens, budget).parseAll();
}

/** Parses `template` into nodes: text, `{{ }}` outputs and `{% if %}` blocks. */
export function parseTemplate(template: string, budget: Budget): TNode[] {
  const pieces = lexTemplate(template);
  budget.tick(pieces.length);
  let i = 0;
  const block = (depth: number, ends: string[]): { nodes: TNode[]; end?: string; endTokens?: Token[] } => {
    budget.checkDepth(depth, '{% if %} blocks');
    const nodes: TNode[] = [];
    while (i < pieces.length) {
      const p = pieces[i++]!;
      if (p.kind === 'text') nodes.push({ k: 'text', text: p.text });
      else if (p.kind === 'expr') nodes.push({ k: 'out', expr: parseExpression(p.tokens, budget) });
      else {
        const word = p.tokens[0]?.type === 'name' ? p.tokens[0].value : '';
        if (ends.includes(word)) return { nodes, end: word, endTokens: p.tokens.slice(1) };
        if (word !== 'if') throw new JinjaError('unsupported', `the statement ${p.source} is not supported by the built-in evaluator`);
        nodes.push(ifBlock(depth, p.tokens.slice(1)));
      }
    }
    return { nodes };
  };
  const ifBlock = (depth: number, first: Token[]): TNode => {
    const branches: { test: Expr | null; body: TNode[] }[] = [];
    let test: Expr | null = parseExpression(first, budget);
    for (;;) {
      const { nodes, end, endTokens } = block(depth + 1, ['elif', 'else', 'endif']);
      branches.push({ test, body: nodes });
      if (end === undefined) throw new JinjaError('invalid', 'an {% if %} has no {% endif %}');
      if (end === 'endif') return { k: 'if', branches };
      if (test === null) throw new JinjaError('invalid', 'an {% else %} is followed by another branch');
      test = end === 'elif' ? parseExpression(endTokens!, budget) : null;
    }
  };
  const { nodes, end } = block(0, []);
  if (end !== undefined) throw new JinjaError('invalid', `an {% ${end} %} without its {% if %}`);
  return nodes;
}

/** The expression of a Python literal (`[1, 'a']`, `{'k': True}`) in `text`, or undefined when it is not one. */
export function literalExpression(text: string, budget: Budget): Expr | undefined {
  try {
    const e = parseExpression(lexExpression(text), budget);
    return isLiteral(e) ? e : undefined;
  } catch (err) {
    if (err instanceof JinjaError && err.kind === 'limit') throw err;
    return undefined;
  }
}

function isLiteral(e: Expr): boolean {
  if (e.k === 'lit') return true;
  if (e.k === 'neg') return e.value.k === 'lit' && typeof e.value.value === 'number';
  if (e.k === 'list') return e.items.every(isLiteral);
  if (e.k === 'dict') return e.items.every(([k, v]) => isLiteral(k) && isLiteral(v));
  return false;
}
