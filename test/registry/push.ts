import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { isManifestMediaType } from '../../src/oci/mediatypes.js';
import type { RegistryClient } from '../../src/transport/registry/client.js';
import { fixtureBlobs, type Fixture } from '../helpers/fixtures.js';

/** Bytes of a fixture blob, from memory or disk. */
async function blobBytes(b: { bytes?: Buffer; path?: string }): Promise<Buffer> {
  if (b.bytes) return b.bytes;
  return readFile(b.path!);
}

/**
 * Pushes a fixture with airlock's client: layers and configs as streamed uploads,
 * child manifests by digest, the root under `tag` (or its digest).
 */
export async function pushFixture(client: RegistryClient, repository: string, fixture: Fixture, tag?: string): Promise<void> {
  for (const b of fixtureBlobs(fixture)) {
    if (isManifestMediaType(b.desc.mediaType)) {
      const root = b.desc.digest === fixture.manifestDesc.digest;
      await client.putManifest(repository, root && tag ? tag : b.desc.digest, await blobBytes(b), b.desc.mediaType);
    } else {
      const body: Readable | Buffer = b.path ? createReadStream(b.path) : b.bytes!;
      await client.uploadBlob(repository, b.desc, body);
    }
  }
}

/** Reads a stream to a buffer. */
export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
