/**
 * A tar file written entry by entry with positioned writes, so an entry whose content fails
 * mid-way (a broken source stream, bytes that do not match their digest) is cut off again
 * and the next attempt starts where it started: the copy engine retries a blob transfer,
 * and a tar stream could not take the entry back. Plain ustar headers, fixed metadata
 * (mode 0644, uid/gid 0, mtime 0), sizes over 8 GiB in GNU base-256 as GNU tar writes them.
 */
import type { FileHandle } from 'node:fs/promises';
import { AirlockError, ErrorCodes } from '../../errors.js';
import { storeIo } from '../layout/fsutil.js';

const BLOCK = 512;
/** Largest size the 11 octal digits of a ustar size field hold. */
const MAX_OCTAL_SIZE = 8 ** 11 - 1;

function octal(buf: Buffer, at: number, length: number, n: number): void {
  buf.write(`${n.toString(8).padStart(length - 1, '0')}\0`, at, length, 'ascii');
}

/** One ustar header for a regular file `name` (at most 100 bytes) of `size` bytes. */
export function fileHeader(name: string, size: number): Buffer {
  const buf = Buffer.alloc(BLOCK);
  if (Buffer.byteLength(name) > 100) throw new AirlockError(ErrorCodes.INTERNAL, `tar entry name over 100 bytes: ${name}`);
  buf.write(name, 0, 100, 'utf8');
  octal(buf, 100, 8, 0o644);
  octal(buf, 108, 8, 0);
  octal(buf, 116, 8, 0);
  if (size <= MAX_OCTAL_SIZE) octal(buf, 124, 12, size);
  else {
    buf[124] = 0x80;
    let n = size;
    for (let i = 135; i > 124; i--) {
      buf[i] = n % 256;
      n = Math.floor(n / 256);
    }
  }
  octal(buf, 136, 12, 0);
  buf.fill(0x20, 148, 156);
  buf[156] = 0x30;
  buf.write('ustar\0', 257, 6, 'ascii');
  buf.write('00', 263, 2, 'ascii');
  let sum = 0;
  for (const b of buf) sum += b;
  buf.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
  return buf;
}

const padding = (size: number) => (BLOCK - (size % BLOCK)) % BLOCK;

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
      let at = start + BLOCK;
      for await (const chunk of data) {
        if (at + chunk.length > start + BLOCK + size) throw this.sizeError(name, size, at + chunk.length - start - BLOCK);
        await this.write(chunk, at);
        at += chunk.length;
      }
      if (at !== start + BLOCK + size) throw this.sizeError(name, size, at - start - BLOCK);
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
    await this.write(Buffer.alloc(2 * BLOCK), this.pos);
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
