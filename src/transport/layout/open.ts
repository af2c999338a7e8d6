import { AirlockError, ErrorCodes } from '../../errors.js';
import type { Location } from '../../ref/location.js';
import { openOciSink, openStoreSink, type LayoutSink } from './sink.js';
import { openOciSource, openStoreSource, type LayoutSource } from './source.js';

/** An `oci:` or `store:` location. */
export type LayoutLocation = Extract<Location, { kind: 'oci' } | { kind: 'store' }>;

function needsImage(): AirlockError {
  return new AirlockError(ErrorCodes.LOCATION_INVALID, 'store: needs an image reference here (store:REF)', {});
}

/** The source for an `oci:DIR[:NAME]` or `store:REF` location (`storeDir` overrides the default store). */
export async function openLayoutSource(loc: LayoutLocation, storeDir?: string): Promise<LayoutSource> {
  if (loc.kind === 'oci') return openOciSource(loc.dir, loc.name, loc.digest);
  if (!loc.ref) throw needsImage();
  return openStoreSource(loc.ref, storeDir);
}

/** The sink for an `oci:DIR[:NAME]` or `store:REF` location (`storeDir` overrides the default store). */
export async function openLayoutSink(loc: LayoutLocation, storeDir?: string): Promise<LayoutSink> {
  if (loc.kind === 'oci') return openOciSink(loc.dir, loc.name);
  if (!loc.ref) throw needsImage();
  return openStoreSink(loc.ref, storeDir);
}
