import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import type { Descriptor } from '../../oci/descriptor.js';
import { digestAlgorithm, digestHex, parseDigest, verifyBytes, VerifyingStream, type Digest } from '../../oci/digest.js';
import { AirlockError, ErrorCodes } from '../../errors.js';
import { isErrno, removeQuietly, storeIo, syncDir, syncedFileWriter, tempName, writeFileAtomic } from './fsutil.js';
import { layoutInvalid } from './index-file.js';

/** What `writeBlob` / `writeBytes` did. */
export type WriteResult = 'written' | 'exists';

/** Age after which an ingest temp file counts as abandoned by a killed writer. */
export const INGEST_STALE_MS = 60 * 60 * 1000;
/** Read size for blob streams: large reads keep syscalls, hash updates and stream hops few (64 KiB by default). */
const BLOB_READ_CHUNK = 1024 * 1024;

/** Renames `file` to `final`, making `final`'s folder first if it is missing (the first blob of an algorithm). */
async function renameInto(file: string, final: string): Promise<void> {
  try {
    await fs.rename(file, final);
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
    await fs.mkdir(path.dirname(final), { recursive: true });
    await fs.rename(file, final);
  }
}

/**
 * The content store of a layout: `blobs/<alg>/<hex>`. A blob only ever gets its final name
 * after its digest and size were verified (temp file in the ingest folder, fsync, rename),
 * so whatever stands under a final name is whole and correct.
 */
export class BlobStore {
  constructor(
    /** The layout directory. */
    readonly dir: string,
    /** Where temp files are written (same file system as `dir`). */
    readonly ingestDir: string,
  ) {}

  /** Where the blob with this digest lives. Throws DIGEST_INVALID for a malformed digest (no path tricks). */
  blobPath(digest: Digest): string {
    const d = parseDigest(digest);
    return path.join(this.dir, 'blobs', digestAlgorithm(d), digestHex(d));
  }

  /** The stored size of the blob, or null when it is absent. */
  async hasBlob(digest: Digest): Promise<number | null> {
    const file = this.blobPath(digest);
    try {
      const st = await fs.stat(file);
      return st.isFile() ? st.size : null;
    } catch (err) {
      if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return null;
      throw storeIo(err, 'cannot stat', file);
    }
  }

  /**
   * Opens the stored blob for reading: its handle (the caller closes it) and size, or null
   * when it is absent. One open and fstat, where `hasBlob` then `readBlob` take a stat and an
   * open; the bytes read come from the file whose size was given, even if it is replaced.
   */
  async openBlob(digest: Digest): Promise<{ handle: fs.FileHandle; size: number } | null> {
    const file = this.blobPath(digest);
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(file, 'r');
    } catch (err) {
      if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return null;
      throw storeIo(err, 'cannot open', file);
    }
    try {
      const st = await handle.stat();
      if (st.isFile()) return { handle, size: st.size };
    } catch (err) {
      await handle.close().catch(() => undefined);
      throw storeIo(err, 'cannot stat', file);
    }
    await handle.close();
    return null;
  }

  /**
   * Streams `data` into the blob `desc.digest`, verifying digest and size on the way
   * (DIGEST_MISMATCH / SIZE_MISMATCH). The bytes go to a synced temp file that is renamed
   * to the final name only once verified; on any failure the temp file is removed and the
   * error thrown (file system failures as STORE_IO, others as they came). When the blob
   * is already stored with the right size, `data` is drained and 'exists' returned.
   */
  async writeBlob(desc: Descriptor, data: Readable): Promise<WriteResult> {
    const final = this.blobPath(desc.digest);
    // The first stream to fail is where the error came from: the data (passed on as is)
    // or the verification (DIGEST/SIZE_MISMATCH), or the disk (STORE_IO). Listening from
    // the start also keeps an early input error from going unhandled while we await.
    let origin: 'input' | 'disk' | undefined;
    data.once('error', () => (origin ??= 'input'));
    if ((await this.hasBlob(desc.digest)) === desc.size) {
      await this.touch(desc.digest);
      data.resume();
      await finished(data).catch(() => undefined);
      return 'exists';
    }
    const tmp = path.join(this.ingestDir, tempName(digestHex(desc.digest)));
    let handle: fs.FileHandle | undefined;
    try {
      await fs.mkdir(this.ingestDir, { recursive: true });
      handle = await fs.open(tmp, 'wx');
      const out = syncedFileWriter(handle);
      out.once('error', () => (origin ??= 'disk'));
      // The copy engine hands over a stream that already verifies this digest: hash once.
      if (data instanceof VerifyingStream && data.expected === desc.digest && data.expectedSize === desc.size) {
        await pipeline(data, out);
      } else {
        const verify = new VerifyingStream(desc.digest, desc.size, 'blob');
        verify.once('error', () => (origin ??= 'input'));
        await pipeline(data, verify, out);
      }
      await handle.close();
      handle = undefined;
      await fs.mkdir(path.dirname(final), { recursive: true });
      await fs.rename(tmp, final);
    } catch (err) {
      await handle?.close().catch(() => undefined);
      await removeQuietly(tmp);
      if (origin === 'input' || data.errored) throw err;
      throw storeIo(err, 'cannot write blob', final);
    }
    await syncDir(path.dirname(final));
    return 'written';
  }

  /**
   * Moves `file`, whose bytes the caller hashed as they arrived and found to be `desc.digest`
   * with `desc.size` bytes, into the store under that digest: synced, then renamed (a blob
   * under its final name is whole), then its folder synced so the name lasts. No byte is read
   * or written again. The file must be on the store's file system; it is gone afterwards.
   */
  async adoptVerified(file: string, desc: Descriptor): Promise<WriteResult> {
    const final = this.blobPath(desc.digest);
    if ((await this.hasBlob(desc.digest)) === desc.size) {
      await removeQuietly(file);
      await this.touch(desc.digest);
      return 'exists';
    }
    try {
      const handle = await fs.open(file, 'r+');
      try {
        if ((await handle.stat()).size !== desc.size) throw new AirlockError(ErrorCodes.SIZE_MISMATCH, `blob ${desc.digest}: the file is not ${desc.size} bytes`, { digest: desc.digest });
        await handle.sync();
      } finally {
        await handle.close();
      }
      await renameInto(file, final);
    } catch (err) {
      await removeQuietly(file);
      if (err instanceof AirlockError) throw err;
      throw storeIo(err, 'cannot write blob', final);
    }
    await syncDir(path.dirname(final));
    return 'written';
  }

  /** Stores `bytes` as the blob `desc.digest` after checking them (DIGEST_MISMATCH / SIZE_MISMATCH). */
  async writeBytes(desc: Descriptor, bytes: Uint8Array): Promise<WriteResult> {
    verifyBytes(bytes, desc.digest, desc.size, 'blob');
    const final = this.blobPath(desc.digest);
    if ((await this.hasBlob(desc.digest)) === bytes.byteLength) {
      await this.touch(desc.digest);
      return 'exists';
    }
    try {
      await fs.mkdir(path.dirname(final), { recursive: true });
    } catch (err) {
      throw storeIo(err, 'cannot create', path.dirname(final));
    }
    await writeFileAtomic(final, bytes, this.ingestDir);
    return 'written';
  }

  /**
   * Marks the blob as just used (its mtime), so `airlock store prune` in another process
   * keeps it while a copy that found it in place has not named its image yet. Best effort:
   * a read-only store cannot be pruned either.
   */
  async touch(digest: Digest): Promise<void> {
    const now = new Date();
    await fs.utimes(this.blobPath(digest), now, now).catch(() => undefined);
  }

  /** A stream of the stored blob, or of bytes `range.start`..`range.end` (inclusive) of it (unverified; the reader hashes). LAYOUT_INVALID when missing. */
  async readBlob(digest: Digest, range?: { start: number; end: number }): Promise<Readable> {
    const file = this.blobPath(digest);
    try {
      const handle = await fs.open(file, 'r');
      return handle.createReadStream({ highWaterMark: BLOB_READ_CHUNK, ...(range ?? {}) });
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw layoutInvalid(`blob ${digest} is missing from ${this.dir}`, { digest, path: file }, err);
      throw storeIo(err, 'cannot read', file);
    }
  }

  /** The stored blob's bytes, verified against `digest` (and `size` when given). LAYOUT_INVALID when missing. */
  async readBytes(digest: Digest, size?: number): Promise<Buffer> {
    const file = this.blobPath(digest);
    let bytes: Buffer;
    try {
      bytes = await fs.readFile(file);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw layoutInvalid(`blob ${digest} is missing from ${this.dir}`, { digest, path: file }, err);
      throw storeIo(err, 'cannot read', file);
    }
    verifyBytes(bytes, digest, size, `blob in ${this.dir}`);
    return bytes;
  }

  /**
   * Removes temp files a killed writer left in the ingest folder: never named, so never
   * visible, but wasted space. Only files untouched for INGEST_STALE_MS go (a live writer
   * keeps its file's mtime fresh).
   */
  async sweepAbandonedIngest(): Promise<void> {
    let names: string[];
    try {
      names = await fs.readdir(this.ingestDir);
    } catch {
      return;
    }
    const cutoff = Date.now() - INGEST_STALE_MS;
    await Promise.all(
      names.map(async (name) => {
        const file = path.join(this.ingestDir, name);
        const st = await fs.stat(file).catch(() => undefined);
        if (st?.isFile() && st.mtimeMs < cutoff) await removeQuietly(file);
      }),
    );
  }
}
