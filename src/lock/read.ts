import { readFile } from 'node:fs/promises';
import jsyaml from 'js-yaml';
import { AirlockError, ErrorCodes } from '../errors.js';
import { validateLock } from './schema.js';
import type { LockFile } from './types.js';

/** The lock when `text` is a plain, valid lock; undefined when it needs the careful path. */
export function fastLock(text: string): LockFile | undefined {
  let data: unknown;
  try {
    data = jsyaml.load(text, { schema: jsyaml.CORE_SCHEMA });
  } catch {
    return undefined;
  }
  if (sharesNodes(data)) return undefined;
  const giveUp = (): AirlockError => new AirlockError(ErrorCodes.LOCK_INVALID, 'not a plain lock');
  try {
    return validateLock(data, giveUp);
  } catch {
    return undefined;
  }
}

/** True when some object is reachable twice (YAML aliases): such data goes the bounded path. */
function sharesNodes(data: unknown): boolean {
  const seen = new Set<object>();
  const stack: unknown[] = [data];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v === null || typeof v !== 'object') continue;
    if (seen.has(v)) return true;
    seen.add(v);
    for (const child of Object.values(v)) stack.push(child);
  }
  return false;
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
