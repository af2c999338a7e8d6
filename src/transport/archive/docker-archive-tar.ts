/**
 * The entry table of a docker-archive tar, read in place. Like `indexTar` (same refusals:
 * absolute and `..` paths, hard links, devices, FIFOs, duplicate names, damaged headers,
 * files cut short, all ARCHIVE_INVALID naming the entry), with one difference: symbolic
 * links are recorded instead of refused, because `skopeo copy ... docker-archive:` always
 * writes them (`<id>/layer.tar -> ../<diffid>.tar`) and `docker save` before Docker 25 writes
 * one for each layer an image repeats. A link whose target is absolute or leaves the archive
 * is refused here; `resolveEntry` follows the others inside the archive, refusing a loop or
 * a dangling link.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { AirlockError, clip, ErrorCodes } from '../../errors.js';
import { MAX_TAR_ENTRIES, safeEntryName, type TarEntry, type TarIndex } from './tar-index.js';

const BLOCK = 512;
/** Largest pax or GNU long-name record read. */
const MAX_META_BYTES = 1024 * 1024;
/** Links followed at most from one name. */
const MAX_HOPS = 16;

/** A tar's regular files and its symbolic links (name -> target as written). */
export interface LinkedTarIndex extends TarIndex {
  links: Map<string, string>;
}

function invalid(file: string, message: string, details: Record<string, unknown> = {}): AirlockError {
  return new AirlockError(ErrorCodes.ARCHIVE_INVALID, `${file}: ${message}`, { file, ...details });
}

function field(buf: Buffer, start: number, length: number): string {
  const end = buf.indexOf(0, start);
  return buf.toString('utf8', start, end >= start && end < start + length ? end : start + length);
}

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

interface Pax {
  path?: string;
  linkpath?: string;
  size?: number;
}

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

const REFUSED_TYPES: Record<string, string> = { '1': 'a hard link', '3': 'a character device', '4': 'a block device', '6': 'a FIFO' };

/** Indexes the tar at `file` (headers only), recording symbolic links. ARCHIVE_INVALID as the module comment says. */
export async function indexLinkedTar(file: string): Promise<LinkedTarIndex> {
  const handle = await fs.open(file, 'r');
  try {
    const size = (await handle.stat()).size;
    const entries = new Map<string, TarEntry>();
    const links = new Map<string, string>();
    const header = Buffer.alloc(BLOCK);
    let pos = 0;
    let pax: Pax = {};
    let longName: string | undefined;
    let longLink: string | undefined;
    const readAt = async (buf: Buffer, at: number) => (await handle.read(buf, 0, buf.length, at)).bytesRead;
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
      const name = longName ?? pax.path ?? (ustar && header[345] !== 0 ? `${field(header, 345, 155)}/${field(header, 0, 100)}` : field(header, 0, 100));
      if (dataAt + dataSize > size) throw invalid(file, `cut short: entry ${JSON.stringify(clip(name, 120))} needs ${dataSize} bytes, the file ends first`, { entry: name });
      if (type === 'x' || type === 'g' || type === 'L' || type === 'K') {
        if (dataSize > MAX_META_BYTES) throw invalid(file, `a ${type} header of ${dataSize} bytes is over the limit`, { at: pos });
        const data = Buffer.alloc(dataSize);
        await readAt(data, dataAt);
        if (type === 'x') pax = paxRecords(data, file);
        if (type === 'L') longName = field(data, 0, data.length);
        if (type === 'K') longLink = field(data, 0, data.length);
        pos = next;
        continue;
      }
      const linkTarget = longLink ?? pax.linkpath ?? field(header, 157, 100);
      pax = {};
      longName = undefined;
      longLink = undefined;
      const kind = REFUSED_TYPES[type];
      if (kind) throw invalid(file, `entry ${JSON.stringify(clip(name, 120))}: refused (${kind})`, { entry: name });
      const safe = safeEntryName(name, file);
      pos = next;
      if (type === '5') continue;
      if (entries.has(safe) || links.has(safe)) throw invalid(file, `entry ${JSON.stringify(clip(safe, 120))} is in the archive twice`, { entry: safe });
      if (entries.size + links.size >= MAX_TAR_ENTRIES) throw invalid(file, `more than ${MAX_TAR_ENTRIES} entries`);
      if (type === '2') {
        links.set(safe, linkTarget);
        linkPath(file, safe, linkTarget);
        continue;
      }
      if (type !== '0' && type !== '\0' && type !== '7') throw invalid(file, `entry ${JSON.stringify(clip(name, 120))}: refused (tar type ${JSON.stringify(type)})`, { entry: name });
      entries.set(safe, { name: safe, offset: dataAt, size: dataSize });
    }
    return { file, size, entries, links };
  } finally {
    await handle.close();
  }
}

/** Where the link `name` points, inside the archive; ARCHIVE_INVALID for an absolute target or one that leaves the archive. */
function linkPath(file: string, name: string, target: string): string {
  if (target.startsWith('/')) throw invalid(file, `link ${JSON.stringify(clip(name, 120))}: refused (an absolute target)`, { entry: name });
  const joined = path.posix.normalize(path.posix.join(path.posix.dirname(name), target));
  if (joined === '..' || joined.startsWith('../')) throw invalid(file, `link ${JSON.stringify(clip(name, 120))}: refused (its target leaves the archive)`, { entry: name });
  return safeEntryName(joined, file);
}

/**
 * The regular file `name` stands for, following symbolic links inside the archive, and
 * every name passed on the way (the first is `name` made plain). Undefined when nothing is
 * there; ARCHIVE_INVALID for a link that leaves the archive, dangles or loops.
 */
export function resolveEntry(tar: LinkedTarIndex, name: string): { entry: TarEntry; names: string[] } | undefined {
  let current = safeEntryName(name, tar.file);
  const names = [current];
  for (let hop = 0; hop <= MAX_HOPS; hop++) {
    const entry = tar.entries.get(current);
    if (entry) return { entry, names };
    const target = tar.links.get(current);
    if (target === undefined) {
      if (hop === 0) return undefined;
      throw invalid(tar.file, `link ${JSON.stringify(clip(names[0]!, 120))} points at ${JSON.stringify(clip(current, 120))}, which is not in the archive`, { entry: names[0] });
    }
    current = linkPath(tar.file, current, target);
    names.push(current);
  }
  throw invalid(tar.file, `link ${JSON.stringify(clip(names[0]!, 120))}: more than ${MAX_HOPS} links in a row (a loop?)`, { entry: names[0] });
}
