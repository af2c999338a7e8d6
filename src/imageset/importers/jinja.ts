import { importError } from './source.js';

/** One variable of a vars file: its raw value (null for `~`/empty, `complex` for a map or list). */
export interface Variable {
  name: string;
  file: string;
  line?: number;
  value: string | null | { complex: true };
}

/** What an expression evaluates to: undefined (no such variable), null (None) or text. */
type Value = { defined: false } | { defined: true; text: string | null };

type Token = { kind: 'ident' | 'string' | 'number' | 'punct'; text: string };

const TOKEN_RE = /\s*(?:([A-Za-z_][A-Za-z0-9_]*)|'([^']*)'|"([^"]*)"|(-?[0-9][0-9.]*)|([|(),=]))/y;
const NONE = new Set(['None', 'none', 'null', 'omit']);
const TRUE = new Set(['true', 'True']);

/**
 * Resolves Ansible variables that use the simple part of Jinja: `{{ var }}` substitutions
 * inside text, string literals, and the filters `default`/`d` (literal, variable or None
 * argument, optional `true` second argument), `string` and `trim`. Anything else (`{% %}`,
 * tests, conditionals, other filters), an undefined variable or a cycle is IMPORT_INVALID
 * naming the variable and its line. Variables are resolved lazily, so complex ones that no
 * image uses do no harm.
 */
export class JinjaResolver {
  private readonly done = new Map<string, string | null>();
  private readonly active: string[] = [];

  constructor(private readonly vars: ReadonlyMap<string, Variable>) {}

  /** True when the variable exists. */
  has(name: string): boolean {
    return this.vars.has(name);
  }

  /** The rendered value of a defined variable (null for None/empty). */
  resolve(name: string): string | null {
    const cached = this.done.get(name);
    if (cached !== undefined) return cached;
    const v = this.vars.get(name);
    if (!v) throw new Error(`internal: resolve(${name}) of an undefined variable`);
    if (this.active.includes(name)) {
      throw this.fail(v, `refers to itself: ${[...this.active.slice(this.active.indexOf(name)), name].join(' -> ')}`);
    }
    if (v.value !== null && typeof v.value === 'object') throw this.fail(v, 'is a map or list, not a string');
    this.active.push(name);
    try {
      const text = v.value === null ? null : this.render(v, v.value);
      this.done.set(name, text);
      return text;
    } finally {
      this.active.pop();
    }
  }

  private fail(v: Variable, message: string) {
    return importError(v.file, v.line, `variable ${v.name} ${message}`, { variable: v.name });
  }

  private render(v: Variable, text: string): string | null {
    if (/\{%|\{#/.test(text)) throw this.fail(v, 'uses Jinja statements or comments, which airlock import cannot evaluate');
    const whole = /^\{\{(.*?)\}\}$/s.exec(text);
    if (whole && !whole[1]!.includes('}}')) return this.expression(v, whole[1]!);
    return text.replace(/\{\{(.*?)\}\}/gs, (_m, expr: string) => this.expression(v, expr) ?? '');
  }

  /** Evaluates `term (| filter)*`; the result must be defined. */
  private expression(v: Variable, source: string): string | null {
    const tokens = tokenize(source);
    if (!tokens) throw this.fail(v, `has an expression airlock import cannot evaluate: {{${source}}}`);
    let i = 0;
    const next = () => tokens[i++];
    const first = next();
    if (!first || first.kind === 'punct') {
      throw this.fail(v, `has an expression airlock import cannot evaluate: {{${source}}}`);
    }
    let value = this.term(first);
    while (i < tokens.length) {
      const bar = next()!;
      const filter = next();
      if (bar.text !== '|' || !filter || filter.kind !== 'ident') {
        throw this.fail(v, `has an expression airlock import cannot evaluate: {{${source}}}`);
      }
      const args: Token[] = [];
      if (tokens[i]?.text === '(') {
        i++;
        while (tokens[i] && tokens[i]!.text !== ')') {
          const t = next()!;
          if (t.text === ',') continue;
          if (t.text === '=' || tokens[i]?.text === '=') continue; // keyword argument names (boolean=true)
          args.push(t);
        }
        if (next()?.text !== ')') throw this.fail(v, `has an unclosed filter call: {{${source}}}`);
      }
      value = this.filter(v, value, filter.text, args, source);
    }
    if (!value.defined) {
      throw this.fail(v, `uses undefined variable ${first.text} (define it in a file given to airlock import)`);
    }
    return value.text;
  }

  private term(t: Token): Value {
    if (t.kind === 'string' || t.kind === 'number') return { defined: true, text: t.text };
    if (NONE.has(t.text)) return { defined: true, text: null };
    if (!this.vars.has(t.text)) return { defined: false };
    return { defined: true, text: this.resolve(t.text) };
  }

  private filter(v: Variable, value: Value, name: string, args: Token[], source: string): Value {
    switch (name) {
      case 'default':
      case 'd': {
        const fallbackOnEmpty = args[1] !== undefined && TRUE.has(args[1].text);
        const empty = value.defined && (value.text === null || value.text === '');
        if (value.defined && !(fallbackOnEmpty && empty)) return value;
        const arg = args[0];
        if (!arg) return { defined: true, text: '' };
        const fallback = this.term(arg);
        if (!fallback.defined) throw this.fail(v, `uses undefined variable ${arg.text} in default()`);
        return fallback;
      }
      case 'string':
        return value.defined ? { defined: true, text: value.text ?? 'None' } : value;
      case 'trim':
        return value.defined && value.text !== null ? { defined: true, text: value.text.trim() } : value;
      default:
        throw this.fail(v, `uses the Jinja filter "${name}", which airlock import cannot evaluate: {{${source}}}`);
    }
  }
}

/** Splits an expression into tokens, or null when something is not understood. */
function tokenize(source: string): Token[] | null {
  const tokens: Token[] = [];
  TOKEN_RE.lastIndex = 0;
  while (TOKEN_RE.lastIndex < source.length) {
    if (/^\s*$/.test(source.slice(TOKEN_RE.lastIndex))) break;
    const m = TOKEN_RE.exec(source);
    if (!m) return null;
    if (m[1] !== undefined) tokens.push({ kind: 'ident', text: m[1] });
    else if (m[2] !== undefined || m[3] !== undefined) tokens.push({ kind: 'string', text: (m[2] ?? m[3])! });
    else if (m[4] !== undefined) tokens.push({ kind: 'number', text: m[4] });
    else tokens.push({ kind: 'punct', text: m[5]! });
  }
  return tokens;
}
