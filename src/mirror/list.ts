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

/** Reads and parses a list file; an unreadable file is LIST_INVALID. */
export async function readList(file: string): Promise<ListEntry[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new AirlockError(ErrorCodes.LIST_INVALID, `cannot read image list ${file}: ${(err as Error).message}`, {
      file,
    });
  }
  return parseList(text, file);
}
