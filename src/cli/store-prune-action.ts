import { AirlockError, ErrorCodes } from '../errors.js';
import { readMirrorInput, planMirrorInput } from '../mirror/input.js';
import { pruneStore } from '../store/prune.js';
import { createTransportContext } from '../transport/context.js';
import { joinName } from '../transport/layout/names.js';
import { parseNamespace } from '../transport/location.js';
import { formatBytes } from './format.js';
import { openStore } from './store-open.js';

/** The store names `airlock pull LOCK` gives the images of each lock (no registry asked: a lock is pinned). */
async function keptNames(locks: string[]): Promise<Set<string>> {
  const names = new Set<string>();
  const ctx = createTransportContext({});
  try {
    for (const file of locks) {
      const input = await readMirrorInput(file);
      for (const { destination: d } of await planMirrorInput(input, { ctx, to: parseNamespace('store:') })) {
        const name = d.tag ? joinName({ repository: d.repository, tag: d.tag }) : joinName({ repository: d.repository, ...(d.digest ? { digest: d.digest } : {}) });
        if (name !== undefined) names.add(name);
      }
    }
  } finally {
    await ctx.close();
  }
  return names;
}

/** `airlock store prune --keep LOCK...`: what went (or would go), and the bytes freed. */
export async function run(flags: { store?: string; keep: string[]; dryRun?: boolean; json?: boolean; grace: string }): Promise<void> {
  if (flags.keep.length === 0) throw new AirlockError(ErrorCodes.USAGE, 'store prune needs --keep LOCK (the locks whose images stay); every other image goes');
  const minutes = Number(flags.grace);
  if (!Number.isFinite(minutes) || minutes < 0) throw new AirlockError(ErrorCodes.USAGE, `--grace takes minutes (0 or more), got "${flags.grace}"`);
  const keep = await keptNames(flags.keep);
  const layout = await openStore(flags.store);
  const p = await pruneStore(layout, { keep: (name) => keep.has(name), graceMs: minutes * 60_000, ...(flags.dryRun ? { dryRun: true } : {}) });
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ store: layout.dir, dryRun: Boolean(flags.dryRun), ...p }, null, 2)}\n`);
    return;
  }
  const verb = flags.dryRun ? 'would remove' : 'removed';
  const lines = [
    ...p.images.map((n) => `${verb} image ${n}`),
    `${verb} ${p.images.length} images and ${p.blobs.length} blobs (${formatBytes(p.bytes)})` +
      (p.keptRecent > 0 ? `; kept ${p.keptRecent} recent blobs no image names yet` : ''),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
