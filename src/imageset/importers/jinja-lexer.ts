/**
 * Splits a template into text, `{{ expression }}` and `{% statement %}` pieces, and each
 * tag into tokens. Whitespace control (`{{-`, `-}}`, `{%-`, `-%}`) and Ansible's
 * `trim_blocks` (the newline after a `%}` is dropped) are applied here; comments vanish.
 */
import { JinjaError } from './jinja-errors.js';

/** One token of an expression. */
export interface Token {
  type: 'name' | 'string' | 'number' | 'op';
  value: string;
  /** The number, for `number` tokens. */
  num?: number;
}

/** A piece of a template. */
export type Piece = { kind: 'text'; text: string } | { kind: 'expr' | 'stmt'; tokens: Token[]; source: string };

const OPERATORS = ['//', '**', '==', '!=', '<=', '>=', '+', '-', '*', '/', '%', '~', '<', '>', '=', '|', '.', ',', ':', '(', ')', '[', ']', '{', '}'];
const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;
const NUMBER = /[0-9][0-9_]*(?:\.[0-9][0-9_]*)?(?:[eE][+-]?[0-9]+)?/y;
const OPENERS = new Set(['(', '[', '{']);
const CLOSERS = new Set([')', ']', '}']);
/** Escapes Jinja (Python) processes in string literals inside `{% %}`; Ansible keeps `{{ }}` backslashes as written. */
const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"' };

/** True when `text` holds any Jinja syntax (else it is plain text, as Ansible treats it). */
export function isTemplate(text: string): boolean {
  return text.includes('{{') || text.includes('{%') || text.includes('{#');
}

/** The pieces of `template`, or a JinjaError (`invalid`) for an unterminated tag or string. */
export function lexTemplate(template: string): Piece[] {
  const pieces: Piece[] = [];
  let text = '';
  let pos = 0;
  let stripNext = false;
  let trimNewline = false;
  const flushText = (lstrip: boolean) => {
    if (lstrip) text = text.trimEnd();
    if (text !== '') pieces.push({ kind: 'text', text });
    text = '';
  };
  const opener = /\{[{%#]/g;
  while (pos < template.length) {
    opener.lastIndex = pos;
    const open = opener.exec(template)?.index ?? -1;
    const chunkEnd = open < 0 ? template.length : open;
    let chunk = template.slice(pos, chunkEnd);
    if (stripNext) chunk = chunk.trimStart();
    else if (trimNewline) chunk = chunk.replace(/^\r?\n/, '');
    stripNext = false;
    trimNewline = false;
    text += chunk;
    if (open < 0) break;
    const kind = template[chunkEnd + 1]!;
    let at = chunkEnd + 2;
    const lstrip = template[at] === '-';
    if (lstrip || template[at] === '+') at++;
    if (kind === '#') {
      const end = template.indexOf('#}', at);
      if (end < 0) throw new JinjaError('invalid', 'a {# comment #} is not closed');
      flushText(lstrip);
      stripNext = template[end - 1] === '-';
      pos = end + 2;
      continue;
    }
    flushText(lstrip);
    const close = kind === '{' ? '}}' : '%}';
    const { tokens, end, rstrip } = lexTag(template, at, close, kind === '%');
    pieces.push({ kind: kind === '{' ? 'expr' : 'stmt', tokens, source: template.slice(chunkEnd, end) });
    stripNext = rstrip;
    trimNewline = kind === '%' && !rstrip;
    pos = end;
  }
  flushText(false);
  return pieces;
}

/** Tokens of one tag from `pos` up to its closing delimiter (outside brackets and strings). */
function lexTag(src: string, pos: number, close: string, statement: boolean): { tokens: Token[]; end: number; rstrip: boolean } {
  const tokens: Token[] = [];
  let depth = 0;
  let i = pos;
  for (;;) {
    while (i < src.length && /\s/.test(src[i]!)) i++;
    if (i >= src.length) throw new JinjaError('invalid', `a tag is not closed with ${close}`);
    if (depth === 0 && src.startsWith(`-${close}`, i)) return { tokens, end: i + 3, rstrip: true };
    if (depth === 0 && src.startsWith(close, i)) return { tokens, end: i + 2, rstrip: false };
    const c = src[i]!;
    if (c === "'" || c === '"') {
      const { value, end } = lexString(src, i, statement);
      tokens.push({ type: 'string', value });
      i = end;
      continue;
    }
    NAME.lastIndex = i;
    const name = NAME.exec(src);
    if (name) {
      tokens.push({ type: 'name', value: name[0] });
      i += name[0].length;
      continue;
    }
    // After a `.`, digits are an attribute (`list.0`), never a float (`list.0.1`).
    const afterDot = tokens.at(-1)?.type === 'op' && tokens.at(-1)!.value === '.';
    const number = afterDot ? /[0-9]+/y : NUMBER;
    number.lastIndex = i;
    const num = number.exec(src);
    if (num) {
      const text = num[0].replace(/_/g, '');
      tokens.push({ type: 'number', value: num[0], num: Number(text) });
      i += num[0].length;
      continue;
    }
    const op = OPERATORS.find((o) => src.startsWith(o, i));
    if (!op) throw new JinjaError('invalid', `unexpected character ${JSON.stringify(c)}`);
    if (OPENERS.has(op)) depth++;
    if (CLOSERS.has(op)) depth = Math.max(0, depth - 1);
    tokens.push({ type: 'op', value: op });
    i += op.length;
  }
}

function lexString(src: string, start: number, processEscapes: boolean): { value: string; end: number } {
  const q = src[start]!;
  let value = '';
  for (let i = start + 1; i < src.length; i++) {
    const c = src[i]!;
    if (c === q) return { value, end: i + 1 };
    if (c === '\\' && i + 1 < src.length) {
      const next = src[i + 1]!;
      if (next === q) {
        value += q;
        i++;
        continue;
      }
      if (processEscapes && ESCAPES[next] !== undefined) {
        value += ESCAPES[next];
        i++;
        continue;
      }
    }
    value += c;
  }
  throw new JinjaError('invalid', 'a string is not closed');
}

/** Tokens of a bare expression (no `{{ }}`), as `literal_eval`-like conversions need. */
export function lexExpression(src: string): Token[] {
  const { tokens, end } = lexTag(`${src} }}`, 0, '}}', false);
  if (end !== src.length + 3) throw new JinjaError('invalid', 'unexpected }} in an expression');
  return tokens;
}
