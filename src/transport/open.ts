import { AirlockError, ErrorCodes } from '../errors.js';
import type { Location } from '../ref/location.js';
import { OciLayout } from './layout/layout.js';
import { LayoutSink } from './layout/sink.js';
import { LayoutSource } from './layout/source.js';
import { defaultStoreDir, storeName } from './layout/store.js';
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

/** Opens the read side of a location (one image). */
export async function openSource(loc: Location, ctx: TransportContext): Promise<Source> {
  switch (loc.kind) {
    case 'docker':
      return new RegistrySource(ctx.registries, loc.ref);
    case 'oci':
      return new LayoutSource(await OciLayout.open(loc.dir), loc.name);
    case 'store': {
      if (!loc.ref) throw new AirlockError(ErrorCodes.LOCATION_INVALID, 'store: as a source needs an image reference (store:REF)');
      const layout = await OciLayout.open(ctx.storeDir);
      return new LayoutSource(layout, storeName(loc.ref), {
        description: `store:${storeName(loc.ref)}`,
        ...(loc.ref.digest ? { digest: loc.ref.digest } : {}),
      });
    }
  }
}

/** Opens the write side of a location (one image); layouts and the store are created when missing. */
export async function openSink(loc: Location, ctx: TransportContext): Promise<Sink> {
  switch (loc.kind) {
    case 'docker':
      return new RegistrySink(ctx.registries, loc.ref);
    case 'oci':
      if (!loc.name) throw new AirlockError(ErrorCodes.LOCATION_INVALID, `oci:${loc.dir} as a destination needs a name (oci:DIR:NAME)`);
      return new LayoutSink(await OciLayout.open(loc.dir, { create: true }), loc.name);
    case 'store': {
      if (!loc.ref) throw new AirlockError(ErrorCodes.LOCATION_INVALID, 'store: as a destination needs an image reference (store:REF)');
      const layout = await OciLayout.open(ctx.storeDir, { create: true });
      return new LayoutSink(layout, storeName(loc.ref), { description: `store:${storeName(loc.ref)}` });
    }
  }
}
