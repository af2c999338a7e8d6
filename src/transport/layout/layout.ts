import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { AirlockError, ErrorCodes } from '../../errors.js';
import { Annotations, type Descriptor } from '../../oci/descriptor.js';
import type { Digest } from '../../oci/digest.js';
import { BlobStore, type WriteResult } from './blobs.js';
import { isErrno, storeIo, writeFileAtomic } from './fsutil.js';
import {
  emptyIndex,
  entryName,
  INDEX_FILE,
  layoutInvalid,
  serialiseIndex,
  setRefIn,
  withoutRefAnnotations,
  type LayoutIndex,
  type LayoutRef,
} from './index-file.js';
import { IndexWriter, type IndexMutator } from './index-writer.js';
import { withLock } from './lock.js';
import { RefIndex } from './ref-index.js';


/** The `oci-layout` marker file. */
export const OCI_LAYOUT_FILE = 'oci-layout';
/** airlock's private work area inside a layout (temp files, lock); not part of the image data. */
export const LAYOUT_WORK_DIR = '.airlock';
/** The layout version airlock writes. */
export const IMAGE_LAYOUT_VERSION = '1.0.0';

export interface OpenLayoutOptions {
  /** Create the directory, `oci-layout` and an empty `index.json` when missing. */
  create?: boolean;
}

// Layouts whose abandoned ingest files this process has already swept.
const swept = new Set<string>();

/**
 * An OCI image layout 1.0 directory (`oci-layout`, `index.json`, `blobs/<alg>/<hex>`), made
 * of three parts with one job each: the content store of blobs (`BlobStore`: verified before
 * named), the reference index kept in memory (`RefIndex`: O(1) lookups, refreshed when
 * index.json changes on disk), and the index writer (`IndexWriter`: locked, atomic,
 * batched changes). Safe to share between concurrent writers in this and other processes.
 */
export class OciLayout {
  /** Absolute, symlink-free path of the layout. */
  readonly dir: string;
  readonly blobs: BlobStore;
  readonly refs: RefIndex;
  private readonly writer: IndexWriter;

  private constructor(dir: string) {
    this.dir = dir;
    this.blobs = new BlobStore(dir, path.join(this.workDir, 'ingest'));
    this.refs = new RefIndex(this.indexPath);
    this.writer = new IndexWriter(this.indexPath, this.lockPath, this.workDir, this.refs);
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
      if (!(await fs.stat(real)).isDirectory()) throw layoutInvalid(`${abs} is not a directory`, { path: abs });
    } catch (err) {
      if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) {
        throw layoutInvalid(`no OCI image layout at ${abs}`, { path: abs }, err);
      }
      throw storeIo(err, 'cannot open layout', abs);
    }
    const layout = new OciLayout(real);
    if (options.create) {
      await layout.initialise();
      if (!swept.has(layout.dir)) {
        swept.add(layout.dir);
        await layout.blobs.sweepAbandonedIngest();
      }
    } else {
      await layout.checkLayoutFile();
      await layout.refs.current();
    }
    return layout;
  }

  /** Path of `index.json`. */
  get indexPath(): string {
    return path.join(this.dir, INDEX_FILE);
  }

  private get workDir(): string {
    return path.join(this.dir, LAYOUT_WORK_DIR);
  }

  private get lockPath(): string {
    return path.join(this.workDir, 'index.lock');
  }

  /** How many times this handle has written index.json (changes queued together share a write). */
  get indexWrites(): number {
    return this.writer.writes;
  }

  /** Where the blob with this digest lives. Throws DIGEST_INVALID for a malformed digest. */
  blobPath(digest: Digest): string {
    return this.blobs.blobPath(digest);
  }

  /** The stored size of the blob, or null when it is absent. */
  hasBlob(digest: Digest): Promise<number | null> {
    return this.blobs.hasBlob(digest);
  }

  /** See `BlobStore.writeBlob`: verified while streaming, named only once verified. */
  writeBlob(desc: Descriptor, data: Readable): Promise<WriteResult> {
    return this.blobs.writeBlob(desc, data);
  }

  /** See `BlobStore.adoptVerified`: a file already hashed to `desc.digest` moved into the store. */
  adoptVerifiedBlob(file: string, desc: Descriptor): Promise<WriteResult> {
    return this.blobs.adoptVerified(file, desc);
  }

  /** See `BlobStore.writeBytes`. */
  writeBytes(desc: Descriptor, bytes: Uint8Array): Promise<WriteResult> {
    return this.blobs.writeBytes(desc, bytes);
  }

  /** A stream of the stored blob (unverified). LAYOUT_INVALID when missing. */
  readBlob(digest: Digest): Promise<Readable> {
    return this.blobs.readBlob(digest);
  }

  /** Bytes `start`..`end` (inclusive) of the stored blob. LAYOUT_INVALID when missing. */
  readBlobRange(digest: Digest, start: number, end: number): Promise<Readable> {
    return this.blobs.readBlob(digest, { start, end });
  }

  /** The stored blob's bytes, verified. LAYOUT_INVALID when missing. */
  readBytes(digest: Digest, size?: number): Promise<Buffer> {
    return this.blobs.readBytes(digest, size);
  }

  /** The current `index.json` (LAYOUT_INVALID when missing or malformed). Shared: do not modify it. */
  async readIndex(): Promise<LayoutIndex> {
    return (await this.refs.current()).index;
  }

  /**
   * Read-modify-write of `index.json` under the layout lock: the index is read inside the
   * lock, passed to `mutator` (which may change it in place or return a new one), and
   * written atomically. Changes queued meanwhile share one write.
   */
  updateIndex(mutator: IndexMutator): Promise<LayoutIndex> {
    return this.writer.update(mutator);
  }

  /**
   * Names `desc` as `name`: the index entry whose ref.name equals `name` is replaced (in
   * place; duplicates dropped), else one is appended. The entry carries both
   * `org.opencontainers.image.ref.name` and `io.containerd.image.name` set to `name`.
   */
  async setRef(name: string, desc: Descriptor): Promise<void> {
    if (name === '') throw new AirlockError(ErrorCodes.LOCATION_INVALID, 'empty image name in layout', { dir: this.dir });
    await this.updateIndex((index) => setRefIn(index, name, desc));
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
   * as in layouts `ctr export` writes), or null. O(1) over the number of images.
   */
  findRef(name: string): Promise<Descriptor | null> {
    return this.refs.find(name);
  }

  /** Every named entry of the index, in index order. */
  listRefs(): Promise<LayoutRef[]> {
    return this.refs.refs();
  }

  private async checkLayoutFile(): Promise<void> {
    const file = path.join(this.dir, OCI_LAYOUT_FILE);
    let bytes: Buffer;
    try {
      bytes = await fs.readFile(file);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw layoutInvalid(`${this.dir} is not an OCI image layout (no ${OCI_LAYOUT_FILE} file)`, { path: file }, err);
      throw storeIo(err, 'cannot read', file);
    }
    let version: unknown;
    try {
      version = (JSON.parse(bytes.toString('utf8')) as { imageLayoutVersion?: unknown }).imageLayoutVersion;
    } catch (err) {
      throw layoutInvalid(`${file} is not valid JSON`, { path: file }, err);
    }
    if (typeof version !== 'string' || !/^1\.\d+\.\d+$/.test(version)) {
      throw layoutInvalid(`${file}: unsupported imageLayoutVersion ${JSON.stringify(version)}`, { path: file });
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
      await this.refs.current();
      return;
    }
    await withLock(this.lockPath, async (check) => {
      if (await this.exists(layoutFile)) await this.checkLayoutFile();
      else {
        check();
        await writeFileAtomic(layoutFile, JSON.stringify({ imageLayoutVersion: IMAGE_LAYOUT_VERSION }), this.workDir);
      }
      if (await this.exists(this.indexPath)) await this.refs.current();
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
