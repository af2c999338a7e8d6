/**
 * Evaluates parsed Jinja expressions and templates against a scope of variables, with
 * Python's semantics as Ansible gives them. No `eval`, no `Function`: every operation is
 * spelled out here, and every step is counted against the import's budget.
 */
import { type CallArgs, type CallContext } from './jinja-call.js';
import { Budget, JinjaError, type JinjaWhere } from './jinja-errors.js';
import { FILTERS, checkSize } from './jinja-filters.js';
import { callMethod } from './jinja-methods.js';
import type { Args, Expr, TNode } from './jinja-parser.js';
import { pyPercentFormat, pySlice } from './jinja-strings.js';
import { TESTS } from './jinja-tests.js';
import { compare, contains, equal, isDict, need, pyStr, textKey, truthy, typeName, Undef, type JDict, type JValue } from './jinja-values.js';

/** Ansible's placeholder for `omit`; an omitted value counts as not given. */
export const OMIT = '__omit_place_holder__';

/** Names only Ansible knows at run time (facts, inventory); the hint says so when they are missing. */
const RUNTIME_NAMES = /^(groups|hostvars|inventory_hostname(_short)?|group_names|play_hosts|ansible_[a-z0-9_]+|playbook_dir|role_path|lookup|query)$/;

/** The variables an evaluation reads. */
export interface Scope {
  /** A variable's value, templated; an `Undef` when it is not defined. */
  lookup(name: string): JValue;
  /** Where a variable is defined (to report a problem with its value there). */
  whereOf(name: string): JinjaWhere | undefined;
}

/** Evaluates expressions and templates in one scope, spending one budget. */
export class Evaluator implements CallContext {
  constructor(
    private readonly scope: Scope,
    readonly budget: Budget,
  ) {}

  /**
   * A template's value, as Ansible gives it: a template that is one `{{ expression }}` keeps
   * the expression's type (None becomes '', numbers become text); anything else is text.
   * Either way, text reading `True`/`False` or a Python list/dict literal becomes that value.
   */
  template(nodes: TNode[], literal: (text: string) => JValue): JValue {
    if (nodes.length === 1 && nodes[0]!.k === 'out') {
      const v = need(this.expr(nodes[0]!.expr));
      if (v === null) return '';
      if (typeof v === 'number') return pyStr(v);
      return typeof v === 'string' ? literal(v) : v;
    }
    const parts: string[] = [];
    let length = 0;
    this.render(nodes, parts, (n) => {
      length += n;
      this.budget.checkLength(length);
    });
    return literal(parts.join(''));
  }

  private render(nodes: TNode[], out: string[], grow: (n: number) => void): void {
    for (const node of nodes) {
      this.budget.tick();
      if (node.k === 'text') {
        out.push(node.text);
        grow(node.text.length);
      } else if (node.k === 'out') {
        const s = this.text(node.expr);
        out.push(s);
        grow(s.length);
      } else {
        const branch = node.branches.find((b) => b.test === null || truthy(this.expr(b.test)));
        if (branch) this.render(branch.body, out, grow);
      }
    }
  }

  /** An output's text inside a larger template: None is empty; a dict or list is not text (it is a mistake in an image reference). */
  private text(e: Expr): string {
    const v = need(this.expr(e));
    if (v === null) return '';
    if (typeof v === 'object') {
      const err = new JinjaError('invalid', `is a ${isDict(v) ? 'dict' : 'list'}, used inside text`);
      // Say so where the dict or list is defined, when the output names it directly.
      if (e.k === 'name') {
        const where = this.scope.whereOf(e.name);
        if (where) err.where = where;
      }
      throw err;
    }
    return pyStr(v);
  }

  /** The value of an expression. */
  expr(e: Expr): JValue {
    this.budget.tick();
    switch (e.k) {
      case 'lit':
        return e.value;
      case 'name':
        return this.name(e.name);
      case 'list':
        return e.items.map((x) => this.expr(x));
      case 'dict': {
        const d: JDict = new Map();
        for (const [k, v] of e.items) d.set(textKey(this.expr(k)), this.expr(v));
        return d;
      }
      case 'attr':
        return this.attribute(this.expr(e.obj), e.name, e.obj);
      case 'item':
        return this.item(this.expr(e.obj), this.expr(e.key), e.obj);
      case 'slice':
        return this.slice(e);
      case 'call':
        return this.call(e.fn, this.args(e.args));
      case 'filter':
        return this.filter(e.name, this.expr(e.value), this.args(e.args));
      case 'test': {
        const result = this.test(e.name, this.expr(e.value), this.args(e.args));
        return e.negate ? !result : result;
      }
      case 'not':
        return !truthy(this.expr(e.value));
      case 'neg': {
        const v = need(this.expr(e.value));
        if (typeof v !== 'number' && typeof v !== 'boolean') throw new JinjaError('invalid', `bad operand for unary ${e.op}: ${typeName(v)}`);
        return e.op === '-' ? -Number(v) : Number(v);
      }
      case 'bin':
        return this.binary(e.op, e.left, e.right);
      case 'cmp':
        return this.compareChain(e);
      case 'cond':
        if (truthy(this.expr(e.test))) return this.expr(e.then);
        return e.otherwise ? this.expr(e.otherwise) : new Undef('the inline if is false and has no else');
    }
  }

  private name(name: string): JValue {
    const v = this.scope.lookup(name);
    if (v instanceof Undef && !v.cause) {
      if (name === 'omit') return OMIT;
      if (RUNTIME_NAMES.test(name)) {
        return new Undef(`'${name}' is undefined (Ansible sets it at run time: use --ansible with --inventory)`, name);
      }
    }
    return v;
  }

  private args(args: Args): CallArgs {
    return {
      positional: args.positional.map((a) => this.expr(a)),
      keywords: new Map(args.keywords.map(([k, v]) => [k, this.expr(v)])),
    };
  }

  /** What to call a container in a message: the variable's name, or its type. */
  private label(obj: Expr, value: JValue): string {
    return obj.k === 'name' ? `'${obj.name}'` : typeName(value);
  }

  private attribute(obj: JValue, name: string, objExpr: Expr): JValue {
    if (obj instanceof Undef) return obj;
    if (obj instanceof Map) return obj.has(name) ? obj.get(name)! : new Undef(`${this.label(objExpr, obj)} has no attribute '${name}'`);
    return new Undef(`${this.label(objExpr, obj)} (${typeName(obj)}) has no attribute '${name}'`);
  }

  private item(obj: JValue, key: JValue, objExpr: Expr): JValue {
    if (obj instanceof Undef) return obj;
    if (key instanceof Undef) return key;
    if (obj instanceof Map) {
      const k = textKey(key);
      return obj.has(k) ? obj.get(k)! : new Undef(`${this.label(objExpr, obj)} has no key '${k}'`);
    }
    if (Array.isArray(obj) || typeof obj === 'string') {
      if (typeof key !== 'number' || !Number.isInteger(key)) return new Undef(`${this.label(objExpr, obj)} has no item ${pyStr(key)}`);
      const i = key < 0 ? obj.length + key : key;
      const v = obj[i];
      return v === undefined ? new Undef(`${this.label(objExpr, obj)} has no item ${key} (index out of range)`) : v;
    }
    return new Undef(`${this.label(objExpr, obj)} (${typeName(obj)}) has no item ${pyStr(key)}`);
  }

  private slice(e: Extract<Expr, { k: 'slice' }>): JValue {
    const obj = need(this.expr(e.obj));
    const bound = (x?: Expr): number | null => {
      if (!x) return null;
      const v = need(this.expr(x));
      if (v === null) return null;
      if (typeof v !== 'number' || !Number.isInteger(v)) throw new JinjaError('invalid', 'slice bounds must be integers');
      return v;
    };
    const [a, b, c] = [bound(e.start), bound(e.stop), bound(e.step)];
    if (typeof obj === 'string') return pySlice([...obj], a, b, c).join('');
    if (Array.isArray(obj)) return pySlice(obj, a, b, c);
    throw new JinjaError('invalid', `${typeName(obj)} cannot be sliced`);
  }

  private call(fn: Expr, args: CallArgs): JValue {
    if (fn.k === 'attr') return callMethod(this.expr(fn.obj), fn.name, args, this);
    if (fn.k === 'name') {
      if (fn.name === 'range') return this.range(args);
      if (fn.name === 'dict') return new Map(args.keywords);
      if (['lookup', 'query', 'q'].includes(fn.name)) {
        throw new JinjaError('unsupported', `${fn.name}() runs Ansible plugins; only Ansible can evaluate it`);
      }
      throw new JinjaError('unsupported', `the function ${fn.name}() is not supported by the built-in evaluator`);
    }
    throw new JinjaError('unsupported', 'only methods and a few functions can be called by the built-in evaluator');
  }

  private range(args: CallArgs): JValue {
    const n = args.positional.map((a) => need(a));
    if (n.length === 0 || n.length > 3 || n.some((x) => typeof x !== 'number' || !Number.isInteger(x))) {
      throw new JinjaError('invalid', 'range() takes 1 to 3 integers');
    }
    const [start, stop, step] = n.length === 1 ? [0, n[0] as number, 1] : [n[0] as number, n[1] as number, (n[2] as number | undefined) ?? 1];
    if (step === 0) throw new JinjaError('invalid', 'range() step cannot be zero');
    this.budget.checkItems(Math.max(0, Math.ceil((stop - start) / step)));
    const out: number[] = [];
    for (let i = start; step > 0 ? i < stop : i > stop; i += step) out.push(i);
    return out;
  }

  filter(name: string, value: JValue, args: CallArgs): JValue {
    const f = FILTERS[name];
    if (!f) throw new JinjaError('unsupported', `the filter "${name}" is not supported by the built-in evaluator`);
    return checkSize(f(value, args, this), this);
  }

  test(name: string, value: JValue, args: CallArgs): boolean {
    const t = TESTS[name];
    if (!t) throw new JinjaError('unsupported', `the test "${name}" is not supported by the built-in evaluator`);
    return t(value, args, this);
  }

  private binary(op: string, left: Expr, right: Expr): JValue {
    if (op === 'and') {
      const l = this.expr(left);
      return truthy(l) ? this.expr(right) : l;
    }
    if (op === 'or') {
      const l = this.expr(left);
      return truthy(l) ? l : this.expr(right);
    }
    const l = need(this.expr(left));
    const r = need(this.expr(right));
    if (op === '~') {
      const a = pyStr(l);
      const b = pyStr(r);
      this.budget.checkLength(a.length + b.length);
      return a + b;
    }
    return arithmetic(op, l, r, this.budget);
  }

  private compareChain(e: Extract<Expr, { k: 'cmp' }>): JValue {
    let left = this.expr(e.first);
    for (const [op, rightExpr] of e.rest) {
      const right = this.expr(rightExpr);
      if (!compareOp(op, left, right)) return false;
      left = right;
    }
    return true;
  }
}

function compareOp(op: string, a: JValue, b: JValue): boolean {
  switch (op) {
    case '==':
      return equal(a, b);
    case '!=':
      return !equal(a, b);
    case 'in':
      return contains(b, a);
    case 'not in':
      return !contains(b, a);
    case '<':
      return compare(a, b) < 0;
    case '<=':
      return compare(a, b) <= 0;
    case '>':
      return compare(a, b) > 0;
    default:
      return compare(a, b) >= 0;
  }
}

type Defined = Exclude<JValue, Undef>;

function arithmetic(op: string, l: Defined, r: Defined, budget: Budget): JValue {
  const num = (v: Defined) => (typeof v === 'number' ? v : typeof v === 'boolean' ? Number(v) : undefined);
  const a = num(l);
  const b = num(r);
  if (op === '+') {
    if (a !== undefined && b !== undefined) return a + b;
    if (typeof l === 'string' && typeof r === 'string') {
      budget.checkLength(l.length + r.length);
      return l + r;
    }
    if (Array.isArray(l) && Array.isArray(r)) {
      budget.checkItems(l.length + r.length);
      return [...l, ...r];
    }
  } else if (op === '*') {
    if (a !== undefined && b !== undefined) return a * b;
    const [seq, times] = typeof r === 'number' ? [l, r] : [r, a];
    if (times !== undefined && Number.isInteger(times) && (typeof seq === 'string' || Array.isArray(seq))) {
      const n = Math.max(0, times);
      if (typeof seq === 'string') {
        budget.checkLength(seq.length * n);
        return seq.repeat(n);
      }
      budget.checkItems(seq.length * n);
      return Array.from({ length: n }, () => seq).flat();
    }
  } else if (op === '%' && typeof l === 'string') {
    return budget.text(pyPercentFormat(l, Array.isArray(r) ? r : [r]));
  } else if (a !== undefined && b !== undefined) {
    if ((op === '/' || op === '//' || op === '%') && b === 0) throw new JinjaError('invalid', 'division by zero');
    if (op === '-') return a - b;
    if (op === '/') return a / b;
    if (op === '//') return Math.floor(a / b);
    if (op === '%') return a - b * Math.floor(a / b);
    if (op === '**') return a ** b;
  }
  throw new JinjaError('invalid', `unsupported operand types for ${op}: ${typeName(l)} and ${typeName(r)}`);
}

