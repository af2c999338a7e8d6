import type * as z from 'zod/mini';
import { AirlockError, ErrorCodes } from '../errors.js';

/** One thing wrong with an image set file, with where it is (1-based; absent when unknown). */
export interface ImageSetProblem {
  /** Dotted path of the value (`images.nova_api.ref`, `rules.2.set`); empty for the whole file. */
  path: string;
  line?: number;
  col?: number;
  message: string;
}

/** Maps a value path to its position in the source; `key` asks for the key of that entry. */
export type Locate = (path: readonly PropertyKey[], key?: boolean) => { line: number; col: number } | undefined;

type Issue = z.core.$ZodIssue;

function typeName(v: unknown): string {
  if (v === null || v === undefined) return 'an empty value';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `a ${typeof v}`;
}

const EXPECTED: Record<string, string> = { object: 'a mapping', array: 'a list', record: 'a mapping', null: 'an empty value' };
const expectedName = (e: string): string => EXPECTED[e] ?? `a ${e}`;

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const seg of path) v = v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[seg] : undefined;
  return v;
}

/** True when a union branch failed only because the value has another type altogether. */
function typeMismatchOnly(branch: Issue[]): boolean {
  return branch.length > 0 && branch.every((i) => i.code === 'invalid_type' && i.path.length === 0);
}

/** Flattens one zod issue into (path, key?, message) entries, picking the union branch the user meant. */
function flatten(issue: Issue, root: unknown, prefix: PropertyKey[] = []): { path: PropertyKey[]; key: boolean; message: string }[] {
  const path = [...prefix, ...issue.path];
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((k) => ({ path: [...path, k], key: true, message: `unknown key "${k}"` }));
    case 'invalid_key':
      return [{ path, key: true, message: issue.issues[0]?.message ?? issue.message }];
    case 'invalid_type': {
      const got = valueAt(root, path);
      if (got === undefined) return [{ path, key: false, message: `missing (expected ${expectedName(issue.expected)})` }];
      return [{ path, key: false, message: `expected ${expectedName(issue.expected)}, got ${typeName(got)}` }];
    }
    case 'invalid_union': {
      const meant = issue.errors.filter((b) => !typeMismatchOnly(b));
      if (meant.length === 1) return meant[0]!.flatMap((i) => flatten(i, root, path));
      const kinds = issue.errors.flatMap((b) => b.map((i) => (i.code === 'invalid_type' ? expectedName(i.expected) : '')));
      const list = [...new Set(kinds.filter(Boolean))];
      const expected = list.length > 1 ? `${list.slice(0, -1).join(', ')} or ${list.at(-1)}` : (list[0] ?? 'another value');
      return [{ path, key: false, message: `expected ${expected}, got ${typeName(valueAt(root, path))}` }];
    }
    default:
      return [{ path, key: false, message: issue.message }];
  }
}

/** `images.nova_api.ref`; keys that hold dots are quoted: `credentials."quay.io"`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.map((s) => (/^[A-Za-z0-9_-]+$/.test(String(s)) ? String(s) : JSON.stringify(String(s)))).join('.');
}

/** Turns zod issues into problems with source positions, sorted by position. */
export function issuesToProblems(issues: readonly Issue[], root: unknown, locate?: Locate): ImageSetProblem[] {
  const problems = issues
    .flatMap((i) => flatten(i, root))
    .map(({ path, key, message }) => {
      const at = locate?.(path, key);
      return { path: formatPath(path), ...(at ? { line: at.line, col: at.col } : {}), message };
    });
  return sortProblems(problems);
}

/** Sorts problems by line and column (unknown positions last), keeping the order of ties. */
export function sortProblems(problems: ImageSetProblem[]): ImageSetProblem[] {
  const big = Number.MAX_SAFE_INTEGER;
  return [...problems].sort((a, b) => (a.line ?? big) - (b.line ?? big) || (a.col ?? big) - (b.col ?? big));
}

/** `file:line:col: path: message`, the shape editors and terminals turn into links. */
export function formatProblem(file: string, p: ImageSetProblem): string {
  const where = p.line !== undefined ? `${file}:${p.line}:${p.col ?? 1}` : file;
  return `${where}: ${p.path ? `${p.path}: ` : ''}${p.message}`;
}

/** The IMAGESET_INVALID error for one or more problems; details {file, line, problems}. */
export function invalidImageSet(file: string, problems: ImageSetProblem[]): AirlockError {
  const lines = problems.map((p) => formatProblem(file, p));
  const message = lines.length === 1 ? lines[0]! : `${problems.length} problems in ${file}:\n${lines.join('\n')}`;
  return new AirlockError(ErrorCodes.IMAGESET_INVALID, message, { file, line: problems[0]?.line, problems });
}
