import type { Readable } from 'node:stream';
import { AirlockError, ErrorCodes, RegistryError } from '../../errors.js';
import type { Descriptor } from '../../oci/descriptor.js';
import type { Digest } from '../../oci/digest.js';
import { formatReference, manifestReference, type ImageReference } from '../../ref/reference.js';
import type { FetchedManifest, Source } from '../types.js';
import type { RegistryClient } from './client.js';
import { registryBlobScope, type RegistryPool } from './pool.js';

/** Reads one image reference from a registry through a shared pool. */
export class RegistrySource implements Source {
  readonly description: string;
  readonly blobScope: string;
  readonly repository: string;
  private readonly client: RegistryClient;

  constructor(
    pool: RegistryPool,
    readonly ref: ImageReference,
  ) {
    this.description = `docker://${formatReference(ref)}`;
    this.blobScope = registryBlobScope(ref.registry);
    this.repository = ref.repository;
    this.client = pool.client(ref.registry);
  }

  /**
   * HEAD the reference (digest when pinned, else tag); GET when HEAD gives no digest.
   * REGISTRY_NOT_FOUND when absent; DIGEST_MISMATCH when a pinned digest is answered with another.
   */
  async resolve(): Promise<Descriptor> {
    const reference = manifestReference(this.ref);
    const desc = await this.client.headManifest(this.ref.repository, reference);
    if (!desc) {
      throw new RegistryError(ErrorCodes.REGISTRY_NOT_FOUND, `${this.description}: manifest not found`, {
        status: 404,
        url: `${this.client.endpoint.origin}/v2/${this.ref.repository}/manifests/${reference}`,
      });
    }
    if (this.ref.digest && desc.digest !== this.ref.digest) {
      throw new AirlockError(ErrorCodes.DIGEST_MISMATCH, `${this.description}: registry answered ${desc.digest}`, {
        expected: this.ref.digest,
        actual: desc.digest,
      });
    }
    return desc;
  }

  /** GET the manifest by digest; bytes verified against it. */
  getManifest(digest: Digest): Promise<FetchedManifest> {
    return this.client.getManifest(this.ref.repository, digest, digest);
  }

  /** The blob's bytes as a stream (unverified). */
  getBlob(desc: Descriptor): Promise<Readable> {
    return this.client.getBlob(this.ref.repository, desc.digest);
  }

  /** Nothing to release: connections belong to the pool. */
  async close(): Promise<void> {}
}
