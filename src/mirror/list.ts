import { readFile } from 'node:fs/promises';
import { AirlockError, ErrorCodes } from '../errors.js';
import { parseReference, type ImageReference } from '../ref/reference.js';

/** One image named in a mirror list, with the line it came from. */
export interface ListEntry {
  ref: ImageReference;
  /** The text as written, for messages and `--only`. */
  text: string;
  line: number;
}

/**
 * Parses a mirror list: one reference per line, `#` starts a comment, blank lines are
 * skipped. Every bad line is reported at once (LIST_INVALID, with file:line for each).
 */
export function parseList(text: string, file = '<list>'): ListEntry[] {
  const entries: ListEntry[] = [];
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const hash = raw.indexOf('#');
    const body = (hash >= 0 ? raw.slice(0, hash) : raw).trim();
    if (body === '') return;
    try {
      entries.push({ ref: parseReference(body), text: body, line: i + 1 });
    } catch (err) {
      problems.push(`${file}:${i + 1}: ${(err as Error).message}`);
    }
  });
  if (problems.length > 0) {
    throw new AirlockError(ErrorCodes.LIST_INVALID, `invalid image list:\n  ${problems.join('\n  ')}`, {
      file,
      problems,
    });
  }
  return entries;
}

/** Reads a mirror input (list, lock or image set) as text; an unreadable file is LIST_INVALID. */
export async function readInputText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new AirlockError(ErrorCodes.LIST_INVALID, `cannot read ${file}: ${(err as Error).message}`, { file });
  }
}

/** Reads and parses a list file; an unreadable file is LIST_INVALID. */
export async function readList(file: string): Promise<ListEntry[]> {
  return parseList(await readInputText(file), file);
}

/** The entries whose reference contains `only` (all without it); USAGE when none does. */
export function selectEntries(entries: ListEntry[], only: string | undefined, file: string): ListEntry[] {
  if (only === undefined) return entries;
  const kept = entries.filter((e) => e.text.includes(only));
  if (kept.length === 0) throw new AirlockError(ErrorCodes.USAGE, `--only "${only}" matches no image in ${file}`);
  return kept;
}
