/**
 * The entry table of a tar file, read in place: each regular file's name, where its bytes
 * start and how many there are, so a bundle is read (and served) without extracting it.
 * Streaming tar libraries give entries in order but not their offsets, hence this reader of
 * the headers alone: ustar (with its name prefix), pax extended headers (`path`, `size`) and
 * GNU long names, the forms skopeo, GNU tar and airlock write.
 *
 * What a bundle must never contain is refused, with ARCHIVE_INVALID naming the entry: an
 * absolute path, a `..` component, a link (symbolic or hard), a device or FIFO, the same
 * name twice, a damaged header, or a file cut short.
 *
 * One exception, asked for with `{ symlinks: 'record' }`: symbolic links are recorded rather
 * than refused, because docker-archive tars hold them (`skopeo copy ... docker-archive:`
 * always writes `<id>/layer.tar -> ../<diffid>.tar`, `docker save` before Docker 25 links each
 * layer an image repeats). A link whose target is absolute or leaves the archive is still
 * refused here; `resolveEntry` (tar-links.ts) follows the others. Hard links, devices and
 * FIFOs stay refused either way.
 */
import * as path from 'node:path';
import { AirlockError, clip, ErrorCodes } from '../../errors.js';
import { fileSource, type ByteSource } from './byte-source.js';

const BLOCK = 512;
/** Entries indexed at most: far beyond any bundle (one per blob), small enough to hold. */
export const MAX_TAR_ENTRIES = 1_000_000;
/** Largest pax or GNU long-name record read. */
const MAX_META_BYTES = 1024 * 1024;

/** One regular file of the archive. */
export interface TarEntry {
  name: string;
  /** Byte offset of its content in the file. */
  offset: number;
  size: number;
}

/** A tar file's regular files by name. */
export interface TarIndex {
  /** The file (or volume list) it was read from, for messages. */
  file: string;
  /** The archive's size when it was indexed. */
  size: number;
  entries: Map<string, TarEntry>;
}

/** A tar's regular files and its symbolic links (name made plain -> target as written). */
export interface LinkedTarIndex extends TarIndex {
  links: Map<string, string>;
}

/** How to index: `symlinks: 'record'` keeps symbolic links (docker-archive); the default refuses them (bundles). */
export interface TarIndexOptions {
  symlinks?: 'refuse' | 'record';
}

function invalid(file: string, message: string, details: Record<string, unknown> = {}): AirlockError {
  return new AirlockError(ErrorCodes.ARCHIVE_INVALID, `${file}: ${message}`, { file, ...details });
}

/** A NUL-terminated header field as text. */
function field(buf: Buffer, start: number, length: number): string {
  const end = buf.indexOf(0, start);
  return buf.toString('utf8', start, end >= start && end < start + length ? end : start + length);
}

/** A numeric header field: octal text, or base-256 when the high bit is set (GNU, for sizes over 8 GiB). */
function numeric(buf: Buffer, start: number, length: number): number | undefined {
  if (buf[start]! & 0x80) {
    let n = 0;
    for (let i = start + 1; i < start + length; i++) n = n * 256 + buf[i]!;
    return Number.isSafeInteger(n) ? n : undefined;
  }
  const text = field(buf, start, length).trim();
  if (text === '') return 0;
  return /^[0-7]+$/.test(text) ? parseInt(text, 8) : undefined;
}

/** True when the header's checksum (unsigned, or signed as some old tars wrote it) matches. */
function checksumOk(buf: Buffer): boolean {
  const stored = numeric(buf, 148, 8);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : buf[i]!;
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  return stored === unsigned || stored === signed;
}

/** The pax keys that matter here. */
interface Pax {
  path?: string;
  linkpath?: string;
  size?: number;
}

/** pax records (`LEN key=value\n`), the ones that matter here. */
function paxRecords(data: Buffer, file: string): Pax {
  const out: Pax = {};
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    const len = space > at ? Number(data.toString('ascii', at, space)) : NaN;
    if (!Number.isSafeInteger(len) || len <= 0 || at + len > data.length) throw invalid(file, 'a pax header record is malformed');
    const record = data.toString('utf8', space + 1, at + len - 1);
    const eq = record.indexOf('=');
    const key = record.slice(0, eq);
    const value = record.slice(eq + 1);
    if (key === 'path') out.path = value;
    if (key === 'linkpath') out.linkpath = value;
    if (key === 'size') {
      if (!/^[0-9]+$/.test(value)) throw invalid(file, `a pax size is not a number: ${clip(value, 40)}`);
      out.size = Number(value);
    }
    at += len;
  }
  return out;
}

/** The entry's name made plain (`./a/b` -> `a/b`), or ARCHIVE_INVALID for a path that could leave the bundle. */
export function safeEntryName(name: string, file: string): string {
  if (name.includes('\0') || name.includes('\\')) throw invalid(file, `entry ${JSON.stringify(clip(name, 120))}: refused (NUL or backslash in the name)`, { entry: name });
  if (name.startsWith('/')) throw invalid(file, `entry ${JSON.stringify(clip(name, 120))}: refused (an absolute path)`, { entry: name });
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw invalid(file, `entry ${JSON.stringify(clip(name, 120))}: refused (.. leaves the bundle)`, { entry: name });
  return parts.join('/');
}

/**
 * Where the symbolic link `name` points, as an entry name inside the archive; ARCHIVE_INVALID
 * for an absolute target or one that leaves the archive. Checked when indexing, so no
 * recorded link can point outside, and again by `resolveEntry` on each hop.
 */
export function linkTargetName(file: string, name: string, target: string): string {
  if (target.startsWith('/')) throw invalid(file, `link ${JSON.stringify(clip(name, 120))}: refused (an absolute target)`, { entry: name });
  const joined = path.posix.normalize(path.posix.join(path.posix.dirname(name), target));
  if (joined === '..' || joined.startsWith('../')) throw invalid(file, `link ${JSON.stringify(clip(name, 120))}: refused (its target leaves the archive)`, { entry: name });
  return safeEntryName(joined, file);
}

const LINK_TYPES: Record<string, string> = { '1': 'a hard link', '2': 'a symbolic link', '3': 'a character device', '4': 'a block device', '6': 'a FIFO' };

/**
 * Indexes the tar file at `file`: ARCHIVE_INVALID, naming the entry, for anything the module
 * comment lists. Only headers are read (and pax or long-name records), never the content.
 * With `{ symlinks: 'record' }` the symbolic links come back in `links`.
 */
export async function indexTar(file: string, opts: { symlinks: 'record' }): Promise<LinkedTarIndex>;
export async function indexTar(file: string, opts?: TarIndexOptions): Promise<TarIndex>;
export async function indexTar(file: string, opts: TarIndexOptions = {}): Promise<TarIndex> {
  const source = await fileSource(file);
  try {
    return await indexTarSource(source, opts);
  } finally {
    await source.close();
  }
}

/** As indexTar, over any ByteSource (the volumes of a split bundle read as one). */
export async function indexTarSource(source: ByteSource, opts: { symlinks: 'record' }): Promise<LinkedTarIndex>;
export async function indexTarSource(source: ByteSource, opts?: TarIndexOptions): Promise<TarIndex>;
export async function indexTarSource(source: ByteSource, opts: TarIndexOptions = {}): Promise<TarIndex | LinkedTarIndex> {
  const file = source.label;
  const size = source.size;
  const entries = new Map<string, TarEntry>();
  // Present only when asked for, so a bundle's index stays a plain TarIndex.
  const links = opts.symlinks === 'record' ? new Map<string, string>() : undefined;
  const header = Buffer.alloc(BLOCK);
  let pos = 0;
  let pax: Pax = {};
  let longName: string | undefined;
  let longLink: string | undefined;
  const readAt = (buf: Buffer, at: number) => source.read(buf, at);
  for (;;) {
    const got = await readAt(header, pos);
    if (got === 0) break;
    if (got < BLOCK) throw invalid(file, `cut short: it ends inside a header at byte ${pos + got}`, { at: pos });
    if (header.every((b) => b === 0)) break;
    if (!checksumOk(header)) throw invalid(file, `damaged: the header at byte ${pos} fails its checksum`, { at: pos });
    const type = String.fromCharCode(header[156]!);
    const headerSize = numeric(header, 124, 12);
    if (headerSize === undefined) throw invalid(file, `damaged: the header at byte ${pos} has no valid size`, { at: pos });
    const dataSize = pax.size ?? headerSize;
    const dataAt = pos + BLOCK;
    const next = dataAt + Math.ceil(dataSize / BLOCK) * BLOCK;
    const ustar = header.toString('ascii', 257, 262) === 'ustar';
    const rawName = longName ?? pax.path ?? (ustar && header[345] !== 0 ? `${field(header, 345, 155)}/${field(header, 0, 100)}` : field(header, 0, 100));
    if (dataAt + dataSize > size) throw invalid(file, `cut short: entry ${JSON.stringify(clip(rawName, 120))} needs ${dataSize} bytes, the file ends first`, { entry: rawName });
    if (type === 'x' || type === 'g' || type === 'L' || type === 'K') {
      if (dataSize > MAX_META_BYTES) throw invalid(file, `a ${type} header of ${dataSize} bytes is over the limit`, { at: pos });
      const data = Buffer.alloc(dataSize);
      await readAt(data, dataAt);
      if (type === 'x') pax = paxRecords(data, file);
      if (type === 'L') longName = field(data, 0, data.length);
      if (type === 'K') longLink = field(data, 0, data.length);
      // A global pax header sets defaults airlock does not need.
      pos = next;
      continue;
    }
    const name = rawName;
    const linkTarget = longLink ?? pax.linkpath ?? field(header, 157, 100);
    pax = {};
    longName = undefined;
    longLink = undefined;
    const kind = type === '2' && links ? undefined : LINK_TYPES[type];
    if (kind) throw invalid(file, `entry ${JSON.stringify(clip(name, 120))}: refused (${kind})`, { entry: name });
    const safe = safeEntryName(name, file);
    pos = next;
    if (type === '5') continue;
    if (type !== '0' && type !== '\0' && type !== '7' && type !== '2') throw invalid(file, `entry ${JSON.stringify(clip(name, 120))}: refused (tar type ${JSON.stringify(type)})`, { entry: name });
    // A link and a file of the same name would make the name mean two things: refused as a duplicate.
    if (entries.has(safe) || links?.has(safe)) throw invalid(file, `entry ${JSON.stringify(clip(safe, 120))} is in the archive twice`, { entry: safe });
    if (entries.size + (links?.size ?? 0) >= MAX_TAR_ENTRIES) throw invalid(file, `more than ${MAX_TAR_ENTRIES} entries`);
    if (type === '2') {
      linkTargetName(file, safe, linkTarget);
      links!.set(safe, linkTarget);
    } else {
      entries.set(safe, { name: safe, offset: dataAt, size: dataSize });
    }
  }
  return links ? { file, size, entries, links } : { file, size, entries };
}
