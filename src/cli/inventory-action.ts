import { promises as fs } from 'node:fs';
import { AirlockError, ErrorCodes } from '../errors.js';
import { collectInventory } from '../inventory/collect.js';
import { formatInventory } from '../inventory/file.js';
import type { InventoryOf } from '../inventory/types.js';
import { openReader } from '../transport/open.js';
import { parseNamespace } from '../transport/location.js';
import { contextOf } from './common-flags.js';
import { formatBytes } from './format.js';
import { registryOptions, type RegistryFlags } from './registry-flags.js';

/** Flags of `airlock inventory`. */
export interface InventoryFlags extends RegistryFlags {
  registry?: string;
  store?: string | true;
  oci?: string;
  bundle?: string;
  output: string;
  json?: boolean;
}

/** The one thing to list, as a namespace location, and how it is described. */
function target(flags: InventoryFlags): { namespace: string; of: InventoryOf } {
  const given = [flags.registry !== undefined, flags.store !== undefined, flags.oci !== undefined, flags.bundle !== undefined].filter(Boolean).length;
  if (given !== 1) throw new AirlockError(ErrorCodes.USAGE, 'give exactly one of --registry HOST[/PREFIX], --store [DIR], --oci DIR, --bundle FILE');
  if (flags.registry !== undefined) return { namespace: flags.registry, of: { kind: 'registry', location: flags.registry } };
  if (flags.oci !== undefined) return { namespace: `oci:${flags.oci}`, of: { kind: 'oci', location: flags.oci } };
  if (flags.bundle !== undefined) return { namespace: `oci-archive:${flags.bundle}`, of: { kind: 'bundle', location: flags.bundle } };
  return { namespace: 'store:', of: { kind: 'store', location: typeof flags.store === 'string' ? flags.store : 'store:' } };
}

/** `airlock inventory ... -o have.json`. */
export async function run(flags: InventoryFlags): Promise<void> {
  const { namespace, of } = target(flags);
  const loc = parseNamespace(namespace);
  const ctx = contextOf(typeof flags.store === 'string' ? { store: flags.store } : {}, registryOptions(flags));
  try {
    const reader = await openReader(loc, ctx);
    const tty = process.stderr.isTTY && !flags.json;
    const inv = await collectInventory(reader, of, {
      ...(loc.scheme === 'docker' && loc.repository ? { prefix: loc.repository } : {}),
      checkBlobs: loc.scheme !== 'docker',
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      ...(tty ? { onRepository: (done: number, total: number) => void process.stderr.write(`\rlisted ${done}/${total} repositories`) } : {}),
    });
    if (tty) process.stderr.write('\n');
    const tmp = `${flags.output}.${process.pid}.tmp`;
    await fs.writeFile(tmp, formatInventory(inv));
    await fs.rename(tmp, flags.output);
    const manifests = Object.keys(inv.manifests).length;
    const blobs = Object.values(inv.blobs);
    const bytes = blobs.reduce((n, b) => n + b.size, 0);
    process.stdout.write(
      flags.json
        ? `${JSON.stringify({ inventory: flags.output, of, manifests, blobs: blobs.length, bytes })}\n`
        : `${flags.output}: ${manifests} manifests, ${blobs.length} blobs (${formatBytes(bytes)}) held by ${of.kind} ${of.location}\n`,
    );
  } finally {
    await ctx.close();
  }
}
