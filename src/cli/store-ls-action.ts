import { listStore } from '../store/list.js';
import { formatBytes } from './format.js';
import { openStore } from './store-open.js';

/** `airlock store ls`: one line per image, then the totals. */
export async function run(flags: { store?: string; json?: boolean }): Promise<void> {
  const layout = await openStore(flags.store);
  const l = await listStore(layout);
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ store: layout.dir, ...l }, null, 2)}\n`);
    return;
  }
  const lines = l.images.map((i) => {
    const shared = i.sharedBytes > 0 ? `, ${formatBytes(i.sharedBytes)} shared` : '';
    const missing = i.missing.length > 0 ? `, MISSING ${i.missing.length} blob(s)` : '';
    return `${i.name}  ${i.digest.slice(0, 19)}  ${i.platforms.join(',') || '-'}  ${formatBytes(i.bytes)}${shared}${missing}`;
  });
  lines.push(
    `${l.images.length} images, ${l.blobs.count} blobs, ${formatBytes(l.blobs.bytes)} on disk` +
      (l.unreferenced.count > 0 ? `; ${l.unreferenced.count} blobs (${formatBytes(l.unreferenced.bytes)}) no image uses (airlock store prune)` : ''),
    `store: ${layout.dir}`,
  );
  process.stdout.write(`${lines.join('\n')}\n`);
}
