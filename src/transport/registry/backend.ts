import type { Readable } from 'node:stream';
import { AirlockError, ErrorCodes, RegistryError } from '../../errors.js';
import type { Descriptor } from '../../oci/descriptor.js';
import { isDigest, verified, type Digest } from '../../oci/digest.js';
import type { ContentWriter, FetchedManifest, SinkCapabilities } from '../types.js';
import type { RegistryClient } from './client.js';
import { registryBlobScope } from './pool.js';
import type { Access } from './scope.js';

/**
 * A registry host speaking the common reader/writer verbs through its shared client.
 * `access` is the token scope asked for reads: `push` for a writer, so checking what the
 * destination already has and writing to it share one token.
 */
export class RegistryBackend implements ContentWriter {
  readonly blobScope: string;
  readonly capabilities: SinkCapabilities = { crossRepoMount: true };

  constructor(
    private readonly client: RegistryClient,
    private readonly access: Access,
  ) {
    this.blobScope = registryBlobScope(client.host);
  }

  headManifest(repository: string, reference?: string): Promise<Descriptor | null> {
    if (reference === undefined) {
      throw new AirlockError(ErrorCodes.LOCATION_INVALID, `docker://${this.client.host}/${repository}: name a tag or digest`);
    }
    return this.client.headManifest(repository, reference, this.access);
  }

  getManifest(repository: string, reference: string, expected?: Digest): Promise<FetchedManifest> {
    return this.client.getManifest(repository, reference, expected, this.access);
  }

  headBlob(repository: string, digest: Digest): Promise<number | null> {
    return this.client.headBlob(repository, digest, this.access);
  }

  getBlob(repository: string, digest: Digest): Promise<Readable> {
    return this.client.getBlob(repository, digest);
  }

  /** The referrers API's answer, or null when the registry has no such API. */
  listReferrers(repository: string, digest: Digest): Promise<Descriptor[] | null> {
    return this.client.listReferrers(repository, digest);
  }

  listTags(repository: string): Promise<string[]> {
    return this.client.listTags(repository);
  }

  listRepositories(): Promise<string[]> {
    return this.client.listRepositories();
  }

  /** REGISTRY_NOT_FOUND with the manifest URL, as a 404 from the registry. */
  notFound(repository: string, reference: string): AirlockError {
    const ref = `${this.client.host}/${repository}${isDigest(reference) ? '@' : ':'}${reference}`;
    return new RegistryError(ErrorCodes.REGISTRY_NOT_FOUND, `docker://${ref}: manifest not found`, {
      status: 404,
      url: `${this.client.endpoint.origin}/v2/${repository}/manifests/${reference}`,
    });
  }

  mountBlob(repository: string, digest: Digest, fromRepository: string): Promise<boolean> {
    return this.client.mountBlob(repository, digest, fromRepository);
  }

  /**
   * Streams the blob into a monolithic upload. The registry itself only commits bytes that
   * hash to the digest; on top of that the upload streams through a VerifyingStream, so a
   * mismatch aborts the request before the registry could commit.
   */
  async putBlob(repository: string, desc: Descriptor, data: Readable): Promise<void> {
    const verifier = verified(data, desc.digest, desc.size, `blob ${desc.digest}`);
    try {
      await this.client.uploadBlob(repository, desc, verifier);
    } finally {
      if (!verifier.destroyed) verifier.destroy();
      if (!data.destroyed) data.destroy();
    }
  }

  /** PUT the exact bytes under `reference`; DIGEST_MISMATCH when the registry stored something else. */
  async putManifest(repository: string, reference: string, bytes: Buffer, desc: Descriptor): Promise<void> {
    const digest = await this.client.putManifest(repository, reference, bytes, desc.mediaType);
    if (digest !== desc.digest) {
      throw new AirlockError(ErrorCodes.DIGEST_MISMATCH, `docker://${this.client.host}/${repository}: stored manifest is ${digest}`, {
        expected: desc.digest,
        actual: digest,
      });
    }
  }

  /** Registry writes are visible as they happen. */
  async commit(): Promise<void> {}

  /** Nothing to release: the client belongs to the run's pool. */
  async close(): Promise<void> {}
}
