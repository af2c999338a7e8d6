import type { Readable } from 'node:stream';
import { AirlockError, ErrorCodes } from '../errors.js';
import type { Descriptor } from '../oci/descriptor.js';
import type { Digest } from '../oci/digest.js';
import type { ContentReader, FetchedManifest, Location, Source } from './types.js';

/**
 * The read side of one image location over any backend's reader: the copy engine's Source
 * for every transport.
 */
export class ImageSource implements Source {
  readonly blobScope: string;
  readonly repository: string;

  constructor(
    private readonly reader: ContentReader,
    readonly location: Location,
    readonly description: string,
  ) {
    this.blobScope = reader.blobScope;
    this.repository = location.repository;
  }

  /**
   * The manifest the location names: by digest when pinned (the pin wins over any tag),
   * else by tag, else the backend's only image. The backend's not-found error when absent;
   * DIGEST_MISMATCH when a pinned digest is answered with another.
   */
  async resolve(): Promise<Descriptor> {
    const { repository, digest, tag } = this.location;
    const reference = digest ?? tag;
    const desc = await this.reader.headManifest(repository, reference);
    if (!desc) throw this.reader.notFound(repository, reference ?? '');
    if (digest && desc.digest !== digest) {
      throw new AirlockError(ErrorCodes.DIGEST_MISMATCH, `${this.description}: answered ${desc.digest}`, { expected: digest, actual: desc.digest });
    }
    return desc;
  }

  /** The manifest by digest, bytes verified against it. */
  getManifest(digest: Digest): Promise<FetchedManifest> {
    return this.reader.getManifest(this.location.repository, digest, digest);
  }

  /** The blob's bytes as a stream (unverified). */
  getBlob(desc: Descriptor): Promise<Readable> {
    return this.reader.getBlob(this.location.repository, desc.digest);
  }

  close(): Promise<void> {
    return this.reader.close();
  }
}
