/**
 * A split bundle: the bytes of one bundle tar cut into numbered volumes (`images.tar.000`,
 * `images.tar.001`, ...; concatenated, they are the unsplit bundle byte for byte), and a small
 * `images.bundle.json` beside them that lists every volume with its size and sha256, and the
 * tar's entry table, so a bundle can be read, and imported in part, while a volume is missing.
 */
import { createReadStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { AirlockError, clip, ErrorCodes } from '../../errors.js';
import { READ_CHUNK, type ByteSource } from './byte-source.js';
import { MAX_TAR_ENTRIES, safeEntryName, type TarEntry, type TarIndex } from './tar-index.js';

/** The format version of images.bundle.json. */
export const VOLUME_MANIFEST_VERSION = 1;
/** Largest images.bundle.json read (an entry per blob: far beyond any real set). */
const MAX_MANIFEST_BYTES = 256 * 1024 * 1024;

/** One volume as images.bundle.json lists it. */
export interface VolumeInfo {
  /** File name, in the manifest's directory. */
  file: string;
  size: number;
  sha256: string;
}

/** images.bundle.json. */
export interface VolumeManifest {
  airlockBundleVolumes: typeof VOLUME_MANIFEST_VERSION;
  /** The unsplit bundle's size and sha256. */
  size: number;
  sha256: string;
  volumes: VolumeInfo[];
  /** Set when the volumes hold a zstd stream (then `entries` is empty: the tar is read after decompressing). */
  compression?: 'zstd';
  /** `[name, offset, size]` of every file in the tar, as its headers say. */
  entries: [string, number, number][];
}

/** images.bundle.json as written: a line per volume and per entry, to read and diff. */
export function formatVolumeManifest(m: VolumeManifest): string {
  const lines = (items: unknown[]) => items.map((x) => `  ${JSON.stringify(x)}`).join(',\n');
  return `{"airlockBundleVolumes": ${m.airlockBundleVolumes}, "size": ${m.size}, "sha256": ${JSON.stringify(m.sha256)},${m.compression ? ` "compression": ${JSON.stringify(m.compression)},` : ''}\n "volumes": [\n${lines(m.volumes)}\n ],\n "entries": [\n${lines(m.entries)}\n ]}\n`;
}

/** A volume that cannot be read as listed. */
export interface VolumeProblem {
  file: string;
  index: number;
  why: 'missing' | 'size';
  /** For `size`: the size found. */
  found?: number;
}

/** True for a path that names a volume manifest rather than a tar. */
export const isVolumeManifest = (file: string) => file.endsWith('.bundle.json');

/** The manifest's name for a bundle written as `out` (`images.tar` -> `images.bundle.json`). */
export const volumeManifestName = (out: string) => `${out.replace(/\.tar(\.zst)?$/, '')}.bundle.json`;

/** The name of volume `i` of the bundle `out` (`images.tar.000`). */
export const volumeName = (out: string, i: number) => `${out}.${String(i).padStart(3, '0')}`;

function invalid(file: string, message: string): AirlockError {
  return new AirlockError(ErrorCodes.ARCHIVE_INVALID, `${file}: ${message}`, { file });
}

const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

/** Parses and checks images.bundle.json: ARCHIVE_INVALID for anything malformed, unsafe or inconsistent. */
export function parseVolumeManifest(text: string, file: string): VolumeManifest {
  let m: Partial<VolumeManifest>;
  try {
    m = JSON.parse(text) as Partial<VolumeManifest>;
  } catch {
    throw invalid(file, 'not JSON');
  }
  if (m?.airlockBundleVolumes !== VOLUME_MANIFEST_VERSION) throw invalid(file, `not a volume list airlock reads (airlockBundleVolumes: ${JSON.stringify(clip(String(m?.airlockBundleVolumes), 20))})`);
  if (!isCount(m.size) || typeof m.sha256 !== 'string' || !Array.isArray(m.volumes) || !Array.isArray(m.entries)) throw invalid(file, 'size, sha256, volumes and entries are required');
  let total = 0;
  for (const v of m.volumes) {
    if (typeof v?.file !== 'string' || v.file.includes('/') || v.file.includes('\\') || v.file.startsWith('.') || !isCount(v.size) || !/^[0-9a-f]{64}$/.test(String(v.sha256))) {
      throw invalid(file, `volume ${JSON.stringify(clip(JSON.stringify(v), 120))} is malformed (a plain file name, a size and a sha256 are needed)`);
    }
    total += v.size;
  }
  if (total !== m.size) throw invalid(file, `the volumes add up to ${total} bytes, the bundle is listed as ${m.size}`);
  if (m.entries.length > MAX_TAR_ENTRIES) throw invalid(file, `more than ${MAX_TAR_ENTRIES} entries`);
  for (const e of m.entries) {
    if (!Array.isArray(e) || typeof e[0] !== 'string' || !isCount(e[1]) || !isCount(e[2]) || e[1] + e[2] > m.size) throw invalid(file, `entry ${JSON.stringify(clip(JSON.stringify(e), 120))} is malformed or beyond the end`);
    safeEntryName(e[0], file);
  }
  return m as VolumeManifest;
}

/** Reads images.bundle.json at `file`. LOCATION_INVALID when absent. */
export async function readVolumeManifest(file: string): Promise<VolumeManifest> {
  let stat;
  try {
    stat = await fs.stat(file);
  } catch {
    throw new AirlockError(ErrorCodes.LOCATION_INVALID, `${file}: no such file`, { file });
  }
  if (stat.size > MAX_MANIFEST_BYTES) throw invalid(file, `over ${MAX_MANIFEST_BYTES} bytes`);
  return parseVolumeManifest(await fs.readFile(file, 'utf8'), file);
}

/** The volumes of a split bundle read as one ByteSource. Reading a missing volume throws VOLUME_MISSING naming it. */
export class VolumeSet implements ByteSource {
  readonly label: string;
  readonly size: number;
  private readonly starts: number[] = [];
  private readonly handles = new Map<number, fs.FileHandle>();

  constructor(
    /** The images.bundle.json path. */
    readonly file: string,
    readonly manifest: VolumeManifest,
  ) {
    this.label = file;
    this.size = manifest.size;
    let at = 0;
    for (const v of manifest.volumes) {
      this.starts.push(at);
      at += v.size;
    }
  }

  /** Opens the split bundle described by `file` (images.bundle.json). */
  static async open(file: string): Promise<VolumeSet> {
    return new VolumeSet(file, await readVolumeManifest(file));
  }

  /** The path of volume `i`. */
  pathOf(i: number): string {
    return path.join(path.dirname(this.file), this.manifest.volumes[i]!.file);
  }

  /** The entry table the manifest records. */
  tarIndex(): TarIndex {
    const entries = new Map<string, TarEntry>();
    for (const [name, offset, size] of this.manifest.entries) {
      const safe = safeEntryName(name, this.file);
      if (entries.has(safe)) throw invalid(this.file, `entry ${JSON.stringify(clip(safe, 120))} is listed twice`);
      entries.set(safe, { name: safe, offset, size });
    }
    return { file: this.file, size: this.size, entries };
  }

  /** Volumes that are absent or of the wrong size (a size check only: `bundle verify` hashes them). */
  async problems(): Promise<VolumeProblem[]> {
    const out: VolumeProblem[] = [];
    await Promise.all(
      this.manifest.volumes.map(async (v, index) => {
        const found = await fs.stat(this.pathOf(index)).then((s) => s.size, () => undefined);
        if (found === undefined) out.push({ file: v.file, index, why: 'missing' });
        else if (found !== v.size) out.push({ file: v.file, index, why: 'size', found });
      }),
    );
    return out.sort((a, b) => a.index - b.index);
  }

  /** The volumes holding bytes `start`..`end` (exclusive). */
  volumesOf(start: number, end: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.starts.length; i++) {
      const vs = this.starts[i]!;
      const ve = vs + this.manifest.volumes[i]!.size;
      if (ve > start && vs < Math.max(end, start + 1)) out.push(i);
    }
    return out;
  }

  private missing(i: number, cause?: unknown): AirlockError {
    const v = this.manifest.volumes[i]!;
    return new AirlockError(
      ErrorCodes.VOLUME_MISSING,
      `volume ${v.file} (${i + 1} of ${this.manifest.volumes.length}) of ${this.file} is missing or cut short: bring it beside ${path.basename(this.file)} and run again`,
      { volume: v.file, index: i },
      { cause },
    );
  }

  private async handle(i: number): Promise<fs.FileHandle> {
    let h = this.handles.get(i);
    if (!h) {
      h = await fs.open(this.pathOf(i), 'r').catch((err: unknown) => {
        throw this.missing(i, err);
      });
      this.handles.set(i, h);
    }
    return h;
  }

  async read(buf: Buffer, at: number): Promise<number> {
    let done = 0;
    for (const i of this.volumesOf(at, at + buf.length)) {
      const from = at + done - this.starts[i]!;
      const want = Math.min(buf.length - done, this.manifest.volumes[i]!.size - from);
      const got = (await (await this.handle(i)).read(buf, done, want, from)).bytesRead;
      done += got;
      if (got < want) throw this.missing(i);
    }
    return done;
  }

  stream(start: number, end: number): Readable {
    if (end <= start) return Readable.from([]);
    const parts = this.volumesOf(start, end).map((i) => {
      const vs = this.starts[i]!;
      return { i, from: Math.max(start, vs) - vs, to: Math.min(end, vs + this.manifest.volumes[i]!.size) - vs };
    });
    const self = this;
    return Readable.from(
      (async function* () {
        for (const p of parts) {
          let got = 0;
          try {
            for await (const c of createReadStream(self.pathOf(p.i), { start: p.from, end: p.to - 1, highWaterMark: READ_CHUNK })) {
              got += (c as Buffer).length;
              yield c as Buffer;
            }
          } catch (err) {
            throw self.missing(p.i, err);
          }
          if (got < p.to - p.from) throw self.missing(p.i);
        }
      })(),
      { objectMode: false },
    );
  }

  async close(): Promise<void> {
    const hs = [...this.handles.values()];
    this.handles.clear();
    await Promise.all(hs.map((h) => h.close()));
  }
}
