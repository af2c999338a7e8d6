import type { Readable } from 'node:stream';
import { AirlockError, ErrorCodes } from '../../errors.js';
import type { Descriptor } from '../../oci/descriptor.js';
import { isDigest, type Digest } from '../../oci/digest.js';
import { MAX_MANIFEST_BYTES, parseManifest } from '../../oci/manifest.js';
import type { ContentReader, ContentWriter, FetchedManifest, SinkCapabilities } from '../types.js';
import type { LayoutContent } from './content.js';
import { entryName, layoutInvalid, withoutRefAnnotations } from './index-file.js';
import type { OciLayout } from './layout.js';
import { joinName, splitName } from './names.js';
import { referrersOf } from './referrers.js';

/** How a layout backend names things in messages: `oci:DIR:NAME`, `store:NAME`. */
export type Describe = (repository: string, reference?: string) => string;

/**
 * An OCI layout (a directory, the store, or a tar read in place) speaking the common reader
 * verbs. Repositories and tags are the two halves of an image's name (see `splitName`);
 * blobs are shared by the whole layout.
 */
export class LayoutReader implements ContentReader {
  readonly blobScope: string;

  constructor(
    readonly layout: LayoutContent,
    protected readonly describe: Describe,
  ) {
    this.blobScope = `layout:${layout.dir}`;
  }

  /**
   * By digest: the image wherever it is stored, named or not (a pin wins over any name). By
   * tag: the entry named `repository:tag`. Without a reference: the layout's only image
   * (LOCATION_INVALID naming the choices when it holds several). Null when absent.
   */
  async headManifest(repository: string, reference?: string): Promise<Descriptor | null> {
    if (reference === undefined) return this.onlyImage(repository);
    if (isDigest(reference)) return this.byDigest(reference);
    const found = await this.layout.findRef(joinName({ repository, tag: reference })!);
    return found ? withoutRefAnnotations(found) : null;
  }

  /**
   * Verified manifest bytes; the media type comes from the manifest, else from its
   * index.json entry. A digest the layout lacks is LAYOUT_INVALID (something names it, so
   * the layout is broken); a tag it lacks is IMAGE_NOT_FOUND.
   */
  async getManifest(repository: string, reference: string, expected?: Digest): Promise<FetchedManifest> {
    let digest: Digest;
    if (isDigest(reference)) digest = reference;
    else {
      const desc = await this.headManifest(repository, reference);
      if (!desc) throw this.notFound(repository, reference);
      digest = desc.digest;
    }
    if (expected !== undefined && expected !== digest) {
      throw new AirlockError(ErrorCodes.DIGEST_MISMATCH, `${this.describe(repository, reference)}: names ${digest}, expected ${expected}`, {
        expected,
        actual: digest,
      });
    }
    const size = await this.layout.hasBlob(digest);
    if (size === null) {
      throw layoutInvalid(`manifest ${digest} is missing from ${this.layout.dir}`, { digest, dir: this.layout.dir });
    }
    if (size > MAX_MANIFEST_BYTES) {
      throw new AirlockError(ErrorCodes.MANIFEST_TOO_LARGE, `manifest ${digest} is ${size} bytes, limit is ${MAX_MANIFEST_BYTES}`, {
        digest,
      });
    }
    const bytes = await this.layout.readBytes(digest);
    const declared = (await this.layout.refs.byDigest(digest))?.mediaType;
    return { bytes, mediaType: parseManifest(bytes, declared).mediaType, digest };
  }

  /** The blob's size, or null. */
  headBlob(_repository: string, digest: Digest): Promise<number | null> {
    return this.layout.hasBlob(digest);
  }

  /** The stored blob as a file stream (the caller verifies). */
  getBlob(_repository: string, digest: Digest): Promise<Readable> {
    return this.layout.readBlob(digest);
  }

  listTags(repository: string): Promise<string[]> {
    return this.layout.refs.tags(repository);
  }

  listRepositories(): Promise<string[]> {
    return this.layout.refs.repositories();
  }

  /**
   * The manifests stored with `digest` as their subject, named in `repository` or unnamed:
   * a layout answers as the referrers API would (never null).
   */
  async listReferrers(repository: string, digest: Digest): Promise<Descriptor[]> {
    return referrersOf(this.layout).of(digest, undefined, async (entry) => {
      const name = entryName(entry);
      return name === undefined || splitName(name).repository === repository;
    });
  }

  /** IMAGE_NOT_FOUND naming the layout and what was asked for. */
  notFound(repository: string, reference: string): AirlockError {
    return new AirlockError(ErrorCodes.IMAGE_NOT_FOUND, `${this.describe(repository, reference)}: no such image`, {
      dir: this.layout.dir,
      ...(isDigest(reference) ? { digest: reference } : reference ? { name: joinName({ repository, tag: reference }) } : {}),
    });
  }

  /** A reader holds nothing of its own (the layout is shared through the context). */
  async close(): Promise<void> {}

  private async byDigest(digest: Digest): Promise<Descriptor | null> {
    const entry = await this.layout.refs.byDigest(digest);
    if (entry) return withoutRefAnnotations(entry);
    // Not in index.json, but maybe stored as a child of an index that is.
    if ((await this.layout.hasBlob(digest)) === null) return null;
    const { bytes, mediaType } = await this.getManifest('', digest);
    return { mediaType, digest, size: bytes.byteLength };
  }

  private async onlyImage(repository: string): Promise<Descriptor | null> {
    if (repository !== '') return null;
    const { manifests } = await this.layout.readIndex();
    if (manifests.length === 1) return withoutRefAnnotations(manifests[0]!);
    if (manifests.length === 0) return null;
    const names = manifests.map((m) => entryName(m) ?? m.digest);
    throw new AirlockError(
      ErrorCodes.LOCATION_INVALID,
      `${this.describe('')} holds ${manifests.length} images; name one of: ${names.join(', ')}`,
      { dir: this.layout.dir, names },
    );
  }
}

/**
 * A writable layout (a directory or the store): the reader verbs plus a write session.
 * Blobs and manifests are stored verified as they come, and the root manifest is named in
 * index.json only by `commit`.
 */
export class LayoutBackend extends LayoutReader implements ContentWriter {
  readonly capabilities: SinkCapabilities = { crossRepoMount: false };
  private root: { name: string | undefined; desc: Descriptor } | undefined;

  constructor(
    override readonly layout: OciLayout,
    describe: Describe,
  ) {
    super(layout, describe);
  }

  /** The blob's size, or null; a blob found is touched, so a prune running meanwhile sees it in use. */
  override async headBlob(_repository: string, digest: Digest): Promise<number | null> {
    const size = await this.layout.hasBlob(digest);
    if (size !== null) await this.layout.blobs.touch(digest);
    return size;
  }

  /** A layout cannot mount: every blob of the layout is already shared. */
  async mountBlob(): Promise<boolean> {
    return false;
  }

  async putBlob(_repository: string, desc: Descriptor, data: Readable): Promise<void> {
    await this.layout.writeBlob(desc, data);
  }

  /** Stores the bytes (verified); a root manifest is named `repository:tag` (or unnamed) at commit. */
  async putManifest(repository: string, reference: string, bytes: Buffer, desc: Descriptor, opts: { child?: boolean } = {}): Promise<void> {
    await this.layout.writeBytes(desc, bytes);
    if (opts.child) return;
    const name = isDigest(reference) ? joinName({ repository, digest: reference }) : joinName({ repository, tag: reference });
    this.root = { name, desc };
  }

  /** Names the root manifest in index.json (atomic, under the layout lock). */
  async commit(): Promise<void> {
    const root = this.root;
    if (!root) return;
    if ((await this.layout.hasBlob(root.desc.digest)) !== root.desc.size) {
      throw layoutInvalid(`${this.layout.dir}: root manifest ${root.desc.digest} vanished before commit`, { digest: root.desc.digest });
    }
    const entry: Descriptor = { mediaType: root.desc.mediaType, digest: root.desc.digest, size: root.desc.size };
    if (root.name !== undefined) await this.layout.setRef(root.name, entry);
    else await this.layout.addUnnamed(entry);
    this.root = undefined;
  }

  /** Forgets an uncommitted name; verified blobs stay (content-addressed, harmless). */
  override async close(): Promise<void> {
    this.root = undefined;
  }
}
