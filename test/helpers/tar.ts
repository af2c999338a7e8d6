/** Minimal ustar writer: regular files and directories, fixed metadata, deterministic bytes. */

const BLOCK = 512;

export interface TarEntryHeader {
  name: string;
  size: number;
  type?: 'file' | 'dir';
  mode?: number;
  /** Seconds since the epoch; fixed so archives are reproducible. */
  mtime?: number;
}

function writeString(buf: Buffer, offset: number, length: number, s: string): void {
  const b = Buffer.from(s, 'utf8');
  if (b.length > length) throw new Error(`tar field too long: "${s}"`);
  b.copy(buf, offset);
}

function writeOctal(buf: Buffer, offset: number, length: number, n: number): void {
  // length-1 octal digits then NUL, the form every tar reader accepts.
  const s = n.toString(8).padStart(length - 1, '0');
  if (s.length > length - 1) throw new Error(`tar number too large: ${n}`);
  writeString(buf, offset, length, `${s}\0`);
}

/** One 512-byte ustar header. Names up to 100 bytes (no prefix splitting needed here). */
export function tarHeader(h: TarEntryHeader): Buffer {
  const buf = Buffer.alloc(BLOCK);
  const dir = h.type === 'dir';
  writeString(buf, 0, 100, dir && !h.name.endsWith('/') ? `${h.name}/` : h.name);
  writeOctal(buf, 100, 8, h.mode ?? (dir ? 0o755 : 0o644));
  writeOctal(buf, 108, 8, 0); // uid
  writeOctal(buf, 116, 8, 0); // gid
  writeOctal(buf, 124, 12, dir ? 0 : h.size);
  writeOctal(buf, 136, 12, h.mtime ?? 1_700_000_000);
  buf.fill(0x20, 148, 156); // checksum is computed with its own field as spaces
  buf[156] = dir ? 0x35 : 0x30; // '5' directory, '0' regular file
  writeString(buf, 257, 6, 'ustar\0');
  writeString(buf, 263, 2, '00');
  writeString(buf, 265, 32, 'root');
  writeString(buf, 297, 32, 'root');
  let sum = 0;
  for (const byte of buf) sum += byte;
  writeString(buf, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return buf;
}

/** Zero bytes that pad `size` bytes of content to the next block boundary. */
export function tarPadding(size: number): Buffer {
  const rest = size % BLOCK;
  return Buffer.alloc(rest === 0 ? 0 : BLOCK - rest);
}

/** The two zero blocks that end an archive. */
export function tarEnd(): Buffer {
  return Buffer.alloc(BLOCK * 2);
}
