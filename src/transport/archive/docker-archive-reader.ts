/**
 * A docker-archive read in place, speaking the common reader verbs. Images are named by
 * their manifest.json RepoTags (normalised: `busybox:1` is `docker.io/library/busybox:1`),
 * or by index as `@N` (0-based, as skopeo's `docker-archive:FILE:@N`). Manifests are
 * synthesised on first use (see docker-archive-image.ts); every layer file is hashed once
 * per opened archive, however many images share it.
 */
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import pLimit from 'p-limit';
import { AirlockError, ErrorCodes } from '../../errors.js';
import type { Descriptor } from '../../oci/descriptor.js';
import { isDigest, type Digest } from '../../oci/digest.js';
import { parseReference, repositoryName } from '../../ref/reference.js';
import type { ContentReader, FetchedManifest } from '../types.js';
import { ARCHIVE_MANIFEST, parseArchiveManifest, type ArchiveItem } from './docker-archive-format.js';
import { entryStream, hashLayer, MAX_ARCHIVE_JSON_BYTES, readEntry, synthesise, type ArchiveImage, type LayerFacts } from './docker-archive-image.js';
import { indexTar, type LinkedTarIndex, type TarEntry } from './tar-index.js';
import { resolveEntry } from './tar-links.js';

/** How the reader names a location in messages: `docker-archive:FILE:REF`. */
export type DescribeArchive = (repository: string, reference?: string) => string;

/** An image's name in the archive. */
export interface ArchiveTag {
  repository: string;
  tag: string;
}

/** `@N`: an image by its place in manifest.json. */
export const INDEX_REF = /^@(\d+)$/;

/** A RepoTags entry as repository and tag; undefined for one that is not `name:tag`. */
function tagOf(text: string): ArchiveTag | undefined {
  try {
    const ref = parseReference(text, { defaultTag: false });
    return ref.tag !== undefined && ref.digest === undefined ? { repository: repositoryName(ref), tag: ref.tag } : undefined;
  } catch {
    return undefined;
  }
}

/** An opened archive: its entry table and manifest.json, with images synthesised (and layers hashed) on demand. */
export class DockerArchive {
  private readonly images = new Map<number, Promise<ArchiveImage>>();
  private readonly layers = new Map<string, Promise<LayerFacts>>();
  private readonly blobs = new Map<Digest, TarEntry>();
  /** Layer files hashed at once. */
  private readonly hashing = pLimit(4);

  private constructor(
    readonly file: string,
    readonly tar: LinkedTarIndex,
    readonly items: ArchiveItem[],
    /** Each image's names, in manifest.json order. */
    readonly tags: ArchiveTag[][],
  ) {}

  /**
   * Indexes the tar at `file` and reads manifest.json. LOCATION_INVALID when there is no
   * such file; ARCHIVE_INVALID for an unsafe or damaged tar, or one without manifest.json.
   */
  static async open(file: string): Promise<DockerArchive> {
    let tar: LinkedTarIndex;
    try {
      tar = await indexTar(file, { symlinks: 'record' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new AirlockError(ErrorCodes.LOCATION_INVALID, `${file}: no such file`, { file });
      throw err;
    }
    const at = resolveEntry(tar, ARCHIVE_MANIFEST);
    if (!at) throw new AirlockError(ErrorCodes.ARCHIVE_INVALID, `${file} is not a docker-archive (no ${ARCHIVE_MANIFEST})`, { file });
    if (at.entry.size > MAX_ARCHIVE_JSON_BYTES) throw new AirlockError(ErrorCodes.ARCHIVE_INVALID, `${file}: ${ARCHIVE_MANIFEST} is over ${MAX_ARCHIVE_JSON_BYTES} bytes`, { file });
    const items = parseArchiveManifest(await readEntry(file, at.entry), file);
    const tags = items.map((i) => i.repoTags.map(tagOf).filter((t): t is ArchiveTag => t !== undefined));
    return new DockerArchive(file, tar, items, tags);
  }

  /** Image `index`, synthesised once. */
  image(index: number): Promise<ArchiveImage> {
    let found = this.images.get(index);
    if (!found) {
      found = synthesise(this.tar, this.items[index]!, index, (e) => this.layerFacts(e)).then((img) => {
        for (const [d, e] of img.blobs) this.blobs.set(d, e);
        return img;
      });
      this.images.set(index, found);
    }
    return found;
  }

  /** The index of the image named `repository:tag`, or -1. */
  find(repository: string, tag: string): number {
    return this.tags.findIndex((names) => names.some((n) => n.repository === repository && n.tag === tag));
  }

  /** The index of the image whose synthesised manifest has `digest`, or -1 (synthesises every image). */
  async findDigest(digest: Digest): Promise<number> {
    for (let i = 0; i < this.items.length; i++) if ((await this.image(i)).descriptor.digest === digest) return i;
    return -1;
  }

  /** A config or layer file by digest, or undefined; `all` synthesises every image first. */
  async blob(digest: Digest, all = false): Promise<TarEntry | undefined> {
    if (!this.blobs.has(digest) && all) for (let i = 0; i < this.items.length; i++) await this.image(i);
    return this.blobs.get(digest);
  }

  /** How an image is named in messages: its first tag, else `@N`. */
  nameOf(index: number): string {
    const t = this.tags[index]?.[0];
    return t ? `${t.repository}:${t.tag}` : `@${index}`;
  }

  private layerFacts(e: TarEntry): Promise<LayerFacts> {
    let found = this.layers.get(e.name);
    if (!found) {
      found = this.hashing(() => hashLayer(this.file, e));
      this.layers.set(e.name, found);
    }
    return found;
  }
}

/** The reader verbs over an opened archive. */
export class DockerArchiveReader implements ContentReader {
  readonly blobScope: string;

  constructor(
    readonly archive: DockerArchive,
    private readonly describe: DescribeArchive,
  ) {
    this.blobScope = `docker-archive:${path.resolve(archive.file)}`;
  }

  /**
   * Without a reference, the archive's only image (LOCATION_INVALID naming the choices when
   * it holds several); `@N` by index; a digest by synthesised manifest; a tag by RepoTags.
   */
  async headManifest(repository: string, reference?: string): Promise<Descriptor | null> {
    const index = await this.indexOf(repository, reference);
    return index < 0 ? null : { ...(await this.archive.image(index)).descriptor };
  }

  async getManifest(repository: string, reference: string, expected?: Digest): Promise<FetchedManifest> {
    const index = await this.indexOf(repository, reference);
    if (index < 0) throw this.notFound(repository, reference);
    const { manifest, descriptor } = await this.archive.image(index);
    if (expected !== undefined && expected !== descriptor.digest) {
      throw new AirlockError(ErrorCodes.DIGEST_MISMATCH, `${this.describe(repository, reference)}: is ${descriptor.digest}, expected ${expected}`, {
        expected,
        actual: descriptor.digest,
      });
    }
    return { bytes: manifest, mediaType: descriptor.mediaType, digest: descriptor.digest };
  }

  async headBlob(_repository: string, digest: Digest): Promise<number | null> {
    return (await this.archive.blob(digest, true))?.size ?? null;
  }

  /** The file's bytes, straight from the archive (the caller verifies). */
  async getBlob(_repository: string, digest: Digest): Promise<Readable> {
    const e = await this.archive.blob(digest, true);
    if (!e) throw new AirlockError(ErrorCodes.ARCHIVE_INVALID, `${this.archive.file}: no config or layer ${digest}`, { file: this.archive.file, digest });
    return entryStream(this.archive.file, e);
  }

  async listTags(repository: string): Promise<string[]> {
    const tags = this.archive.tags.flat().filter((t) => t.repository === repository).map((t) => t.tag);
    return [...new Set(tags)];
  }

  async listRepositories(): Promise<string[]> {
    return [...new Set(this.archive.tags.flat().map((t) => t.repository))];
  }

  notFound(repository: string, reference: string): AirlockError {
    const names = this.archive.items.map((_, i) => this.archive.nameOf(i));
    return new AirlockError(ErrorCodes.IMAGE_NOT_FOUND, `${this.describe(repository, reference)}: no such image (the archive holds ${names.join(', ') || 'none'})`, {
      file: this.archive.file,
      names,
    });
  }

  async close(): Promise<void> {}

  private async indexOf(repository: string, reference: string | undefined): Promise<number> {
    const count = this.archive.items.length;
    if (reference === undefined) {
      if (repository !== '' || count === 0) return -1;
      if (count === 1) return 0;
      const names = this.archive.items.map((_, i) => this.archive.nameOf(i));
      throw new AirlockError(ErrorCodes.LOCATION_INVALID, `${this.describe('')} holds ${count} images; name one of: ${names.join(', ')}`, {
        file: this.archive.file,
        names,
      });
    }
    const at = INDEX_REF.exec(reference);
    if (at && repository === '') return Number(at[1]) < count ? Number(at[1]) : -1;
    if (isDigest(reference)) return this.archive.findDigest(reference);
    return this.archive.find(repository, reference);
  }
}
