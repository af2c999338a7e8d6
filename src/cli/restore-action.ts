import { bundleProblem, verifyBundle } from '../bundle/verify.js';
import { run as importBundle, type BundleImportFlags } from './bundle-import-action.js';
import { interruptSignal } from './interrupt.js';

/** `airlock restore BACKUP --to DEST`: the whole backup verified first (nothing written from a damaged one), then imported. */
export async function run(file: string, flags: BundleImportFlags): Promise<void> {
  const tty = process.stderr.isTTY && !flags.json;
  const v = await verifyBundle(file, {
    signal: interruptSignal(),
    ...(tty ? { onBlob: (done: number, total: number) => void process.stderr.write(`\rverified ${done}/${total} blobs`) } : {}),
  });
  if (tty) process.stderr.write('\n');
  const problem = bundleProblem(v);
  if (problem) throw problem;
  await importBundle(file, flags);
}
