import { AirlockError, ErrorCodes } from '../errors.js';
import { ensureAssumed, heldFromTarget } from '../bundle/assumed.js';
import { foreignPairs } from '../bundle/foreign.js';
import { indexTar } from '../transport/archive/tar-index.js';
import { credentialHost } from '../transport/open.js';
import { openBundle } from '../bundle/open.js';
import { mirrorRegistryOptions, planMirrorInput, type MirrorInput } from '../mirror/input.js';
import type { MirrorPair } from '../mirror/plan.js';
import type { TransportContext } from '../transport/context.js';
import { parseNamespace } from '../transport/location.js';
import { contextOf, engineOptions, type CopyFlags } from './common-flags.js';
import { positiveInt, registryOptions } from './registry-flags.js';
import { runWithOutput } from './run-command.js';

/** Flags of `airlock bundle import`. */
export interface BundleImportFlags extends CopyFlags {
  to: string;
  only?: string;
  keepGoing?: boolean;
  report?: string;
  jobs?: string;
  destCreds?: string;
}

/** `airlock bundle import BUNDLE --to DEST`: the bundle's lock mirrored from the bundle, read in place. */
export async function run(file: string, flags: BundleImportFlags): Promise<void> {
  const bundle = await openBundle(file).catch(async (err: unknown) => {
    // Not an OCI layout: what docker save and skopeo's docker-archive write.
    // (skopeo's docker-archive holds links, which a bundle may not: ARCHIVE_INVALID as a bundle.)
    const notBundle = err instanceof AirlockError && (err.code === ErrorCodes.LAYOUT_INVALID || err.code === ErrorCodes.ARCHIVE_INVALID);
    if (notBundle && (await isDockerArchive(file))) return undefined;
    throw err;
  });
  if (!bundle?.lock) {
    await importForeign(bundle ? 'oci-archive' : 'docker-archive', file, flags);
    return;
  }
  // A split bundle with a volume absent: import what the other volumes hold, name the one to bring.
  const absent = bundle.volumes ? await bundle.volumes.problems() : [];
  for (const p of absent) {
    process.stderr.write(`volume ${p.file} is ${p.why === 'missing' ? 'missing' : `${p.found} bytes, not ${bundle.volumes!.manifest.volumes[p.index]!.size}`}: the images that need it wait; bring it and run again (what lands now is not sent again)\n`);
  }
  const to = parseNamespace(flags.to);
  const input: MirrorInput = { kind: 'lock', file, lock: bundle.lock };
  const ctx = contextOf(flags, mirrorRegistryOptions(registryOptions(flags), input, { to, creds: flags.destCreds }));
  await importPlanned(ctx, flags, Boolean(flags.keepGoing) || absent.length > 0, async () => {
    const pairs = heldFromTarget(bundle, await planMirrorInput(input, { ctx, to, from: parseNamespace(`oci-archive:${file}`), only: flags.only }));
    await ensureAssumed(bundle, pairs, ctx, Boolean(flags.dryRun));
    return pairs;
  });
}

/** Plans the pairs (the context closed when that fails), then copies them with live output; sets the exit code. */
async function importPlanned(ctx: TransportContext, flags: BundleImportFlags, keepGoing: boolean, plan: () => Promise<MirrorPair[]>): Promise<void> {
  let pairs: MirrorPair[];
  try {
    pairs = await plan();
  } catch (err) {
    await ctx.close();
    throw err;
  }
  process.exitCode = await runWithOutput({
    pairs,
    ctx,
    options: { ...engineOptions(flags), jobs: positiveInt('--jobs', flags.jobs, 4) || 1, keepGoing },
    ...(flags.json ? { json: true } : {}),
    ...(flags.report ? { reportFile: flags.report } : {}),
  });
}

/** True when `file` is a tar with a docker-archive manifest.json. */
async function isDockerArchive(file: string): Promise<boolean> {
  return indexTar(file, { symlinks: 'record' }).then(
    (t) => t.entries.has('manifest.json'),
    () => false,
  );
}

/** An archive another tool wrote: its images under the names they carry. */
async function importForeign(scheme: 'oci-archive' | 'docker-archive', file: string, flags: BundleImportFlags): Promise<void> {
  const to = parseNamespace(flags.to);
  const ctx = contextOf(flags, registryOptions(flags, flags.destCreds && credentialHost(to) ? [[credentialHost(to)!, flags.destCreds]] : []));
  await importPlanned(ctx, flags, Boolean(flags.keepGoing), async () => {
    const pairs = await foreignPairs(scheme, file, to, ctx, flags.only);
    process.stderr.write(`${file} carries no airlock lock (another tool wrote it): importing its ${pairs.length} named image(s) under their names\n`);
    return pairs;
  });
}
