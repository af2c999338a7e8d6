import { diffLocks, formatLockDiff, isEmptyDiff } from '../lock/diff.js';
import { readLock } from '../lock/read.js';
import { ExitCodes } from './exit-codes.js';

/** `airlock diff OLD NEW`: prints the changes; exit 0 when the locks pin the same images, 1 when not. */
export async function run(oldFile: string, newFile: string): Promise<void> {
  const [a, b] = await Promise.all([readLock(oldFile), readLock(newFile)]);
  const diff = diffLocks(a, b);
  process.stdout.write(formatLockDiff(diff));
  process.exitCode = isEmptyDiff(diff) ? ExitCodes.ok : ExitCodes.failed;
}
