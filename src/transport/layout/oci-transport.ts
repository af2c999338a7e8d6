import { isDigest } from '../../oci/digest.js';
import type { Location, Transport } from '../types.js';
import { LayoutBackend, LayoutReader } from './backend.js';
import { joinName, splitName } from './names.js';
import { sharedLayout } from './open.js';
import { placeByFullName } from './names.js';
import { locationInvalid as fail } from '../location-error.js';


/** The name part of a layout location: `repo:tag`, `repo@digest`, `tag`, and `@digest` after a tag. */
export function layoutNameOf(loc: Location): string {
  const name = joinName(loc) ?? '';
  return loc.digest !== undefined && loc.tag !== undefined ? `${name}@${loc.digest}` : loc.digest !== undefined && !name ? `@${loc.digest}` : name;
}

function format(loc: Location): string {
  const name = layoutNameOf(loc);
  return `oci:${loc.root}${name.startsWith('@') ? name : name ? `:${name}` : ''}`;
}

/**
 * OCI image layout directories: `oci:DIR[:NAME]`. As skopeo does, the first `:` after the
 * directory separates the name, which may itself hold `:` and `/` (a full reference).
 * Without a name, the layout's only image.
 */
export const ociTransport: Transport = {
  scheme: 'oci',
  prefix: 'oci:',
  syntax: 'oci:DIR[:NAME]',
  parse(body, input) {
    if (body === '') throw fail(input, 'oci: needs a directory');
    const colon = body.indexOf(':');
    const dir = colon >= 0 ? body.slice(0, colon) : body;
    const name = colon >= 0 ? body.slice(colon + 1) : undefined;
    if (dir === '') throw fail(input, 'oci: needs a directory');
    if (name === '') throw fail(input, 'empty image name after the directory');
    return { scheme: 'oci', root: dir, ...(name === undefined ? { repository: '' } : splitName(name)) };
  },
  parseNamespace(body, input) {
    const loc = ociTransport.parse(body, input);
    if (layoutNameOf(loc)) throw fail(input, 'give the directory only (oci:DIR): images are named by their full reference inside it');
    return loc;
  },
  format,
  // Inside a layout an image is named by its full reference, as in the store.
  place: placeByFullName,
  checkImage: () => undefined,
  async openReader(loc, ctx) {
    return new LayoutReader(await sharedLayout(ctx, loc.root, false), describeIn(loc.root));
  },
  async openWriter(loc, ctx) {
    return new LayoutBackend(await sharedLayout(ctx, loc.root, true), describeIn(loc.root));
  },
};

function describeIn(dir: string) {
  return (repository: string, reference?: string) =>
    format({ scheme: 'oci', root: dir, ...locationParts(repository, reference) });
}

/** Repository and tag or digest as Location fields. */
export function locationParts(repository: string, reference?: string): Pick<Location, 'repository' | 'tag' | 'digest'> {
  if (reference === undefined || reference === '') return { repository };
  return isDigest(reference) ? { repository, digest: reference } : { repository, tag: reference };
}
