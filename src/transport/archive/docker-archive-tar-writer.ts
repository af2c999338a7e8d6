/**
 * A tar file written entry by entry with positioned writes, so an entry whose content fails
 * mid-way (a broken source stream, bytes that do not match their digest) is cut off again
 * and the next attempt starts where it started: the copy engine retries a blob transfer,
 * and a tar stream could not take the entry back. Headers as bundles have them (tar-blocks.ts).
 */
import type { FileHandle } from 'node:fs/promises';
import { AirlockError, ErrorCodes } from '../../errors.js';
import { storeIo } from '../layout/fsutil.js';
import { fileHeader, TAR_BLOCK } from './tar-blocks.js';

const padding = (size: number) => (TAR_BLOCK - (size % TAR_BLOCK)) % TAR_BLOCK;

/** Appends entries to an open, empty file. */
export class TarAppender {
  private pos = 0;

  constructor(
    private readonly handle: FileHandle,
    /** The file, for messages. */
    private readonly file: string,
  ) {}

  /** Bytes written so far (entries only, without the end marker). */
  get size(): number {
    return this.pos;
  }

  /**
   * Adds `name` with exactly `size` bytes from `data`. When `data` fails or gives another
   * number of bytes, the file is cut back to where the entry began and the error thrown.
   */
  async add(name: string, size: number, data: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<void> {
    const start = this.pos;
    try {
      await this.write(fileHeader(name, size), start);
      let at = start + TAR_BLOCK;
      for await (const chunk of data) {
        if (at + chunk.length > start + TAR_BLOCK + size) throw this.sizeError(name, size, at + chunk.length - start - TAR_BLOCK);
        await this.write(chunk, at);
        at += chunk.length;
      }
      if (at !== start + TAR_BLOCK + size) throw this.sizeError(name, size, at - start - TAR_BLOCK);
      await this.write(Buffer.alloc(padding(size)), at);
      this.pos = at + padding(size);
    } catch (err) {
      await this.handle.truncate(start).catch(() => undefined);
      throw err;
    }
  }

  /** Adds `name` with `bytes`. */
  addBytes(name: string, bytes: Buffer): Promise<void> {
    return this.add(name, bytes.length, [bytes]);
  }

  /** Writes the end-of-archive marker and flushes the file to disk. */
  async finish(): Promise<void> {
    await this.write(Buffer.alloc(2 * TAR_BLOCK), this.pos);
    await this.handle.sync().catch((err: unknown) => {
      throw storeIo(err, 'syncing', this.file);
    });
  }

  /** Writes at `at`; a file system failure is STORE_IO (a failing source stream keeps its own error, so it is retried). */
  private async write(bytes: Uint8Array, at: number): Promise<void> {
    let done = 0;
    try {
      while (done < bytes.length) {
        const { bytesWritten } = await this.handle.write(bytes, done, bytes.length - done, at + done);
        done += bytesWritten;
      }
    } catch (err) {
      throw storeIo(err, 'writing', this.file);
    }
  }

  private sizeError(name: string, expected: number, actual: number): AirlockError {
    return new AirlockError(ErrorCodes.SIZE_MISMATCH, `${name}: expected ${expected} bytes, got ${actual}`, { expected, actual });
  }
}
