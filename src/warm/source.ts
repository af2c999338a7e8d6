/**
 * Where warm reads images from: a bundle (read in place, its own lock unless one is given)
 * or the store (`store:`, with a lock saying which images).
 */
import { AirlockError, ErrorCodes } from '../errors.js';
import { openBundle } from '../bundle/open.js';
import type { LockFile } from '../lock/types.js';
import { readMirrorInput } from '../mirror/input.js';
import { OciLayout } from '../transport/layout/layout.js';
import { defaultStoreDir } from '../transport/layout/store.js';
import type { WarmContent } from './plan.js';

/** An opened source and the lock naming its images. */
export interface WarmSource extends WarmContent {
  lock: LockFile;
}

/** Reads `--lock FILE`: USAGE unless it is a lock (an image set must be resolved first). */
async function readLockFile(file: string): Promise<LockFile> {
  const input = await readMirrorInput(file);
  if (input.kind === 'lock') return input.lock;
  if (input.kind === 'imageset') throw new AirlockError(ErrorCodes.USAGE, `${file} is an image set: resolve it first (airlock resolve ${file} -o images.lock.yaml) and give the lock`, { file });
  throw new AirlockError(ErrorCodes.USAGE, `${file} is an image list: warm takes a lock (airlock resolve pins the images)`, { file });
}

/**
 * Opens `from`: `store:` (the store at `store`, or the default; needs `lockFile`) or a bundle
 * file (its lock, or `lockFile` when given). USAGE when no lock says which images or the
 * store does not exist; the bundle's own errors (ARCHIVE_INVALID, LAYOUT_INVALID, ...).
 */
export async function openWarmSource(from: string, opts: { lockFile?: string | undefined; store?: string | undefined }): Promise<WarmSource> {
  if (from === 'store:') {
    if (!opts.lockFile) throw new AirlockError(ErrorCodes.USAGE, 'warm store: needs --lock FILE: the lock says which images of the store to warm');
    const lock = await readLockFile(opts.lockFile);
    const dir = opts.store ?? defaultStoreDir();
    let layout: OciLayout;
    try {
      layout = await OciLayout.open(dir);
    } catch (err) {
      if (err instanceof AirlockError && err.code === ErrorCodes.LAYOUT_INVALID) {
        throw new AirlockError(ErrorCodes.USAGE, `no store at ${dir} (airlock pull ${opts.lockFile} fills one): ${err.message}`, { store: dir });
      }
      throw err;
    }
    return { layout, lock, where: `the store ${layout.dir}`, damaged: ErrorCodes.STORE_DAMAGED, hint: `airlock pull ${opts.lockFile} --store ${layout.dir} fills it` };
  }
  if (from.startsWith('store:')) throw new AirlockError(ErrorCodes.USAGE, `warm reads a bundle file or store: (the images come from --lock), got "${from}"`);
  const bundle = await openBundle(from);
  const lock = opts.lockFile ? await readLockFile(opts.lockFile) : bundle.lock;
  if (!lock) throw new AirlockError(ErrorCodes.USAGE, `${from} carries no lock (another tool wrote it): give --lock FILE to say which images to warm`, { file: from });
  return { layout: bundle.layout, lock, where: `bundle ${from}`, damaged: ErrorCodes.BUNDLE_DAMAGED };
}
