import { readFile } from 'node:fs/promises';
import { AirlockError, ErrorCodes } from '../errors.js';
import { fastYaml } from '../yaml/fast.js';
import { validateLock } from './schema.js';
import type { LockFile } from './types.js';

/** The lock when `text` is a plain, valid lock; undefined when it needs the careful path. */
export function fastLock(text: string): LockFile | undefined {
  const read = fastYaml(text);
  if (!read) return undefined;
  const data = read.data;
  const giveUp = (): AirlockError => new AirlockError(ErrorCodes.LOCK_INVALID, 'not a plain lock');
  try {
    return validateLock(data, giveUp);
  } catch {
    return undefined;
  }
}

/**
 * Reads and validates a lock file (see `parseLock`): a plain lock by the fast path, anything
 * else by the careful one, loaded only then. An unreadable file is LOCK_INVALID too.
 */
export async function readLock(file: string): Promise<LockFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new AirlockError(ErrorCodes.LOCK_INVALID, `cannot read lock file ${file}: ${why}`, { file }, { cause: err });
  }
  return fastLock(text) ?? (await import('./parse.js')).parseLock(text, file);
}
