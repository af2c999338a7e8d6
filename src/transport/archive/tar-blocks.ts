/**
 * The few tar blocks a bundle needs, written directly: a ustar header for a regular file
 * (fixed mode, owner and time, so the same content gives the same bytes), the padding after
 * its content, and the end-of-archive marker. Streaming libraries copy every chunk through
 * several stream hops; bundles move gigabytes, so their content goes straight from a reused
 * buffer to the file, and only these blocks are made here. tar-index.ts reads them back.
 */
import { AirlockError, ErrorCodes } from '../../errors.js';

export const TAR_BLOCK = 512;
/** Largest size the 11 octal digits of a ustar size field hold (8 GiB - 1); larger sizes use GNU base-256. */
const OCTAL_SIZE_MAX = 8 ** 11 - 1;

function octal(buf: Buffer, at: number, width: number, value: number): void {
  buf.write(value.toString(8).padStart(width - 1, '0'), at, width - 1, 'ascii');
  buf[at + width - 1] = 0;
}

/** A ustar header block for the regular file `name` of `size` bytes (mode 0644, uid/gid 0, mtime 0). */
export function fileHeader(name: string, size: number): Buffer {
  const nameBytes = Buffer.from(name, 'utf8');
  if (nameBytes.length > 100) throw new AirlockError(ErrorCodes.INTERNAL, `tar entry name over 100 bytes: ${name}`);
  const h = Buffer.alloc(TAR_BLOCK);
  nameBytes.copy(h, 0);
  octal(h, 100, 8, 0o644);
  octal(h, 108, 8, 0);
  octal(h, 116, 8, 0);
  if (size <= OCTAL_SIZE_MAX) octal(h, 124, 12, size);
  else {
    // GNU base-256: the high bit of the first byte set, the value big-endian in the rest.
    h[124] = 0x80;
    let v = size;
    for (let i = 135; i > 124; i--, v = Math.floor(v / 256)) h[i] = v % 256;
  }
  octal(h, 136, 12, 0);
  h[156] = 0x30; // '0': a regular file
  h.write('ustar\u000000', 257, 8, 'ascii');
  // The checksum is computed with its own field as eight spaces.
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 8, 'ascii');
  return h;
}

/** Zero bytes that round a content of `size` bytes up to a whole block. */
export function padding(size: number): Buffer {
  return Buffer.alloc((TAR_BLOCK - (size % TAR_BLOCK)) % TAR_BLOCK);
}

/** The end of an archive: two zero blocks. */
export const END_OF_ARCHIVE = Buffer.alloc(2 * TAR_BLOCK);
