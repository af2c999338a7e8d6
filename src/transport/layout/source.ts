import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { AirlockError, ErrorCodes } from '../../errors.js';
import type { Descriptor } from '../../oci/descriptor.js';
import type { Digest } from '../../oci/digest.js';
import { MAX_MANIFEST_BYTES, parseManifest } from '../../oci/manifest.js';
import type { ImageReference } from '../../ref/reference.js';
import type { FetchedManifest, Source } from '../types.js';
import { isErrno, storeIo } from './fsutil.js';
import { entryName, INDEX_FILE, OciLayout, withoutRefAnnotations } from './layout.js';
import { defaultStoreDir, storeName } from './store.js';

export interface LayoutSourceOptions {
  /** Printable name; defaults to `oci:DIR[:NAME]`. */
  description?: string;
  /**
   * The manifest digest the reference is pinned to. It wins over the name: resolve
   * returns it when the layout holds it, under any name or none.
   */
  digest?: Digest;
}

/**
 * Reads one image from an OCI layout. `name` selects the index.json entry; without it
 * the layout must hold exactly one image (LOCATION_INVALID when it holds several).
 */
export class LayoutSource implements Source {
  readonly description: string;
  readonly blobScope: string;
  private readonly pin: Digest | undefined;

  constructor(
    readonly layout: OciLayout,
    readonly name?: string,
    options: LayoutSourceOptions = {},
  ) {
    this.description = options.description ?? `oci:${layout.dir}${name !== undefined ? `:${name}` : ''}`;
    this.blobScope = `layout:${layout.dir}`;
    this.pin = options.digest;
  }

  /** The root descriptor (naming annotations removed). IMAGE_NOT_FOUND when the name or digest is not there. */
  async resolve(): Promise<Descriptor> {
    if (this.pin !== undefined) return this.resolvePinned(this.pin);
    if (this.name !== undefined) {
      const found = await this.layout.findRef(this.name);
      if (!found) throw this.notFound();
      return withoutRefAnnotations(found);
    }
    const { manifests } = await this.layout.readIndex();
    if (manifests.length === 1) return withoutRefAnnotations(manifests[0]!);
    if (manifests.length === 0) throw this.notFound();
    const names = manifests.map((m) => entryName(m) ?? m.digest);
    throw new AirlockError(
      ErrorCodes.LOCATION_INVALID,
      `${this.description} holds ${manifests.length} images; name one of: ${names.join(', ')}`,
      { dir: this.layout.dir, names },
    );
  }

  /** Verified manifest bytes; the media type comes from the manifest, else from its index.json entry. */
  async getManifest(digest: Digest): Promise<FetchedManifest> {
    const size = await this.layout.hasBlob(digest);
    if (size === null) {
      throw new AirlockError(ErrorCodes.LAYOUT_INVALID, `manifest ${digest} is missing from ${this.layout.dir}`, {
        digest,
        dir: this.layout.dir,
      });
    }
    if (size > MAX_MANIFEST_BYTES) {
      throw new AirlockError(ErrorCodes.MANIFEST_TOO_LARGE, `manifest ${digest} is ${size} bytes, limit is ${MAX_MANIFEST_BYTES}`, {
        digest,
      });
    }
    const bytes = await this.layout.readBytes(digest);
    const { manifests } = await this.layout.readIndex();
    const declared = manifests.find((m) => m.digest === digest)?.mediaType;
    return { bytes, mediaType: parseManifest(bytes, declared).mediaType, digest };
  }

  /** The stored blob as a file stream (the caller verifies). */
  async getBlob(desc: Descriptor): Promise<Readable> {
    return this.layout.readBlob(desc.digest);
  }

  async close(): Promise<void> {
    // Nothing held: every read opens and closes its own file.
  }

  private async resolvePinned(digest: Digest): Promise<Descriptor> {
    const { manifests } = await this.layout.readIndex();
    const byName = this.name !== undefined ? manifests.find((m) => entryName(m) === this.name && m.digest === digest) : undefined;
    const entry = byName ?? manifests.find((m) => m.digest === digest);
    if (entry) return withoutRefAnnotations(entry);
    // Not in index.json, but maybe stored as a child of an index that is.
    if ((await this.layout.hasBlob(digest)) === null) throw this.notFound();
    const { bytes, mediaType } = await this.getManifest(digest);
    return { mediaType, digest, size: bytes.byteLength };
  }

  private notFound(): AirlockError {
    return new AirlockError(ErrorCodes.IMAGE_NOT_FOUND, `${this.description}: no such image`, {
      dir: this.layout.dir,
      ...(this.name !== undefined ? { name: this.name } : {}),
      ...(this.pin !== undefined ? { digest: this.pin } : {}),
    });
  }
}

/** A source for `oci:DIR[:NAME]`; LAYOUT_INVALID when DIR is not a layout. */
export async function openOciSource(dir: string, name?: string, digest?: Digest): Promise<LayoutSource> {
  const layout = await OciLayout.open(dir);
  return new LayoutSource(layout, name, {
    description: `oci:${dir}${name !== undefined ? `:${name}` : ''}`,
    ...(digest ? { digest } : {}),
  });
}

/**
 * A source for `store:REF` (the store at `storeDir`, default `defaultStoreDir()`).
 * IMAGE_NOT_FOUND when the store does not exist yet or lacks the image.
 */
export async function openStoreSource(ref: ImageReference, storeDir = defaultStoreDir()): Promise<LayoutSource> {
  const name = storeName(ref);
  try {
    await fs.access(path.join(storeDir, INDEX_FILE));
  } catch (err) {
    if (!isErrno(err, 'ENOENT') && !isErrno(err, 'ENOTDIR')) throw storeIo(err, 'cannot open store', storeDir);
    throw new AirlockError(ErrorCodes.IMAGE_NOT_FOUND, `store:${name}: the store ${storeDir} is empty`, { name, dir: storeDir });
  }
  const layout = await OciLayout.open(storeDir);
  return new LayoutSource(layout, name, { description: `store:${name}`, ...(ref.digest ? { digest: ref.digest } : {}) });
}
