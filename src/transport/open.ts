import type { Location } from '../ref/location.js';
import { openLayoutSink, openLayoutSource } from './layout/open.js';
import { defaultStoreDir } from './layout/store.js';
import type { RegistryOptions } from './registry/options.js';
import { RegistryPool } from './registry/pool.js';
import { RegistrySink } from './registry/sink.js';
import { RegistrySource } from './registry/source.js';
import type { Sink, Source } from './types.js';

/** What opening locations needs: one shared registry pool per run, and the store directory. */
export interface TransportContext {
  registries: RegistryPool;
  storeDir: string;
}

/** Creates a context; close it with closeTransportContext when the run ends. */
export function createTransportContext(opts: { registries?: RegistryOptions; storeDir?: string } = {}): TransportContext {
  return { registries: new RegistryPool(opts.registries ?? {}), storeDir: opts.storeDir ?? defaultStoreDir() };
}

/** Closes the registry connections of a context. */
export async function closeTransportContext(ctx: TransportContext): Promise<void> {
  await ctx.registries.close();
}

/** Opens the read side of a location (one image): the transport is chosen by the location's kind. */
export async function openSource(loc: Location, ctx: TransportContext): Promise<Source> {
  return loc.kind === 'docker' ? new RegistrySource(ctx.registries, loc.ref) : openLayoutSource(loc, ctx.storeDir);
}

/** Opens the write side of a location (one image); layouts and the store are created when missing. */
export async function openSink(loc: Location, ctx: TransportContext): Promise<Sink> {
  return loc.kind === 'docker' ? new RegistrySink(ctx.registries, loc.ref) : openLayoutSink(loc, ctx.storeDir);
}
