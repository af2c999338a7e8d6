import { AirlockError, ErrorCodes } from '../errors.js';
import { planMirrorInput, mirrorRegistryOptions, readMirrorInput, type MirrorInput } from '../mirror/input.js';
import type { MirrorPair } from '../mirror/plan.js';
import { parseNamespace } from '../transport/location.js';
import type { Location } from '../transport/types.js';
import { contextOf, engineOptions, type CopyFlags } from './common-flags.js';
import { positiveInt, registryOptions } from './registry-flags.js';
import { parseSetFlags, progressPrinter } from './resolve-run.js';
import { ExitCodes } from './exit-codes.js';
import { runWithOutput } from './run-command.js';

/** Flags of `airlock mirror`. */
export interface MirrorFlags extends CopyFlags {
  to?: string;
  from?: string;
  only?: string;
  keepGoing?: boolean;
  report?: string;
  jobs?: string;
  destCreds?: string;
  set: string[];
  /** Pull into the store first, then copy from it. */
  viaStore?: boolean;
}

/** One copy of every image of `input` from `from` (or its sources) to `to` (or its destinations); the exit code. */
export async function mirrorPhase(input: MirrorInput, flags: MirrorFlags, to: Location | undefined, from: Location | undefined, reportFile?: string): Promise<number> {
  const ctx = contextOf(flags, mirrorRegistryOptions(registryOptions(flags), input, { to, creds: flags.destCreds }));
  const progress = input.kind === 'imageset' ? progressPrinter() : undefined;
  let pairs: MirrorPair[];
  try {
    pairs = await planMirrorInput(input, {
      ctx,
      to,
      from,
      only: flags.only,
      overrides: parseSetFlags(flags.set),
      ...(progress ? { onResolveProgress: progress.onProgress } : {}),
    });
    progress?.finish(true);
  } catch (err) {
    progress?.finish(false);
    await ctx.close();
    throw err;
  }
  return runWithOutput({
    pairs,
    ctx,
    options: { ...engineOptions(flags), jobs: positiveInt('--jobs', flags.jobs, 4) || 1, keepGoing: Boolean(flags.keepGoing) },
    ...(flags.json ? { json: true } : {}),
    ...(reportFile ? { reportFile } : {}),
  });
}

/** `airlock mirror LIST|LOCK|IMAGESET`; with `--via-store`, into the store first, then from it. */
export async function run(file: string, flags: MirrorFlags): Promise<void> {
  const to = flags.to ? parseNamespace(flags.to) : undefined;
  const from = flags.from ? parseNamespace(flags.from) : undefined;
  if (flags.viaStore && from) throw new AirlockError(ErrorCodes.USAGE, '--via-store reads the images from the store: give it without --from');
  const input = await readMirrorInput(file);
  if (!flags.viaStore) {
    process.exitCode = await mirrorPhase(input, flags, to, from, flags.report);
    return;
  }
  const store = parseNamespace('store:');
  const pulled = await mirrorPhase(input, flags, store, undefined);
  // A pull that failed for good leaves the rest to copy only with --keep-going.
  if (pulled !== ExitCodes.ok && !(flags.keepGoing && pulled === ExitCodes.partial)) {
    process.exitCode = pulled;
    return;
  }
  const pushed = await mirrorPhase(input, flags, to, store, flags.report);
  process.exitCode = pushed !== ExitCodes.ok ? pushed : pulled;
}
