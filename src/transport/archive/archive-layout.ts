/**
 * An OCI image layout inside a tar file, read in place (the bundle format, and what
 * `skopeo copy ... oci-archive:` writes): the tar's entry table gives each blob's offset, so
 * a blob is a byte range of the file. Nothing is extracted. A split bundle (its
 * images.bundle.json) is read the same way across its volumes.
 */
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { AirlockError, ErrorCodes } from '../../errors.js';
import type { Descriptor } from '../../oci/descriptor.js';
import { digestAlgorithm, digestHex, verifyBytes, type Digest } from '../../oci/digest.js';
import type { LayoutContent } from '../layout/content.js';
import { INDEX_FILE, layoutInvalid, parseLayoutIndex, type LayoutIndex, type LayoutRef } from '../layout/index-file.js';
import { IMAGE_LAYOUT_VERSION, OCI_LAYOUT_FILE } from '../layout/layout.js';
import { IndexLookup } from '../layout/ref-index.js';
import { fileSource, readSourceRange, type ByteSource } from './byte-source.js';
import { indexTarSource, type TarEntry, type TarIndex } from './tar-index.js';
import { decompressedCopy } from './decompressed.js';
import { isVolumeManifest, VolumeSet } from './volume-set.js';
import { isZstd } from './zstd.js';

/** Largest index.json or oci-layout read from an archive. */
const MAX_META_BYTES = 64 * 1024 * 1024;

const readRange = (source: ByteSource, e: TarEntry) => readSourceRange(source, e.offset, e.offset + e.size);

/** A layout in a tar file. Open with `ArchiveLayout.open`. */
export class ArchiveLayout implements LayoutContent {
  readonly refs: LayoutContent['refs'];

  private constructor(
    /** The archive file (or a split bundle's images.bundle.json). */
    readonly dir: string,
    /** Its bytes: the file, or the volumes read as one. */
    readonly source: ByteSource,
    readonly tar: TarIndex,
    private readonly index: LayoutIndex,
    private readonly lookup: IndexLookup,
  ) {
    this.refs = {
      byDigest: async (d) => lookup.byDigest(d),
      tags: async (r) => lookup.tags(r),
      repositories: async () => lookup.repositories(),
    };
  }

  /**
   * Indexes the tar at `file` and reads its `oci-layout` and `index.json`. ARCHIVE_INVALID
   * for an unsafe or damaged tar (see indexTar); LAYOUT_INVALID when it holds no OCI layout.
   * For a split bundle's images.bundle.json, the entry table it records is used (checked as
   * the headers would be), so the volumes present can be read while another is missing.
   */
  static async open(file: string): Promise<ArchiveLayout> {
    let tar: TarIndex;
    let source: ByteSource;
    try {
      const set = isVolumeManifest(file) ? await VolumeSet.open(file) : undefined;
      source = set ?? (await fileSource(file));
      const head = Buffer.alloc(4);
      await source.read(head, 0);
      if (isZstd(head)) {
        const packed = source;
        source = await fileSource(await decompressedCopy(path.resolve(file), packed).finally(() => packed.close()));
        tar = await indexTarSource(source).finally(() => source.close());
      } else if (/\.zst$/.test(file)) {
        await source.close();
        throw new AirlockError(ErrorCodes.ARCHIVE_INVALID, `${file}: named .zst, but it is not zstd`, { file });
      } else if (set) {
        tar = set.tarIndex();
      } else {
        tar = await indexTarSource(source).finally(() => source.close());
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new AirlockError(ErrorCodes.LOCATION_INVALID, `${file}: no such file`, { file });
      throw err;
    }
    const layoutFile = tar.entries.get(OCI_LAYOUT_FILE);
    const indexFile = tar.entries.get(INDEX_FILE);
    if (!layoutFile || !indexFile) throw layoutInvalid(`${file} holds no OCI image layout (no ${!layoutFile ? OCI_LAYOUT_FILE : INDEX_FILE})`, { file });
    if (layoutFile.size > MAX_META_BYTES || indexFile.size > MAX_META_BYTES) throw layoutInvalid(`${file}: index.json is over ${MAX_META_BYTES} bytes`, { file });
    const layoutBytes = await readRange(source, layoutFile);
    let version: unknown;
    try {
      version = (JSON.parse(layoutBytes.toString('utf8')) as { imageLayoutVersion?: unknown }).imageLayoutVersion;
    } catch (err) {
      throw layoutInvalid(`${file}: ${OCI_LAYOUT_FILE} is not JSON`, { file }, err);
    }
    if (version !== IMAGE_LAYOUT_VERSION) throw layoutInvalid(`${file}: unsupported image layout version ${JSON.stringify(version)}`, { file });
    const index = parseLayoutIndex(await readRange(source, indexFile), `${file}:${INDEX_FILE}`);
    await source.close();
    return new ArchiveLayout(file, source, tar, index, new IndexLookup(index));
  }

  private entryOf(digest: Digest): TarEntry | undefined {
    return this.tar.entries.get(`blobs/${digestAlgorithm(digest)}/${digestHex(digest)}`);
  }

  async hasBlob(digest: Digest): Promise<number | null> {
    return this.entryOf(digest)?.size ?? null;
  }

  async readBlob(digest: Digest): Promise<Readable> {
    const e = this.entryOf(digest);
    if (!e) throw layoutInvalid(`blob ${digest} is missing from ${this.dir}`, { digest, file: this.dir });
    return this.source.stream(e.offset, e.offset + e.size);
  }

  async readBlobRange(digest: Digest, start: number, end: number): Promise<Readable> {
    const e = this.entryOf(digest);
    if (!e) throw layoutInvalid(`blob ${digest} is missing from ${this.dir}`, { digest, file: this.dir });
    return this.source.stream(e.offset + start, e.offset + Math.min(end + 1, e.size));
  }

  async readBytes(digest: Digest, size?: number): Promise<Buffer> {
    const e = this.entryOf(digest);
    if (!e) throw layoutInvalid(`blob ${digest} is missing from ${this.dir}`, { digest, file: this.dir });
    const bytes = await readRange(this.source, e);
    verifyBytes(bytes, digest, size, `blob in ${this.dir}`);
    return bytes;
  }

  async readIndex(): Promise<LayoutIndex> {
    return this.index;
  }

  async findRef(name: string): Promise<Descriptor | null> {
    return this.lookup.find(name);
  }

  async listRefs(): Promise<LayoutRef[]> {
    return this.lookup.refs();
  }
}
