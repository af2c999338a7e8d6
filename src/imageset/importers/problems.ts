/**
 * Everything an import could not evaluate, collected so one run reports every problem:
 * one line each with file:line, the variable, the expression (cut short) and how to supply
 * what is missing. The import fails with IMPORT_INVALID listing them all.
 */
import { AirlockError, clip, ErrorCodes } from '../../errors.js';
import type { JinjaError, JinjaWhere } from './jinja.js';

/** One thing the import could not evaluate or accept. */
export interface Problem {
  file: string;
  line?: number;
  /** The variable (or `downloads.NAME.FIELD`) whose value it is. */
  variable: string;
  expression?: string;
  message: string;
  kind: 'undefined' | 'unsupported' | 'invalid' | 'cycle';
  /** The missing variable, when one is missing. */
  undefinedName?: string;
}

/** Problems listed in one error at most; the rest are counted. */
const MAX_LISTED = 100;
/** Characters of an expression or value quoted in a message. */
export const QUOTE_MAX = 200;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A problem from an evaluation error, placed where the error happened (else at `where`). */
export function problemOf(err: JinjaError, where: JinjaWhere): Problem {
  const at = err.where ?? where;
  return {
    file: at.file,
    ...(at.line ? { line: at.line } : {}),
    variable: at.variable,
    expression: at.expression,
    message: err.message,
    kind: err.kind === 'limit' ? 'invalid' : err.kind,
    ...(err.undefinedName ? { undefinedName: err.undefinedName } : {}),
  };
}

/** How the operator can supply what a problem needs. */
function hint(p: Problem): string {
  const names = [p.undefinedName, p.variable].filter((n): n is string => n !== undefined && IDENTIFIER.test(n));
  const set = [...new Set(names)].map((n) => `--set ${n}=VALUE`).join(' or ');
  if (p.kind === 'undefined') {
    return `supply it with ${set || '--set NAME=VALUE'}, give the file that defines it, or give your inventory (--inventory DIR; Ansible reads all of it)`;
  }
  if (p.kind === 'unsupported') return `evaluate with Ansible (install ansible-core, or --ansible always)${set ? `, or give the value with ${set}` : ''}`;
  return set ? `fix it, or give the value with ${set}` : 'fix it';
}

/** One line: `file:line: variable: message in {{ expression }}; hint`. */
export function problemLine(p: Problem): string {
  const where = p.line ? `${p.file}:${p.line}` : p.file;
  const expr = p.expression !== undefined && p.expression !== '' ? ` (in ${JSON.stringify(clip(p.expression, QUOTE_MAX))})` : '';
  return `${where}: ${p.variable}: ${clip(p.message, QUOTE_MAX * 2)}${expr}; ${hint(p)}`;
}

/** Collects problems, each once (a variable used by many images fails once). */
export class Problems {
  private readonly seen = new Set<string>();
  readonly list: Problem[] = [];

  add(p: Problem): void {
    const key = `${p.file}\0${p.line ?? ''}\0${p.variable}\0${p.message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.list.push(p);
  }

  /** Throws IMPORT_INVALID listing every problem (in `tool`'s variables), when there is any. */
  throwIfAny(tool?: string): void {
    if (this.list.length > 0) throw importFailure(this.list, tool);
  }
}

/**
 * IMPORT_INVALID for `problems` (at least one): one problem reads `file:line: variable: ...`;
 * several are listed one per line under a count. Details carry the first problem's file,
 * line and variable, and every problem.
 */
export function importFailure(problems: Problem[], tool = 'Kubespray'): AirlockError {
  const first = problems[0]!;
  const lines = problems.slice(0, MAX_LISTED).map(problemLine);
  if (problems.length > MAX_LISTED) lines.push(`... and ${problems.length - MAX_LISTED} more`);
  const message = problems.length === 1 ? lines[0]! : `${problems.length} problems in the ${tool} variables:\n  ${lines.join('\n  ')}`;
  return new AirlockError(ErrorCodes.IMPORT_INVALID, message, {
    file: first.file,
    ...(first.line ? { line: first.line } : {}),
    variable: first.variable,
    problems: problems.map((p) => ({ file: p.file, ...(p.line ? { line: p.line } : {}), variable: p.variable, kind: p.kind, message: clip(p.message, QUOTE_MAX * 2) })),
  });
}
