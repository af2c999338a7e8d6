import { layoutEntries, registryEntries } from '../backup/entries.js';
import { AirlockError, ErrorCodes } from '../errors.js';
import type { MirrorInput } from '../mirror/input.js';
import { parseNamespace } from '../transport/location.js';
import { openReader } from '../transport/open.js';
import { createBundle, type BundleCreateFlags } from './bundle-create-action.js';
import { contextOf } from './common-flags.js';
import { registryOptions } from './registry-flags.js';
import { openStore } from './store-open.js';

/** Flags of `airlock backup`. */
export interface BackupFlags extends Omit<BundleCreateFlags, 'store' | 'from' | 'have' | 'only' | 'platform'> {
  store?: string | true;
  registry?: string;
}

/** `airlock backup --store|--registry -o FILE`: the images as a list, written as a bundle. */
export async function run(flags: BackupFlags): Promise<void> {
  if ((flags.store === undefined) === (flags.registry === undefined)) throw new AirlockError(ErrorCodes.USAGE, 'give one of --store [DIR] or --registry HOST[/PREFIX]');
  const storeDir = typeof flags.store === 'string' ? flags.store : undefined;
  // Every platform, as stored: a backup keeps images whole.
  const { store: _store, registry: _registry, ...rest } = flags;
  const common: BundleCreateFlags = { ...rest, platform: [], ...(storeDir ? { store: storeDir } : {}) };
  if (flags.store !== undefined) {
    const entries = await layoutEntries(await openStore(storeDir));
    if (entries.length === 0) throw new AirlockError(ErrorCodes.USAGE, 'the store holds no images: nothing to back up');
    await createBundle({ kind: 'list', file: 'store', entries }, { ...common, from: 'store:' });
    return;
  }
  const ns = parseNamespace(flags.registry!);
  if (ns.scheme !== 'docker') throw new AirlockError(ErrorCodes.USAGE, `--registry takes HOST[/PREFIX], got "${flags.registry}"`);
  const ctx = contextOf({}, registryOptions(flags));
  let input: MirrorInput;
  try {
    const entries = await registryEntries(await openReader(ns, ctx), ns.root, ns.repository, ctx.signal);
    if (entries.length === 0) throw new AirlockError(ErrorCodes.USAGE, `${flags.registry} holds no tagged images: nothing to back up`);
    input = { kind: 'list', file: flags.registry!, entries };
  } finally {
    await ctx.close();
  }
  await createBundle(input, common);
}
