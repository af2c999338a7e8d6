import type { TransportContext } from './context.js';
import { formatLocation, transportOf } from './location.js';
import { ImageSink } from './sink.js';
import { ImageSource } from './source.js';
import type { ContentReader, ContentWriter, Location, Sink, Source } from './types.js';

/** Opens the read side of a location naming one image. */
export async function openSource(loc: Location, ctx: TransportContext): Promise<Source> {
  const t = transportOf(loc);
  const description = t.format(loc);
  t.checkImage(loc, description);
  return new ImageSource(await t.openReader(loc, ctx), loc, description);
}

/** Opens the write side of a location naming one image; layouts and the store are created when missing. */
export async function openSink(loc: Location, ctx: TransportContext): Promise<Sink> {
  const t = transportOf(loc);
  const description = t.format(loc);
  t.checkImage(loc, description);
  return new ImageSink(await t.openWriter(loc, ctx), loc, description);
}

/** Opens the reader of the backend holding `loc` (an image or a namespace): resolve, list, read; no writes. */
export function openReader(loc: Location, ctx: TransportContext): Promise<ContentReader> {
  return transportOf(loc).openReader(loc, ctx);
}

/** Opens a write session on the backend holding `loc`, creating it when missing. */
export function openWriter(loc: Location, ctx: TransportContext): Promise<ContentWriter> {
  return transportOf(loc).openWriter(loc, ctx);
}

/** The registry host whose credentials apply to `loc`, if it is on a registry. */
export function credentialHost(loc: Location): string | undefined {
  return transportOf(loc).credentialHost?.(loc);
}

/** Lines worth printing after a run that wrote to these locations (each once), e.g. where the store is. */
export function describeRoots(locs: readonly Location[], ctx: TransportContext): string[] {
  const lines = locs.map((l) => transportOf(l).describeRoot?.(l, ctx)).filter((l): l is string => l !== undefined);
  return [...new Set(lines)];
}

export { formatLocation };
