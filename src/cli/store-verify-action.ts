import { storeProblem, verifyStore } from '../store/verify.js';
import { formatBytes } from './format.js';
import { interruptSignal } from './interrupt.js';
import { openStore } from './store-open.js';

/** `airlock store verify [--repair]`: what is damaged or missing, then STORE_DAMAGED when anything is. */
export async function run(flags: { store?: string; repair?: boolean; json?: boolean }): Promise<void> {
  const layout = await openStore(flags.store);
  const tty = process.stderr.isTTY && !flags.json;
  const v = await verifyStore(layout, {
    ...(flags.repair ? { repair: true } : {}),
    signal: interruptSignal(),
    ...(tty ? { onBlob: (done: number, total: number, bytes: number) => void process.stderr.write(`\rverified ${done}/${total} blobs, ${formatBytes(bytes)}`) } : {}),
  });
  if (tty) process.stderr.write('\n');
  if (flags.json) process.stdout.write(`${JSON.stringify({ store: layout.dir, ...v }, null, 2)}\n`);
  else {
    const lines = [
      ...v.damaged.map((d) => `damaged  ${d.digest}${d.removed ? '  (removed)' : ''}`),
      ...v.missing.map((m) => `missing  ${m.digest}  needed by ${m.images.join(', ')}`),
      ...v.unnamed.map((n) => `unnamed  ${n}  (pull it again)`),
      `${v.checked} blobs, ${formatBytes(v.bytes)} verified; ${v.damaged.length} damaged, ${v.missing.length} missing`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  const problem = storeProblem(v, Boolean(flags.repair));
  if (problem) throw problem;
}
