import type { Readable } from 'node:stream';
import { AirlockError, ErrorCodes } from '../../errors.js';
import type { Descriptor } from '../../oci/descriptor.js';
import { verified, verifyBytes } from '../../oci/digest.js';
import { formatReference, type ImageReference } from '../../ref/reference.js';
import type { ReuseResult, Sink, SinkCapabilities } from '../types.js';
import type { RegistryClient } from './client.js';
import { registryBlobScope, type RegistryPool } from './pool.js';

/**
 * Writes one image reference into a registry through a shared pool. The registry itself
 * only commits blobs whose bytes hash to the digest; on top of that, uploads stream through
 * a VerifyingStream so a mismatch aborts the request before the registry could commit.
 */
export class RegistrySink implements Sink {
  readonly description: string;
  readonly blobScope: string;
  readonly repository: string;
  readonly capabilities: SinkCapabilities = { crossRepoMount: true };
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

  /** HEAD the destination tag (or digest); null when nothing is there. */
  current(): Promise<Descriptor | null> {
    const reference = this.ref.tag ?? this.ref.digest;
    if (!reference) return Promise.resolve(null);
    return this.client.headManifest(this.repository, reference, 'push');
  }

  /** HEAD the manifest by digest. */
  async hasManifest(desc: Descriptor): Promise<boolean> {
    return (await this.client.headManifest(this.repository, desc.digest, 'push')) !== null;
  }

  /** 'exists' when HEAD finds the blob, 'mounted' when a mount from `fromRepository` succeeds, else null. */
  async tryReuse(desc: Descriptor, fromRepository?: string): Promise<ReuseResult> {
    const size = await this.client.headBlob(this.repository, desc.digest, 'push');
    if (size !== null) return 'exists';
    if (fromRepository && fromRepository !== this.repository) {
      if (await this.client.mountBlob(this.repository, desc.digest, fromRepository)) return 'mounted';
    }
    return null;
  }

  /** Streams the blob into a monolithic upload, verifying digest and size on the way. */
  async putBlob(desc: Descriptor, data: Readable): Promise<void> {
    // The engine hands over an already verifying stream; anything else gets wrapped.
    const verifier = verified(data, desc.digest, desc.size, `blob ${desc.digest}`);
    try {
      await this.client.uploadBlob(this.repository, desc, verifier);
    } finally {
      if (!verifier.destroyed) verifier.destroy();
      if (!data.destroyed) data.destroy();
    }
  }

  /**
   * PUT the exact bytes: by digest for children, by tag for the root when the reference has
   * one (else by digest). Bytes are checked against `desc` first.
   */
  async putManifest(bytes: Buffer, desc: Descriptor, root: boolean): Promise<void> {
    verifyBytes(bytes, desc.digest, desc.size, `manifest ${desc.digest}`);
    const reference = root && this.ref.tag ? this.ref.tag : desc.digest;
    const digest = await this.client.putManifest(this.repository, reference, bytes, desc.mediaType);
    if (digest !== desc.digest) {
      throw new AirlockError(ErrorCodes.DIGEST_MISMATCH, `${this.description}: stored manifest is ${digest}`, {
        expected: desc.digest,
        actual: digest,
      });
    }
  }

  /** Registry writes are visible as they happen. */
  async commit(): Promise<void> {}

  /** Nothing to release: the pool is shared. */
  async close(): Promise<void> {}
}
