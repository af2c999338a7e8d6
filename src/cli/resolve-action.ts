import * as path from 'node:path';
import { AirlockError, ErrorCodes } from '../errors.js';
import { loadImageSet } from '../imageset/load.js';
import { checkLock, staleMessage } from '../lock/check.js';
import { formatLockDiff } from '../lock/diff.js';
import { formatLock, writeLock } from '../lock/write.js';
import type { LockFile } from '../lock/types.js';
import { withImageSetCredentials } from '../resolve/imageset.js';
import { DEFAULT_RESOLVE_CONCURRENCY } from '../resolve/resolver.js';
import { parseNamespace } from '../transport/location.js';
import { contextOf, referrerChoice } from './common-flags.js';
import { positiveInt, registryOptions, type RegistryFlags } from './registry-flags.js';
import { parseSetFlags, resolveWithProgress } from './resolve-run.js';

/**
 * A lock with modifications names their inputs relative to the image set, and mirror reads
 * them relative to the lock: the two must sit in one directory. USAGE otherwise.
 */
function modifyInputsBeside(setFile: string, lockFile: string | undefined, lock: LockFile): void {
  if (!lockFile || !Object.values(lock.images).some((i) => i.modify)) return;
  if (path.resolve(path.dirname(setFile)) !== path.resolve(path.dirname(lockFile))) {
    throw new AirlockError(ErrorCodes.USAGE, `${setFile} modifies images: write its lock beside it (its inputs are named relative to it), not to ${lockFile}`);
  }
}

/** Flags of `airlock resolve`. */
export interface ResolveFlags extends RegistryFlags {
  output?: string;
  from?: string;
  store?: string;
  set: string[];
  jobs?: string;
  check?: boolean;
  referrers?: string;
}

/** `airlock resolve IMAGES.yaml [-o LOCK] [--check]`. */
export async function run(file: string, flags: ResolveFlags): Promise<void> {
  if (flags.check && !flags.output) throw new AirlockError(ErrorCodes.USAGE, '--check compares with the lock named by --output');
  const from = flags.from ? parseNamespace(flags.from) : undefined;
  const set = await loadImageSet(file);
  const overrides = parseSetFlags(flags.set);
  const ctx = contextOf(flags, withImageSetCredentials(registryOptions(flags), set));
  let lock;
  try {
    lock = await resolveWithProgress(set, {
      ctx,
      overrides,
      concurrency: positiveInt('--jobs', flags.jobs, DEFAULT_RESOLVE_CONCURRENCY) || 1,
      referrers: referrerChoice(flags.referrers),
      ...(from ? { from } : {}),
    });
  } finally {
    await ctx.close();
  }
  modifyInputsBeside(file, flags.output, lock);
  if (flags.check) {
    const result = await checkLock(flags.output!, lock);
    if (result.upToDate) {
      process.stderr.write(`${flags.output} is up to date\n`);
      return;
    }
    process.stdout.write(formatLockDiff(result.diff));
    throw new AirlockError(ErrorCodes.LOCK_STALE, staleMessage(flags.output!, result, `airlock resolve ${file} -o ${flags.output}`), {
      file: flags.output,
    });
  }
  if (flags.output) {
    await writeLock(flags.output, lock);
    process.stderr.write(`wrote ${flags.output}\n`);
  } else {
    process.stdout.write(formatLock(lock));
  }
}
