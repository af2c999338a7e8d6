import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import lockfile from 'proper-lockfile';
import { AirlockError, ErrorCodes } from '../../errors.js';
import { storeIo } from './fsutil.js';

// Writers in this process queue here first, so they do not poll the lock file against each other.
const chains = new Map<string, Promise<unknown>>();

/** Thrown inside a locked section when the lock was lost (e.g. the process stalled past `stale`). */
function compromised(lockPath: string, cause: unknown): AirlockError {
  return new AirlockError(ErrorCodes.STORE_IO, `lock ${lockPath} was lost while held`, { path: lockPath }, { cause });
}

/**
 * Runs `fn` while holding an exclusive lock on `lockPath` (a lock directory, created with
 * mkdir, so it works across processes on local file systems). `fn` receives `check`,
 * which throws STORE_IO when the lock was lost; call it before making changes visible.
 */
export async function withLock<T>(lockPath: string, fn: (check: () => void) => Promise<T>): Promise<T> {
  const prev = chains.get(lockPath) ?? Promise.resolve();
  const run = prev.catch(() => undefined).then(() => underFileLock(lockPath, fn));
  const tail = run.catch(() => undefined);
  chains.set(lockPath, tail);
  try {
    return await run;
  } finally {
    if (chains.get(lockPath) === tail) chains.delete(lockPath);
  }
}

async function underFileLock<T>(lockPath: string, fn: (check: () => void) => Promise<T>): Promise<T> {
  let lostWith: unknown;
  let release: () => Promise<void>;
  try {
    await fs.mkdir(path.dirname(lockPath), { recursive: true });
    release = await lockfile.lock(lockPath, {
      lockfilePath: lockPath,
      realpath: false,
      stale: 15_000,
      // About a minute of patience in total: index updates take milliseconds each.
      retries: { retries: 600, minTimeout: 5, maxTimeout: 100, factor: 1.3, randomize: true },
      onCompromised: (err) => {
        lostWith = err;
      },
    });
  } catch (err) {
    if (err instanceof Error && (err as { code?: string }).code === 'ELOCKED') {
      throw new AirlockError(ErrorCodes.STORE_IO, `timed out waiting for lock ${lockPath}`, { path: lockPath }, { cause: err });
    }
    throw storeIo(err, 'cannot lock', lockPath);
  }
  try {
    return await fn(() => {
      if (lostWith !== undefined) throw compromised(lockPath, lostWith);
    });
  } finally {
    await release().catch(() => undefined);
  }
}
