import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { AirlockError, ErrorCodes } from '../../errors.js';
import { Annotations, type Descriptor } from '../../oci/descriptor.js';
import { digestAlgorithm, digestHex, isDigest, parseDigest, verifyBytes, VerifyingStream, type Digest } from '../../oci/digest.js';
import { MediaTypes } from '../../oci/mediatypes.js';
import { isErrno, removeQuietly, storeIo, syncDir, syncedFileWriter, tempName, writeFileAtomic } from './fsutil.js';
import { withLock } from './lock.js';

/** The `oci-layout` marker file. */
export const OCI_LAYOUT_FILE = 'oci-layout';
/** The layout's top-level index. */
export const INDEX_FILE = 'index.json';
/** airlock's private work area inside a layout (temp files, lock); not part of the image data. */
export const LAYOUT_WORK_DIR = '.airlock';
/** The layout version airlock writes. */
export const IMAGE_LAYOUT_VERSION = '1.0.0';

/** The parsed `index.json`. Unknown fields are kept and written back unchanged. */
export interface LayoutIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
  [key: string]: unknown;
}

/** One named entry of `index.json`. */
export interface LayoutRef {
  name: string;
  descriptor: Descriptor;
}

export interface OpenLayoutOptions {
  /** Create the directory, `oci-layout` and an empty `index.json` when missing. */
  create?: boolean;
}

/** What `writeBlob` / `writeBytes` did. */
export type WriteResult = 'written' | 'exists';

function invalid(message: string, details: Record<string, unknown>, cause?: unknown): AirlockError {
  return new AirlockError(ErrorCodes.LAYOUT_INVALID, message, details, cause === undefined ? undefined : { cause });
}

/** The name an index entry carries: its ref.name annotation, else its containerd image name. */
export function entryName(desc: Descriptor): string | undefined {
  return desc.annotations?.[Annotations.refName] ?? desc.annotations?.[Annotations.containerdName];
}

/** A copy of `desc` without the naming annotations index.json adds (the image itself, not its name). */
export function withoutRefAnnotations(desc: Descriptor): Descriptor {
  const { annotations, ...rest } = desc;
  if (!annotations) return { ...rest };
  const kept = Object.fromEntries(
    Object.entries(annotations).filter(([k]) => k !== Annotations.refName && k !== Annotations.containerdName),
  );
  return Object.keys(kept).length > 0 ? { ...rest, annotations: kept } : { ...rest };
}

function checkDescriptor(v: unknown, where: string, file: string): Descriptor {
  const d = v as Record<string, unknown> | null;
  const ok =
    typeof d === 'object' &&
    d !== null &&
    typeof d.mediaType === 'string' &&
    typeof d.digest === 'string' &&
    isDigest(d.digest) &&
    typeof d.size === 'number' &&
    Number.isSafeInteger(d.size) &&
    d.size >= 0 &&
    (d.annotations === undefined || (typeof d.annotations === 'object' && d.annotations !== null));
  if (!ok) throw invalid(`${file}: ${where} is not a valid descriptor`, { path: file });
  return d as unknown as Descriptor;
}

/** Parses and checks index.json bytes; throws LAYOUT_INVALID when they are not an OCI index. */
export function parseLayoutIndex(bytes: Uint8Array, file = INDEX_FILE): LayoutIndex {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw invalid(`${file} is not valid JSON`, { path: file }, err);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw invalid(`${file} is not a JSON object`, { path: file });
  const idx = json as Record<string, unknown>;
  if (idx.schemaVersion !== 2) throw invalid(`${file}: schemaVersion must be 2`, { path: file });
  if (!Array.isArray(idx.manifests)) throw invalid(`${file}: manifests is not an array`, { path: file });
  idx.manifests.forEach((m, i) => checkDescriptor(m, `manifests[${i}]`, file));
  return idx as LayoutIndex;
}

/** index.json bytes with the usual key order first; other keys follow as they were. */
function serialiseIndex(index: LayoutIndex): string {
  const { schemaVersion, mediaType, manifests, annotations, ...rest } = index;
  return JSON.stringify({
    schemaVersion,
    ...(mediaType !== undefined ? { mediaType } : {}),
    manifests,
    ...(annotations !== undefined ? { annotations } : {}),
    ...rest,
  });
}

function emptyIndex(): LayoutIndex {
  return { schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [] };
}

/**
 * An OCI image layout 1.0 directory: `oci-layout`, `index.json`, `blobs/<alg>/<hex>`.
 * Blobs only ever get their final name after their digest and size were verified;
 * index.json changes are atomic and serialised across processes by a lock.
 */
/** Age after which an ingest temp file counts as abandoned by a killed writer. */
export const INGEST_STALE_MS = 60 * 60 * 1000;
// Layouts already swept by this process.
const swept = new Set<string>();

export class OciLayout {
  /** Absolute, symlink-free path of the layout. */
  readonly dir: string;

  private constructor(dir: string) {
    this.dir = dir;
  }

  /**
   * Opens the layout at `dir`. Without `create`, throws LAYOUT_INVALID unless `dir` holds
   * a valid `oci-layout` and `index.json`. With `create`, makes what is missing (safe when
   * several processes do it at once) and still refuses an existing invalid layout.
   */
  static async open(dir: string, options: OpenLayoutOptions = {}): Promise<OciLayout> {
    const abs = path.resolve(dir);
    if (options.create) {
      try {
        await fs.mkdir(abs, { recursive: true });
      } catch (err) {
        throw storeIo(err, 'cannot create layout directory', abs);
      }
    }
    let real: string;
    try {
      real = await fs.realpath(abs);
      if (!(await fs.stat(real)).isDirectory()) throw invalid(`${abs} is not a directory`, { path: abs });
    } catch (err) {
      if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) {
        throw invalid(`no OCI image layout at ${abs}`, { path: abs }, err);
      }
      throw storeIo(err, 'cannot open layout', abs);
    }
    const layout = new OciLayout(real);
    if (options.create) {
      await layout.initialise();
      await layout.sweepAbandonedIngest();
    } else {
      await layout.checkLayoutFile();
      await layout.readIndex();
    }
    return layout;
  }

  /**
   * Removes temp files a killed writer left in the ingest folder: never named, so never
   * visible, but wasted space. Only files untouched for INGEST_STALE_MS go (a live writer
   * keeps its file's mtime fresh), and only once per layout per process.
   */
  private async sweepAbandonedIngest(): Promise<void> {
    if (swept.has(this.dir)) return;
    swept.add(this.dir);
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

  /** Path of `index.json`. */
  get indexPath(): string {
    return path.join(this.dir, INDEX_FILE);
  }

  private get workDir(): string {
    return path.join(this.dir, LAYOUT_WORK_DIR);
  }

  private get ingestDir(): string {
    return path.join(this.workDir, 'ingest');
  }

  private get lockPath(): string {
    return path.join(this.workDir, 'index.lock');
  }

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

  /** Stores `bytes` as the blob `desc.digest` after checking them (DIGEST_MISMATCH / SIZE_MISMATCH). */
  async writeBytes(desc: Descriptor, bytes: Uint8Array): Promise<WriteResult> {
    verifyBytes(bytes, desc.digest, desc.size, 'blob');
    const final = this.blobPath(desc.digest);
    if ((await this.hasBlob(desc.digest)) === bytes.byteLength) return 'exists';
    try {
      await fs.mkdir(path.dirname(final), { recursive: true });
    } catch (err) {
      throw storeIo(err, 'cannot create', path.dirname(final));
    }
    await writeFileAtomic(final, bytes, this.ingestDir);
    return 'written';
  }

  /** A stream of the stored blob (unverified; the reader hashes). LAYOUT_INVALID when missing. */
  async readBlob(digest: Digest): Promise<Readable> {
    const file = this.blobPath(digest);
    try {
      const handle = await fs.open(file, 'r');
      return handle.createReadStream();
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw invalid(`blob ${digest} is missing from ${this.dir}`, { digest, path: file }, err);
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
      if (isErrno(err, 'ENOENT')) throw invalid(`blob ${digest} is missing from ${this.dir}`, { digest, path: file }, err);
      throw storeIo(err, 'cannot read', file);
    }
    verifyBytes(bytes, digest, size, `blob in ${this.dir}`);
    return bytes;
  }

  /** Reads and checks `index.json` (LAYOUT_INVALID when missing or malformed). */
  async readIndex(): Promise<LayoutIndex> {
    let bytes: Buffer;
    try {
      bytes = await fs.readFile(this.indexPath);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw invalid(`${this.indexPath} is missing`, { path: this.indexPath }, err);
      throw storeIo(err, 'cannot read', this.indexPath);
    }
    return parseLayoutIndex(bytes, this.indexPath);
  }

  /**
   * Read-modify-write of `index.json` under the layout lock: the index is re-read inside
   * the lock, passed to `mutator` (which may change it in place or return a new one), and
   * written atomically. Safe with concurrent writers in this and other processes.
   */
  async updateIndex(
    mutator: (index: LayoutIndex) => LayoutIndex | void | Promise<LayoutIndex | void>,
  ): Promise<LayoutIndex> {
    return withLock(this.lockPath, async (check) => {
      const current = await this.readIndex();
      const next = (await mutator(current)) ?? current;
      const bytes = serialiseIndex(next);
      parseLayoutIndex(Buffer.from(bytes), this.indexPath); // never write an index we would refuse to read
      check();
      await writeFileAtomic(this.indexPath, bytes, this.workDir);
      return next;
    });
  }

  /**
   * Names `desc` as `name`: the index entry whose ref.name equals `name` is replaced (in
   * place; duplicates dropped), else one is appended. The entry carries both
   * `org.opencontainers.image.ref.name` and `io.containerd.image.name` set to `name`.
   */
  async setRef(name: string, desc: Descriptor): Promise<void> {
    if (name === '') throw new AirlockError(ErrorCodes.LOCATION_INVALID, 'empty image name in layout', { dir: this.dir });
    const base = withoutRefAnnotations(desc);
    const entry: Descriptor = {
      ...base,
      annotations: { ...base.annotations, [Annotations.refName]: name, [Annotations.containerdName]: name },
    };
    await this.updateIndex((index) => {
      let placed = false;
      const out: Descriptor[] = [];
      for (const m of index.manifests) {
        if (m.annotations?.[Annotations.refName] !== name) out.push(m);
        else if (!placed) {
          out.push(entry);
          placed = true;
        }
      }
      if (!placed) out.push(entry);
      index.manifests = out;
    });
  }

  /** Adds `desc` without a name (as `oci:DIR` with no name does), unless an unnamed entry with its digest exists. */
  async addUnnamed(desc: Descriptor): Promise<void> {
    const entry = withoutRefAnnotations(desc);
    await this.updateIndex((index) => {
      if (!index.manifests.some((m) => m.digest === entry.digest && entryName(m) === undefined)) index.manifests.push(entry);
    });
  }

  /** Removes the entries named `name`; true when there were any. Blobs stay (content-addressed). */
  async removeRef(name: string): Promise<boolean> {
    let removed = false;
    await this.updateIndex((index) => {
      const kept = index.manifests.filter((m) => m.annotations?.[Annotations.refName] !== name);
      removed = kept.length !== index.manifests.length;
      index.manifests = kept;
    });
    return removed;
  }

  /**
   * The index entry named `name` (ref.name first; else a matching containerd image name,
   * as in layouts `ctr export` writes), or null.
   */
  async findRef(name: string): Promise<Descriptor | null> {
    const { manifests } = await this.readIndex();
    return (
      manifests.find((m) => m.annotations?.[Annotations.refName] === name) ??
      manifests.find((m) => m.annotations?.[Annotations.containerdName] === name) ??
      null
    );
  }

  /** Every named entry of the index, in index order. */
  async listRefs(): Promise<LayoutRef[]> {
    const { manifests } = await this.readIndex();
    return manifests.flatMap((descriptor) => {
      const name = entryName(descriptor);
      return name === undefined ? [] : [{ name, descriptor }];
    });
  }

  private async checkLayoutFile(): Promise<void> {
    const file = path.join(this.dir, OCI_LAYOUT_FILE);
    let bytes: Buffer;
    try {
      bytes = await fs.readFile(file);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw invalid(`${this.dir} is not an OCI image layout (no ${OCI_LAYOUT_FILE} file)`, { path: file }, err);
      throw storeIo(err, 'cannot read', file);
    }
    let version: unknown;
    try {
      version = (JSON.parse(bytes.toString('utf8')) as { imageLayoutVersion?: unknown }).imageLayoutVersion;
    } catch (err) {
      throw invalid(`${file} is not valid JSON`, { path: file }, err);
    }
    if (typeof version !== 'string' || !/^1\.\d+\.\d+$/.test(version)) {
      throw invalid(`${file}: unsupported imageLayoutVersion ${JSON.stringify(version)}`, { path: file });
    }
  }

  private async exists(file: string): Promise<boolean> {
    try {
      await fs.access(file);
      return true;
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return false;
      throw storeIo(err, 'cannot access', file);
    }
  }

  /** Creates the missing layout files under the lock, so racing creators cannot clobber each other's index. */
  private async initialise(): Promise<void> {
    const layoutFile = path.join(this.dir, OCI_LAYOUT_FILE);
    // A complete layout needs no write access (it may be read-only).
    if ((await this.exists(layoutFile)) && (await this.exists(this.indexPath))) {
      await this.checkLayoutFile();
      await this.readIndex();
      return;
    }
    await withLock(this.lockPath, async (check) => {
      if (await this.exists(layoutFile)) await this.checkLayoutFile();
      else {
        check();
        await writeFileAtomic(layoutFile, JSON.stringify({ imageLayoutVersion: IMAGE_LAYOUT_VERSION }), this.workDir);
      }
      if (await this.exists(this.indexPath)) await this.readIndex();
      else {
        check();
        await writeFileAtomic(this.indexPath, serialiseIndex(emptyIndex()), this.workDir);
      }
      try {
        await fs.mkdir(path.join(this.dir, 'blobs', 'sha256'), { recursive: true });
      } catch (err) {
        throw storeIo(err, 'cannot create', path.join(this.dir, 'blobs'));
      }
    });
  }
}
