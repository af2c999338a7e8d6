import { readFile } from 'node:fs/promises';
import { AirlockError, ErrorCodes } from '../errors.js';
import { diffLocks, isEmptyDiff, type LockDiff } from './diff.js';
import { parseLock } from './parse.js';
import type { LockFile } from './types.js';
import { formatLock } from './write.js';

/** How an existing lock file compares with a freshly resolved lock. */
export interface LockCheck {
  /** True when the file holds exactly the bytes `formatLock(fresh)` gives. */
  upToDate: boolean;
  /** False when there is no file at all. */
  exists: boolean;
  /** What changed from the file to the fresh lock (empty when only the formatting differs). */
  diff: LockDiff;
  /** Why it is not up to date: no file, the same images written differently, or images changed. */
  reason?: 'missing' | 'formatting' | 'changed';
}

/**
 * A one-line explanation of a stale check for the operator, with the command that fixes it
 * (`resolveCommand`, e.g. `airlock resolve images.yaml -o images.lock.yaml`).
 */
export function staleMessage(file: string, check: LockCheck, resolveCommand: string): string {
  const why = check.reason === 'missing' ? 'does not exist' : check.reason === 'formatting' ? 'is formatted differently' : 'is stale';
  return `${file} ${why}: run ${resolveCommand}`;
}

/**
 * Compares the lock file `file` with `fresh`: up to date only when byte-identical to
 * `formatLock(fresh)`. A missing file counts as stale, with every image added; a file
 * that is not a valid lock throws LOCK_INVALID.
 */
export async function checkLock(file: string, fresh: LockFile): Promise<LockCheck> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') {
      throw new AirlockError(ErrorCodes.LOCK_INVALID, `cannot read lock file ${file}: ${code ?? String(err)}`, { file }, { cause: err });
    }
    return { upToDate: false, exists: false, diff: diffLocks({ version: fresh.version, images: {} }, fresh), reason: 'missing' };
  }
  if (text === formatLock(fresh)) return { upToDate: true, exists: true, diff: diffLocks(fresh, fresh) };
  const old = parseLock(text, file);
  const diff = diffLocks(old, fresh);
  return { upToDate: false, exists: true, diff, reason: isEmptyDiff(diff) ? 'formatting' : 'changed' };
}
