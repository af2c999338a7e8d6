import { planMirrorInput, mirrorRegistryOptions, readMirrorInput } from '../mirror/input.js';
import type { MirrorPair } from '../mirror/plan.js';
import { parseNamespace } from '../transport/location.js';
import { contextOf, engineOptions, type CopyFlags } from './common-flags.js';
import { positiveInt, registryOptions } from './registry-flags.js';
import { parseSetFlags, progressPrinter } from './resolve-run.js';
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
}

/** `airlock mirror LIST|LOCK|IMAGESET`. */
export async function run(file: string, flags: MirrorFlags): Promise<void> {
  const to = flags.to ? parseNamespace(flags.to) : undefined;
  const from = flags.from ? parseNamespace(flags.from) : undefined;
  const input = await readMirrorInput(file);
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
  process.exitCode = await runWithOutput({
    pairs,
    ctx,
    options: { ...engineOptions(flags), jobs: positiveInt('--jobs', flags.jobs, 4) || 1, keepGoing: Boolean(flags.keepGoing) },
    ...(flags.json ? { json: true } : {}),
    ...(flags.report ? { reportFile: flags.report } : {}),
  });
}
