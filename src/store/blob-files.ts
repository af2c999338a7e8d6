/** The blob files of a store as they are on disk: `blobs/<alg>/<hex>`, whatever index.json says. */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { isDigest, type Digest } from '../oci/digest.js';
import { isErrno, storeIo } from '../transport/layout/fsutil.js';

/** One blob file. */
export interface BlobFile {
  digest: Digest;
  path: string;
  size: number;
  mtimeMs: number;
}

/**
 * Every blob file under `dir/blobs`, in digest order. Files whose name is not a digest of
 * their folder's algorithm are not blobs (a stray file) and are left out.
 */
export async function blobFiles(dir: string): Promise<BlobFile[]> {
  const out: BlobFile[] = [];
  for (const alg of ['sha256', 'sha512']) {
    const folder = path.join(dir, 'blobs', alg);
    let names: string[];
    try {
      names = await fs.readdir(folder);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) continue;
      throw storeIo(err, 'cannot list', folder);
    }
    for (const name of names.sort()) {
      const digest = `${alg}:${name}`;
      if (!isDigest(digest)) continue;
      const file = path.join(folder, name);
      const st = await fs.stat(file).catch(() => undefined);
      if (st?.isFile()) out.push({ digest, path: file, size: st.size, mtimeMs: st.mtimeMs });
    }
  }
  return out;
}
