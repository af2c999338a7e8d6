import * as path from 'node:path';
import { AirlockError, ErrorCodes } from '../../errors.js';
import type { TransportContext } from '../context.js';
import { LayoutReader } from '../layout/backend.js';
import { splitName } from '../layout/names.js';
import { layoutNameOf, locationParts } from '../layout/oci-transport.js';
import type { Location, Transport } from '../types.js';
import { ArchiveLayout } from './archive-layout.js';
import { placeByFullName } from '../layout/names.js';
import { locationInvalid as fail } from '../location-error.js';


function format(loc: Location): string {
  const name = layoutNameOf(loc);
  return `oci-archive:${loc.root}${name.startsWith('@') ? name : name ? `:${name}` : ''}`;
}

/** The run's shared, indexed handle on the archive at `file`. */
function sharedArchive(ctx: TransportContext, file: string): Promise<ArchiveLayout> {
  const key = `oci-archive:${path.resolve(file)}`;
  return ctx.sharedOpen(key, () => ArchiveLayout.open(file));
}

/**
 * OCI layouts in a tar file (bundles, `skopeo copy ... oci-archive:`): `oci-archive:FILE[:NAME]`,
 * read in place. Names as in `oci:`; without one, the archive's only image. Read only: bundles
 * are written by `airlock bundle create`.
 */
export const ociArchiveTransport: Transport = {
  scheme: 'oci-archive',
  prefix: 'oci-archive:',
  syntax: 'oci-archive:FILE[:NAME]',
  parse(body, input) {
    const colon = body.indexOf(':');
    const file = colon >= 0 ? body.slice(0, colon) : body;
    const name = colon >= 0 ? body.slice(colon + 1) : undefined;
    if (file === '') throw fail(input, 'oci-archive: needs a file');
    if (name === '') throw fail(input, 'empty image name after the file');
    return { scheme: 'oci-archive', root: file, ...(name === undefined ? { repository: '' } : splitName(name)) };
  },
  parseNamespace(body, input) {
    const loc = ociArchiveTransport.parse(body, input);
    if (layoutNameOf(loc)) throw fail(input, 'give the file only (oci-archive:FILE): images are named by their full reference inside it');
    return loc;
  },
  format,
  place: placeByFullName,
  checkImage: () => undefined,
  async openReader(loc, ctx) {
    const describe = (repository: string, reference?: string) => format({ scheme: 'oci-archive', root: loc.root, ...locationParts(repository, reference) });
    return new LayoutReader(await sharedArchive(ctx, loc.root), describe);
  },
  async openWriter(loc) {
    throw new AirlockError(ErrorCodes.LOCATION_INVALID, `${format(loc)}: archives are read here; write a bundle with airlock bundle create`, { location: format(loc) });
  },
};
