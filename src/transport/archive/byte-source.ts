/**
 * Random access to the bytes of an archive, wherever they are: one file, or the numbered
 * volumes of a split bundle. The tar index and the archive reader see only this.
 */
import { createReadStream, promises as fs } from 'node:fs';
import { Readable } from 'node:stream';

/** Read size for entry streams: large reads keep syscalls and stream hops few (64 KiB by default). */
export const READ_CHUNK = 1024 * 1024;

/** Bytes at offsets, read in place. */
export interface ByteSource {
  /** For messages: the file, or the volume list. */
  readonly label: string;
  /** Total bytes. */
  readonly size: number;
  /** Fills `buf` from byte `at` as far as the source goes; the number of bytes read. */
  read(buf: Buffer, at: number): Promise<number>;
  /** A stream of bytes `start` (inclusive) to `end` (exclusive). */
  stream(start: number, end: number): Readable;
  /** Releases the handles `read` opened; `stream` still works afterwards (it opens its own). */
  close(): Promise<void>;
}

/** One file as a ByteSource. ENOENT propagates. */
export async function fileSource(file: string): Promise<ByteSource> {
  const size = (await fs.stat(file)).size;
  let handle: fs.FileHandle | undefined;
  return {
    label: file,
    size,
    read: async (buf, at) => {
      handle ??= await fs.open(file, 'r');
      return (await handle.read(buf, 0, buf.length, at)).bytesRead;
    },
    stream: (start, end) => (end <= start ? Readable.from([]) : createReadStream(file, { start, end: end - 1, highWaterMark: READ_CHUNK })),
    close: async () => {
      await handle?.close();
      handle = undefined;
    },
  };
}

/** The bytes `start`..`end` (exclusive) of `source` in one buffer (small entries only). */
export async function readSourceRange(source: ByteSource, start: number, end: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of source.stream(start, end)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
