import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { AirlockError, ErrorCodes } from '../../errors.js';
import { parseReference } from '../../ref/reference.js';
import type { TransportContext } from '../context.js';
import type { Location, Transport } from '../types.js';
import { LayoutBackend, LayoutReader } from './backend.js';
import { isErrno, storeIo } from './fsutil.js';
import { INDEX_FILE } from './index-file.js';
import { locationParts } from './oci-transport.js';
import { sharedLayout } from './open.js';
import { placeByFullName } from './names.js';

/** The store directory a location means: its own root, else the context's store. */
function storeDirOf(loc: Location, ctx: TransportContext): string {
  return loc.root || ctx.storeDir;
}

function format(loc: Location): string {
  return `store:${loc.repository}${loc.tag !== undefined ? `:${loc.tag}` : ''}${loc.digest !== undefined ? `@${loc.digest}` : ''}`;
}

const describe = (repository: string, reference?: string) => format({ scheme: 'store', root: '', ...locationParts(repository, reference) });

/**
 * The local store: `store:[REF]`, an OCI layout where each image is named by its fully
 * normalised reference (`store:nginx` is `docker.io/library/nginx:latest`). Which store is
 * the context's (`--store`, `$AIRLOCK_STORE`, or the default).
 */
export const storeTransport: Transport = {
  scheme: 'store',
  prefix: 'store:',
  syntax: 'store:[REF]',
  parse(body) {
    const ns: Location = { scheme: 'store', root: '', repository: '' };
    return body === '' ? ns : storeTransport.place(ns, parseReference(body));
  },
  parseNamespace(body, input) {
    if (body !== '') {
      throw new AirlockError(ErrorCodes.LOCATION_INVALID, `"${input}" names an image; give the whole store (store:)`, { location: input });
    }
    return { scheme: 'store', root: '', repository: '' };
  },
  format,
  place: placeByFullName,
  checkImage(loc) {
    if (loc.repository === '') throw new AirlockError(ErrorCodes.LOCATION_INVALID, 'store: needs an image reference here (store:REF)', {});
  },
  /** IMAGE_NOT_FOUND when the store does not exist yet: nothing can be in it. */
  async openReader(loc, ctx) {
    const dir = storeDirOf(loc, ctx);
    try {
      await fs.access(path.join(dir, INDEX_FILE));
    } catch (err) {
      if (!isErrno(err, 'ENOENT') && !isErrno(err, 'ENOTDIR')) throw storeIo(err, 'cannot open store', dir);
      throw new AirlockError(ErrorCodes.IMAGE_NOT_FOUND, `${format(loc)}: the store ${dir} is empty`, { dir });
    }
    return new LayoutReader(await sharedLayout(ctx, dir, false), describe);
  },
  async openWriter(loc, ctx) {
    return new LayoutBackend(await sharedLayout(ctx, storeDirOf(loc, ctx), true), describe);
  },
  describeRoot: (loc, ctx) => `store: ${storeDirOf(loc, ctx)}`,
};
