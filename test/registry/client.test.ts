import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AirlockError, ErrorCodes } from '../../src/errors.js';
import { childDescriptors, parseManifest } from '../../src/oci/manifest.js';
import { digestOf, type Digest } from '../../src/oci/digest.js';
import { MediaTypes } from '../../src/oci/mediatypes.js';
import { parseReference } from '../../src/ref/reference.js';
import { createTransportContext, type TransportContext } from '../../src/transport/context.js';
import { openSink, openSource } from '../../src/transport/open.js';
import type { RegistryPool } from '../../src/transport/registry/pool.js';
import { dockerLocation, registryPool } from '../../src/transport/registry/transport.js';
import { makeImage, makeMultiArch } from '../helpers/fixtures.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { validateRegistryImage } from '../helpers/validate.js';
import { pushFixture, readAll } from './push.js';

describe('registry client against Distribution (no auth)', () => {
  let reg: TestRegistry;
  let ctx: TransportContext;
  let pool: RegistryPool;
  const sinkOf = (ref: string) => openSink(dockerLocation(parseReference(ref)), ctx);
  const sourceOf = (ref: string) => openSource(dockerLocation(parseReference(ref)), ctx);

  beforeAll(async () => {
    reg = await startRegistry();
    ctx = createTransportContext({ registries: { retryBaseMs: 10 } });
    pool = registryPool(ctx);
  });

  afterAll(async () => {
    await ctx?.close();
    await reg?.stop();
  });

  it('pings the registry over plain HTTP on loopback', async () => {
    const client = pool.client(reg.host);
    expect(client.endpoint.origin).toBe(`http://${reg.host}`);
    await client.ping();
  });

  it('pushes an image and reads back the exact manifest, config and layers', async () => {
    const client = pool.client(reg.host);
    const image = makeImage({ seed: 'client-push', layers: [3000, 70_000], labels: { a: 'b' } });
    await pushFixture(client, 'team/app', image, 'v1');

    const head = await client.headManifest('team/app', 'v1');
    expect(head).toEqual({ mediaType: MediaTypes.ociManifest, digest: image.manifestDesc.digest, size: image.manifest.length });
    const m = await client.getManifest('team/app', 'v1');
    expect(m.digest).toBe(image.manifestDesc.digest);
    expect(m.mediaType).toBe(MediaTypes.ociManifest);
    expect(m.bytes.equals(image.manifest)).toBe(true);
    const byDigest = await client.getManifest('team/app', image.manifestDesc.digest);
    expect(byDigest.bytes.equals(image.manifest)).toBe(true);

    for (const l of image.layers) {
      expect(await client.headBlob('team/app', l.desc.digest)).toBe(l.desc.size);
      expect((await readAll(await client.getBlob('team/app', l.desc.digest))).equals(l.bytes!)).toBe(true);
    }
    expect((await readAll(await client.getBlob('team/app', image.configDesc.digest))).equals(image.config)).toBe(true);
    // An independent reader re-checks every digest and size.
    await validateRegistryImage({ url: reg.url, repository: 'team/app', reference: 'v1', expectDigest: image.manifestDesc.digest });
  });

  it('uploads a streamed body and a Docker manifest list', async () => {
    const client = pool.client(reg.host);
    const index = makeMultiArch({ seed: 'client-index', format: 'docker' });
    await pushFixture(client, 'multi', index, 'latest');
    const m = await client.getManifest('multi', 'latest');
    expect(m.mediaType).toBe(MediaTypes.dockerManifestList);
    expect(m.digest).toBe(index.manifestDesc.digest);
    const layer = index.images[0]!.layers[0]!;
    await client.uploadBlob('streamed', layer.desc, Readable.from([layer.bytes!.subarray(0, 100), layer.bytes!.subarray(100)]));
    expect(await client.headBlob('streamed', layer.desc.digest)).toBe(layer.desc.size);
    await validateRegistryImage({ url: reg.url, repository: 'multi', reference: 'latest' });
  });

  it('reports absent manifests and blobs as null from HEAD and REGISTRY_NOT_FOUND from GET', async () => {
    const client = pool.client(reg.host);
    const missing = digestOf('nothing here');
    expect(await client.headManifest('team/app', 'no-such-tag')).toBeNull();
    expect(await client.headBlob('team/app', missing)).toBeNull();
    await expect(client.getManifest('team/app', 'no-such-tag')).rejects.toMatchObject({
      code: ErrorCodes.REGISTRY_NOT_FOUND,
      status: 404,
    });
    await expect(client.getBlob('team/app', missing)).rejects.toMatchObject({ code: ErrorCodes.REGISTRY_NOT_FOUND });
    await expect(client.listTags('never/pushed')).rejects.toMatchObject({ code: ErrorCodes.REGISTRY_NOT_FOUND });
  });

  it('refuses manifest bytes that do not match the expected digest', async () => {
    const client = pool.client(reg.host);
    const image = makeImage({ seed: 'client-expect' });
    await pushFixture(client, 'expect', image, 'v1');
    await expect(client.getManifest('expect', 'v1', digestOf('other'))).rejects.toMatchObject({
      code: ErrorCodes.DIGEST_MISMATCH,
    });
  });

  it('mounts a blob across repositories and reuses the upload session when a mount fails', async () => {
    const client = pool.client(reg.host);
    const image = makeImage({ seed: 'client-mount', layers: [5000] });
    await pushFixture(client, 'mount/src', image, 'v1');
    const layer = image.layers[0]!;
    expect(await client.mountBlob('mount/dst', layer.desc.digest, 'mount/src')).toBe(true);
    expect(await client.headBlob('mount/dst', layer.desc.digest)).toBe(layer.desc.size);

    // The source repository lacks this blob: the registry opens an upload session instead.
    const other = makeImage({ seed: 'client-mount-other', layers: [700] }).layers[0]!;
    expect(await client.mountBlob('mount/dst', other.desc.digest, 'mount/src')).toBe(false);
    const before = client.stats().requests;
    await client.uploadBlob('mount/dst', other.desc, other.bytes!);
    expect(client.stats().requests - before).toBe(1); // the PUT only: no new POST
    expect(await client.headBlob('mount/dst', other.desc.digest)).toBe(other.desc.size);
  });

  it('lists every tag of a repository', async () => {
    // Distribution 2.8 ignores ?n= for tags (pagination is covered against a scripted server).
    const client = pool.client(reg.host);
    const image = makeImage({ seed: 'client-tags' });
    await pushFixture(client, 'tags', image);
    const tags = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
    for (const t of tags) await client.putManifest('tags', t, image.manifest, image.manifestDesc.mediaType);
    expect((await client.listTags('tags', { pageSize: 3 })).sort()).toEqual(tags);
    expect((await client.listTags('tags')).sort()).toEqual(tags);
  });

  it('never commits a blob whose streamed bytes fail the digest or size check', async () => {
    const sink = await sinkOf(`${reg.host}/verify/app:v1`);
    const good = Buffer.from('the real layer bytes');
    const desc = { mediaType: MediaTypes.ociLayerGzip, digest: digestOf(good), size: good.length };
    const tampered = Buffer.from('the fake layer bytes'); // same length, other digest
    await expect(sink.putBlob(desc, Readable.from([tampered]))).rejects.toMatchObject({ code: ErrorCodes.DIGEST_MISMATCH });
    await expect(sink.putBlob(desc, Readable.from([good.subarray(0, 5)]))).rejects.toMatchObject({
      code: ErrorCodes.SIZE_MISMATCH,
    });
    const client = pool.client(reg.host);
    expect(await client.headBlob('verify/app', desc.digest)).toBeNull();
    expect(await client.headBlob('verify/app', digestOf(tampered))).toBeNull();
    // A failing source stream surfaces its own error (a registry source's body errors carry
    // a stable code naming the source host), not one blaming the destination.
    const sourceFailure = new AirlockError(ErrorCodes.REGISTRY_UNREACHABLE, 'source went away', { host: 'source.example' });
    const broken = new Readable({
      read() {
        this.destroy(sourceFailure);
      },
    });
    await expect(sink.putBlob(desc, broken)).rejects.toBe(sourceFailure);
    expect(await client.headBlob('verify/app', desc.digest)).toBeNull();
    await sink.putBlob(desc, Readable.from([good]));
    expect(await client.headBlob('verify/app', desc.digest)).toBe(good.length);
  });

  it('copies an image with a registry source and sink, reusing blobs by mount', async () => {
    const index = makeMultiArch({ seed: 'source-sink' });
    await pushFixture(pool.client(reg.host), 'ss/src', index, 'v2');
    const source = await sourceOf(`${reg.host}/ss/src:v2`);
    const sink = await sinkOf(`${reg.host}/ss/dst:v2`);
    expect(sink.blobScope).toBe(`registry:${reg.host}`);
    expect(sink.capabilities.crossRepoMount).toBe(true);
    expect(await sink.current()).toBeNull();

    const root = await source.resolve();
    expect(root.digest).toBe(index.manifestDesc.digest);
    const reuse: string[] = [];
    const copy = async (desc: typeof root, isRoot: boolean): Promise<void> => {
      const m = await source.getManifest(desc.digest);
      for (const child of childDescriptors(parseManifest(m.bytes, m.mediaType))) {
        if (child.mediaType === MediaTypes.ociManifest) await copy(child, false);
        else {
          const r = await sink.tryReuse(child, 'ss/src');
          reuse.push(r ?? 'sent');
          if (r === null) await sink.putBlob(child, await source.getBlob(child));
        }
      }
      expect(await sink.hasManifest(desc)).toBe(false);
      await sink.putManifest(m.bytes, { ...desc, mediaType: m.mediaType }, isRoot);
      expect(await sink.hasManifest(desc)).toBe(true);
    };
    await copy(root, true);
    await sink.commit();
    await sink.close();
    await source.close();
    // The shared base layer is mounted once, then exists; nothing had to be sent.
    expect(reuse).not.toContain('sent');
    expect(reuse).toContain('mounted');
    expect(reuse).toContain('exists');
    expect(await sink.current()).toEqual({ mediaType: MediaTypes.ociIndex, digest: root.digest, size: root.size });
    await validateRegistryImage({ url: reg.url, repository: 'ss/dst', reference: 'v2', expectDigest: root.digest });

    const pinned = await sourceOf(`${reg.host}/ss/dst@${root.digest}`);
    expect((await pinned.resolve()).digest).toBe(root.digest);
    const wrongPin = await sourceOf(`${reg.host}/ss/dst@${digestOf('x') as Digest}`);
    await expect(wrongPin.resolve()).rejects.toMatchObject({ code: ErrorCodes.REGISTRY_NOT_FOUND });
    const stats = pool.stats();
    expect(stats.requests).toBeGreaterThan(0);
    expect(stats.hosts[reg.host]!.requests).toBe(stats.requests);
  });

  it('puts a root manifest by digest when the sink reference has no tag', async () => {
    const image = makeImage({ seed: 'by-digest' });
    const client = pool.client(reg.host);
    for (const b of [image.configDesc, ...image.layers.map((l) => l.desc)]) {
      const bytes = b.digest === image.configDesc.digest ? image.config : image.layers.find((l) => l.desc.digest === b.digest)!.bytes!;
      await client.uploadBlob('pinned', b, bytes);
    }
    const sink = await sinkOf(`${reg.host}/pinned@${image.manifestDesc.digest}`);
    await sink.putManifest(image.manifest, image.manifestDesc, true);
    expect(await sink.current()).toMatchObject({ digest: image.manifestDesc.digest });
    await expect(sink.putManifest(Buffer.from('{}'), image.manifestDesc, true)).rejects.toMatchObject({
      code: ErrorCodes.SIZE_MISMATCH,
    });
  });
});
