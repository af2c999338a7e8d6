import { AirlockError, ErrorCodes } from '../errors.js';
import { planBundle } from '../bundle/plan.js';
import { readMirrorInput, type MirrorInput } from '../mirror/input.js';
import { parseNamespace } from '../transport/location.js';
import { writeBundle } from '../transport/archive/bundle-writer.js';
import { OciLayout } from '../transport/layout/layout.js';
import { defaultStoreDir } from '../transport/layout/store.js';
import { createTransportContext } from '../transport/context.js';
import { referrerChoice, type CopyFlags } from './common-flags.js';
import { formatBytes } from './format.js';
import { parseSizeFlag } from './size-flag.js';
import { readInventory } from '../inventory/file.js';
import { interruptSignal } from './interrupt.js';
import { ExitCodes } from './exit-codes.js';
import { mirrorPhase } from './mirror-action.js';
import { selfFile } from '../bundle/self.js';

/** Flags of `airlock bundle create`. */
export interface BundleCreateFlags extends CopyFlags {
  output: string;
  from?: string;
  only?: string;
  jobs?: string;
  split?: string;
  have?: string;
  zstd?: boolean;
  includeSelf?: boolean;
}

/** `airlock bundle create FILE -o BUNDLE`: pull into the store (unless --from store:), then write the bundle from it. */
export async function run(file: string, flags: BundleCreateFlags): Promise<void> {
  if (flags.from !== undefined && flags.from !== 'store:') throw new AirlockError(ErrorCodes.USAGE, `--from takes store: (the images come from the store only), got "${flags.from}"`);
  await createBundle(await readMirrorInput(file), flags);
}

/**
 * Pulls `input` into the store (unless `flags.from` is store:), then writes the bundle from
 * the store; prints what was written. Sets the exit code when the pull fails.
 */
export async function createBundle(input: MirrorInput, flags: BundleCreateFlags): Promise<void> {
  const split = flags.split !== undefined ? parseSizeFlag('--split', flags.split) : undefined;
  // Found (or refused) before anything is pulled.
  const self = flags.includeSelf ? await selfFile() : undefined;
  if (flags.from === undefined) {
    const pulled = await mirrorPhase(input, { ...flags, set: [] }, parseNamespace('store:'), undefined);
    if (pulled !== ExitCodes.ok) {
      process.exitCode = pulled;
      return;
    }
  }
  // A dry run pulled nothing into the store, so there is nothing to write a bundle from.
  if (flags.dryRun) {
    process.stderr.write(`--dry-run: ${flags.output} not written; it would hold the images above\n`);
    return;
  }
  const layout = await OciLayout.open(flags.store ?? defaultStoreDir(), { create: true });
  const ctx = createTransportContext({ signal: interruptSignal(), ...(flags.store ? { storeDir: flags.store } : {}) });
  try {
    const have = flags.have !== undefined ? await readInventory(flags.have) : undefined;
    const planned = await planBundle(input, layout, ctx, flags.only, have, referrerChoice(flags.referrers));
    const plan = self ? { ...planned, files: [self] } : planned;
    const total = [...plan.blobs.values()].reduce((a, b) => a + b, 0);
    let done = 0;
    const tty = process.stderr.isTTY && !flags.json;
    const w = await writeBundle(flags.output, plan, layout, {
      signal: interruptSignal(),
      ...(split ? { split } : {}),
      ...(flags.zstd ? { zstd: true } : {}),
      onBlob: (n) => {
        done += n;
        if (tty) process.stderr.write(`\rwriting ${flags.output}: ${formatBytes(done)} of ${formatBytes(total)}`);
      },
    });
    if (tty) process.stderr.write('\n');
    const left = plan.assumed ? Object.values(plan.assumed.blobs) : [];
    const summary = { bundle: w.file, images: plan.images.length, blobs: w.blobs, blobBytes: w.blobBytes, bytes: w.bytes, ...(self ? { self: { entry: self.name, size: self.size, sha256: self.sha256 } } : {}), ...(w.volumes ? { volumes: w.volumes } : {}), ...(plan.assumed ? { differential: { against: plan.assumed.against, blobs: left.length } } : {}) };
    const differential = plan.assumed
      ? `; ${left.length} blobs (${formatBytes(left.reduce((n, b) => n + b.size, 0))}) left out: ${plan.assumed.against.kind} ${plan.assumed.against.location} holds them`
      : '';
    const volumes = w.volumes ? ` in ${w.volumes.length} volumes (${w.volumes[0]!.file} ... ${w.volumes.at(-1)!.file}); carry them all with ${w.file}` : '';
    process.stdout.write(
      flags.json
        ? `${JSON.stringify({ type: 'bundle', ...summary })}\n`
        : `${w.file}: ${plan.images.length} images, ${w.blobs} blobs (${formatBytes(w.blobBytes)})${self ? `, airlock itself (${self.name}, ${formatBytes(self.size)})` : ''}, ${formatBytes(w.bytes)} in all${volumes}${differential}\n`,
    );
  } finally {
    await ctx.close();
  }
}
