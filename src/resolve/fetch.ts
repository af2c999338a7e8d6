import type { Readable } from 'node:stream';
import { AirlockError, ErrorCodes } from '../errors.js';
import type { Descriptor } from '../oci/descriptor.js';
import { verifyBytes, type Digest } from '../oci/digest.js';
import { parseImageConfig, parseManifest, type Manifest } from '../oci/manifest.js';
import { formatPlatform, platformMatches, type Platform } from '../oci/platform.js';
import { retrying, type RetryPolicy } from '../retry/index.js';
import type { ContentReader } from '../transport/types.js';

/** Largest image config read for its labels. */
export const MAX_CONFIG_BYTES = 8 * 1024 * 1024;

/** True for the not-found errors backends report for a manifest (registry or layout). */
export function isNotFound(err: unknown): boolean {
  return err instanceof AirlockError && (err.code === ErrorCodes.REGISTRY_NOT_FOUND || err.code === ErrorCodes.IMAGE_NOT_FOUND);
}

/**
 * Reads manifests and configs of one repository for the resolver, from any backend (a
 * registry, a layout, the store), each verified against its digest, each manifest fetched
 * at most once (labels and the platform list often need the same index).
 */
export class RepositoryReader {
  private readonly manifests = new Map<string, Promise<{ bytes: Buffer; manifest: Manifest }>>();

  constructor(
    private readonly reader: ContentReader,
    readonly repository: string,
    /** How a config read is retried when its body breaks off (the backend retries the rest). */
    private readonly retry: { policy: RetryPolicy; signal?: AbortSignal | undefined },
  ) {}

  /** The descriptor of a tag or digest; null when absent. */
  head(reference: string): Promise<Descriptor | null> {
    return this.reader.headManifest(this.repository, reference);
  }

  /**
   * GET a manifest by tag: its descriptor, with the bytes kept for `manifest`/`labels`. Used
   * when the content is needed anyway (tag_from_label), saving the HEAD. Null when absent.
   */
  async getByTag(tag: string): Promise<Descriptor | null> {
    let f;
    try {
      f = await this.reader.getManifest(this.repository, tag);
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
    const desc: Descriptor = { mediaType: f.mediaType, digest: f.digest, size: f.bytes.length };
    if (!this.manifests.has(f.digest)) {
      this.manifests.set(f.digest, Promise.resolve({ bytes: f.bytes, manifest: parseManifest(f.bytes, f.mediaType) }));
    }
    return desc;
  }

  /** The parsed manifest `desc` names (GET by digest, bytes verified). */
  async manifest(desc: Descriptor): Promise<Manifest> {
    return (await this.fetched(desc)).manifest;
  }

  /** The manifest `desc` names with its exact bytes (fetched once). */
  fetched(desc: Descriptor): Promise<{ bytes: Buffer; manifest: Manifest }> {
    let m = this.manifests.get(desc.digest);
    if (!m) {
      m = this.reader
        .getManifest(this.repository, desc.digest, desc.digest)
        .then((f) => ({ bytes: f.bytes, manifest: parseManifest(f.bytes, f.mediaType) }));
      this.manifests.set(desc.digest, m);
    }
    return m;
  }

  /**
   * The config labels of the image `desc` names; for an index, of the child matching
   * `platform` (PLATFORM_NOT_FOUND when none does).
   */
  async labels(desc: Descriptor, platform: Platform): Promise<Record<string, string>> {
    let m = await this.manifest(desc);
    if (m.kind === 'index') {
      const child = m.manifests.find((c) => platformMatches(platform, c.platform));
      if (!child) {
        const have = m.manifests.map((c) => (c.platform ? formatPlatform(c.platform) : '?')).join(', ');
        throw new AirlockError(
          ErrorCodes.PLATFORM_NOT_FOUND,
          `no ${formatPlatform(platform)} image in the index to read labels from (it has ${have})`,
          { platform: formatPlatform(platform) },
        );
      }
      m = await this.manifest(child);
      if (m.kind !== 'image') throw new AirlockError(ErrorCodes.MANIFEST_INVALID, `${child.digest}: an index inside an index`);
    }
    const config = parseImageConfig(await this.blob(m.config));
    return { ...(config.config?.Labels ?? {}) };
  }

  /** A small blob's bytes, verified against its digest and size. */
  private async blob(desc: Descriptor): Promise<Buffer> {
    if (desc.size > MAX_CONFIG_BYTES) {
      throw new AirlockError(ErrorCodes.MANIFEST_TOO_LARGE, `image config ${desc.digest} is ${desc.size} bytes, limit ${MAX_CONFIG_BYTES}`);
    }
    return retrying(async () => {
      const bytes = await readAll(await this.reader.getBlob(this.repository, desc.digest), desc.size, desc.digest);
      verifyBytes(bytes, desc.digest, desc.size, `image config`);
      return bytes;
    }, this.retry);
  }
}

async function readAll(stream: Readable, size: number, digest: Digest): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > size) {
      stream.destroy();
      throw new AirlockError(ErrorCodes.SIZE_MISMATCH, `image config ${digest}: more than the ${size} bytes announced`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
