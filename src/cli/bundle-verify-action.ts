import { bundleProblem, verifyBundle } from '../bundle/verify.js';
import { formatBytes } from './format.js';
import { interruptSignal } from './interrupt.js';

/** `airlock bundle verify BUNDLE`: what is wrong, one line each, then BUNDLE_DAMAGED when anything is. */
export async function run(file: string, flags: { json?: boolean }): Promise<void> {
  const tty = process.stderr.isTTY && !flags.json;
  const v = await verifyBundle(file, {
    signal: interruptSignal(),
    ...(tty ? { onBlob: (done: number, total: number) => void process.stderr.write(`\rverified ${done}/${total} blobs`) } : {}),
  });
  if (tty) process.stderr.write('\n');
  if (flags.json) process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);
  else {
    const lines = [
      ...v.volumes.map((x) => `volume    ${x.file}: ${x.problem}${x.images.length ? `; needed by ${x.images.join(', ')}` : ''}`),
      ...v.damaged.map((d) => `damaged   ${d}`),
      ...v.missing.map((m) => `missing   ${m.digest}  needed by ${m.images.join(', ')}`),
      ...v.checksums.map((c) => `checksum  ${c}`),
      ...v.lock.map((l) => `lock      ${l}`),
      v.volumes.length > 0
        ? `${v.images} images; their blobs are verified once every volume is sound`
        : `${v.images} images, ${v.blobs} blobs, ${formatBytes(v.bytes)} verified${v.airlock ? '' : ' (no airlock lock or checksum list: written by another tool)'}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  const problem = bundleProblem(v);
  if (problem) throw problem;
}
