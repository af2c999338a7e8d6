import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { AirlockError, ErrorCodes } from '../../errors.js';

/** True for a Node system error with the given errno code (`ENOENT`, `EEXIST`, ...). */
export function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}

/** Wraps a file system failure as STORE_IO; AirlockErrors pass through unchanged. */
export function storeIo(err: unknown, what: string, file: string): AirlockError {
  if (err instanceof AirlockError) return err;
  const reason = err instanceof Error ? err.message : String(err);
  return new AirlockError(ErrorCodes.STORE_IO, `${what} ${file}: ${reason}`, { path: file }, { cause: err });
}

/** A unique file name for a temporary file (pid + random, so concurrent processes never collide). */
export function tempName(prefix: string): string {
  return `${prefix}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
}

/** Removes a file, ignoring "already gone". */
export async function removeQuietly(file: string): Promise<void> {
  await fs.rm(file, { force: true }).catch(() => undefined);
}

/**
 * Flushes a directory entry to disk so a completed rename survives a crash. Best effort:
 * some file systems refuse fsync on directories, and the data itself is already synced.
 */
export async function syncDir(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch {
    // Not fatal: the rename happened; only its durability across a power cut is weaker.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/**
 * Writes `bytes` to `file` atomically: a synced temp file in `tmpDir` (same file system)
 * renamed over the target. Readers see the old content or the new, never a mix. Returns
 * the written file's identity (inode, size, mtime), taken before the rename so it is ours
 * even if another writer replaces the file right after.
 */
export async function writeFileAtomic(file: string, bytes: Uint8Array | string, tmpDir: string): Promise<FileIdentity> {
  const tmp = path.join(tmpDir, tempName(path.basename(file)));
  let identity: FileIdentity;
  try {
    await fs.mkdir(tmpDir, { recursive: true });
    const handle = await fs.open(tmp, 'wx');
    try {
      await handle.writeFile(bytes);
      await handle.sync();
      identity = fileIdentity(await handle.stat());
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, file);
  } catch (err) {
    await removeQuietly(tmp);
    throw storeIo(err, 'cannot write', file);
  }
  await syncDir(path.dirname(file));
  return identity;
}

/** What tells one version of a file from another: a rename changes the inode, a write the size or mtime. */
export type FileIdentity = string;

/** The identity of a file from its stat. */
export function fileIdentity(st: { ino: number; size: number; mtimeMs: number }): FileIdentity {
  return `${st.ino}:${st.size}:${st.mtimeMs}`;
}

/**
 * A Writable over an open file handle that fsyncs in `final`, so when a pipeline into it
 * resolves, the bytes are on disk. The caller closes the handle.
 */
export function syncedFileWriter(handle: fs.FileHandle): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      writeAll(handle, chunk).then(() => cb(), cb);
    },
    final(cb) {
      handle.sync().then(() => cb(), cb);
    },
  });
}

async function writeAll(handle: fs.FileHandle, chunk: Buffer): Promise<void> {
  let offset = 0;
  while (offset < chunk.length) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset);
    offset += bytesWritten;
  }
}
