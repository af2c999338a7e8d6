import { pruneStore } from '../store/prune.js';
import { formatBytes } from './format.js';
import { positiveInt } from './registry-flags.js';
import { openStore } from './store-open.js';

/** `airlock gc`: the blob phase of a prune, every image kept. */
export async function run(flags: { store?: string; dryRun?: boolean; grace: string; json?: boolean }): Promise<void> {
  const layout = await openStore(flags.store);
  const r = await pruneStore(layout, { keep: () => true, dryRun: Boolean(flags.dryRun), graceMs: positiveInt('--grace', flags.grace, 60) * 60_000 });
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ store: layout.dir, dryRun: Boolean(flags.dryRun), ...r })}\n`);
    return;
  }
  process.stdout.write(
    `${flags.dryRun ? 'would remove' : 'removed'} ${r.blobs.length} unreferenced blob(s), ${formatBytes(r.bytes)}` +
      (r.keptRecent ? `; ${r.keptRecent} recent one(s) kept (--grace)` : '') +
      `\nstore: ${layout.dir}\n`,
  );
}
