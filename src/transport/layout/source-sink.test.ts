import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../errors.js';
import { Annotations, type Descriptor } from '../../oci/descriptor.js';
import { digestOf } from '../../oci/digest.js';
import { MediaTypes } from '../../oci/mediatypes.js';
import { parseReference, type ImageReference } from '../../ref/reference.js';
import { createTransportContext } from '../context.js';
import { parseLocation, parseNamespace, pinLocation, placeImage } from '../location.js';
import { openSink, openSource } from '../open.js';
import { ImageSink } from '../sink.js';
import type { Sink, Source } from '../types.js';
import { OciLayout } from './layout.js';
import { makeImage as makeFixtureImage, writeOciLayout } from '../../../test/helpers/fixtures.js';

// Each open gets its own context, as separate runs would: nothing cached carries over.
const ociLocation = (dir: string, name?: string) => parseLocation(`oci:${dir}${name !== undefined ? `:${name}` : ''}`);
const openOciSink = (dir: string, name?: string) => openSink(ociLocation(dir, name), createTransportContext());
const openOciSource = (dir: string, name?: string) => openSource(ociLocation(dir, name), createTransportContext());
const storeLocation = (ref: ImageReference) => placeImage(parseNamespace('store:'), ref);
const openStoreSink = (ref: ImageReference, storeDir: string) => openSink(storeLocation(ref), createTransportContext({ storeDir }));
const openStoreSource = (ref: ImageReference, storeDir: string) => openSource(storeLocation(ref), createTransportContext({ storeDir }));

const run = promisify(execFile);

async function skopeo(...args: string[]): Promise<string> {
  const { stdout } = await run('skopeo', ['--insecure-policy', ...args], { maxBuffer: 16 << 20 });
  return stdout;
}

/** A one-file ustar archive: 512-byte header, content padded to 512, two zero blocks. */
function tarOneFile(name: string, content: Buffer): Buffer {
  const header = Buffer.alloc(512);
  const field = (text: string, offset: number, len: number) => header.write(text.slice(0, len), offset, 'latin1');
  const octal = (n: number, offset: number, len: number) => field(n.toString(8).padStart(len - 1, '0') + '\0', offset, len);
  field(name, 0, 100);
  octal(0o644, 100, 8);
  octal(0, 108, 8);
  octal(0, 116, 8);
  octal(content.length, 124, 12);
  octal(0, 136, 12);
  field('        ', 148, 8);
  field('0', 156, 1);
  field('ustar\u000000', 257, 8);
  let sum = 0;
  for (const b of header) sum += b;
  field(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8);
  const pad = Buffer.alloc((512 - (content.length % 512)) % 512);
  return Buffer.concat([header, content, pad, Buffer.alloc(1024)]);
}

interface TestImage {
  manifest: Buffer;
  root: Descriptor;
  blobs: Array<{ desc: Descriptor; bytes: Buffer }>;
}

/** A tiny valid linux/amd64 OCI image with one gzip layer. */
function makeImage(seed: string): TestImage {
  const tar = tarOneFile(`hello-${seed}.txt`, Buffer.from(`hello from ${seed}\n`));
  const layer = gzipSync(tar);
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Labels: { seed } },
      rootfs: { type: 'layers', diff_ids: [digestOf(tar)] },
    }),
  );
  const configDesc: Descriptor = { mediaType: MediaTypes.ociConfig, digest: digestOf(config), size: config.length };
  const layerDesc: Descriptor = { mediaType: MediaTypes.ociLayerGzip, digest: digestOf(layer), size: layer.length };
  const manifest = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.ociManifest, config: configDesc, layers: [layerDesc] }),
  );
  return {
    manifest,
    root: { mediaType: MediaTypes.ociManifest, digest: digestOf(manifest), size: manifest.length },
    blobs: [
      { desc: configDesc, bytes: config },
      { desc: layerDesc, bytes: layer },
    ],
  };
}

/** Drives a sink through the contract's call order. */
async function writeImage(sink: Sink, image: TestImage): Promise<void> {
  for (const { desc, bytes } of image.blobs) {
    if ((await sink.tryReuse(desc)) === null) await sink.putBlob(desc, Readable.from([bytes]));
  }
  await sink.putManifest(image.manifest, image.root, true);
  await sink.commit();
  await sink.close();
}

async function readAll(source: Source, desc: Descriptor): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of await source.getBlob(desc)) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

async function rejection(p: Promise<unknown>): Promise<{ code?: string; details?: Record<string, unknown> }> {
  try {
    await p;
  } catch (err) {
    return err as { code?: string };
  }
  throw new Error('expected a rejection');
}

let tmp: string;
beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-layout-io-'));
});
afterEach(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('LayoutSink and LayoutSource', () => {
  it('writes an image skopeo can inspect and copy, under a tag and under a full reference', async () => {
    const image = makeImage('a');
    const dir = path.join(tmp, 'a');
    await writeImage(await openOciSink(dir, 'v1'), image);
    await writeImage(await openOciSink(dir, 'quay.io/ceph/ceph:v18'), image);

    const inspected = JSON.parse(await skopeo('inspect', `oci:${dir}:v1`)) as Record<string, unknown>;
    expect(inspected.Digest).toBe(image.root.digest);
    expect(inspected.Architecture).toBe('amd64');
    expect(inspected.Layers).toEqual([image.blobs[1]!.desc.digest]);
    expect(inspected.Labels).toEqual({ seed: 'a' });

    const other = path.join(tmp, 'other');
    await skopeo('copy', `oci:${dir}:quay.io/ceph/ceph:v18`, `oci:${other}:quay.io/ceph/ceph:v18`);
    const copied = await OciLayout.open(other);
    expect((await copied.findRef('quay.io/ceph/ceph:v18'))?.digest).toBe(image.root.digest);
    for (const { desc, bytes } of image.blobs) expect(await copied.readBytes(desc.digest, desc.size)).toEqual(bytes);
  });

  it('reads a layout written by skopeo with the identical manifest bytes', async () => {
    const image = makeImage('b');
    const first = path.join(tmp, 'first');
    const second = path.join(tmp, 'second');
    await writeImage(await openOciSink(first, 'v1'), image);
    await skopeo('copy', `oci:${first}:v1`, `oci:${second}:docker.io/library/b:1`);

    const source = await openOciSource(second, 'docker.io/library/b:1');
    const root = await source.resolve();
    expect(root).toEqual(image.root);
    const fetched = await source.getManifest(root.digest);
    expect(fetched.bytes).toEqual(await fs.readFile(path.join(second, 'blobs', 'sha256', root.digest.slice(7))));
    expect(fetched.bytes).toEqual(image.manifest);
    expect(fetched.mediaType).toBe(MediaTypes.ociManifest);
    for (const { desc, bytes } of image.blobs) expect(await readAll(source, desc)).toEqual(bytes);
    // The only image, so no name is needed.
    expect((await (await openOciSource(second)).resolve()).digest).toBe(image.root.digest);
    await source.close();
  });

  it('adds its entry to a layout skopeo wrote and keeps skopeo\'s entry', async () => {
    const a = makeImage('c1');
    const b = makeImage('c2');
    const src = path.join(tmp, 'src');
    const shared = path.join(tmp, 'shared');
    await writeImage(await openOciSink(src, 'x'), a);
    await skopeo('copy', `oci:${src}:x`, `oci:${shared}:from-skopeo`);
    await writeImage(await openOciSink(shared, 'from-airlock'), b);
    const names = (await (await OciLayout.open(shared)).listRefs()).map((r) => r.name);
    expect(names).toEqual(['from-skopeo', 'from-airlock']);
    const inspected = JSON.parse(await skopeo('inspect', `oci:${shared}:from-airlock`)) as { Digest: string };
    expect(inspected.Digest).toBe(b.root.digest);
  });

  it('says which names exist when several images are there and none was named', async () => {
    const dir = path.join(tmp, 'many');
    await writeImage(await openOciSink(dir, 'one'), makeImage('d1'));
    await writeImage(await openOciSink(dir, 'two'), makeImage('d2'));
    const err = await rejection((await openOciSource(dir)).resolve());
    expect(err.code).toBe(ErrorCodes.LOCATION_INVALID);
    expect(err.details?.names).toEqual(['one', 'two']);
    expect((await rejection((await openOciSource(dir, 'three')).resolve())).code).toBe(ErrorCodes.IMAGE_NOT_FOUND);
  });

  it('refuses a tampered manifest and reports a missing one as LAYOUT_INVALID', async () => {
    const image = makeImage('e');
    const dir = path.join(tmp, 'e');
    await writeImage(await openOciSink(dir, 'v1'), image);
    const source = await openOciSource(dir, 'v1');
    const file = (await OciLayout.open(dir)).blobPath(image.root.digest);
    await fs.writeFile(file, image.manifest.toString().replace('"schemaVersion":2', '"schemaVersion":3'));
    expect((await rejection(source.getManifest(image.root.digest))).code).toBe(ErrorCodes.DIGEST_MISMATCH);
    await fs.rm(file);
    expect((await rejection(source.getManifest(image.root.digest))).code).toBe(ErrorCodes.LAYOUT_INVALID);
  });

  it('takes the media type from index.json when the manifest does not carry one', async () => {
    const dir = path.join(tmp, 'nomt');
    const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [] }));
    const root: Descriptor = { mediaType: MediaTypes.dockerManifestList, digest: digestOf(manifest), size: manifest.length };
    const sink = await openOciSink(dir, 'list');
    await sink.putManifest(manifest, root, true);
    await sink.commit();
    const fetched = await (await openOciSource(dir, 'list')).getManifest(root.digest);
    expect(fetched.mediaType).toBe(MediaTypes.dockerManifestList);
  });

  it('reports the current descriptor, reuses stored blobs and never writes index.json without commit', async () => {
    const image = makeImage('f');
    const dir = path.join(tmp, 'f');
    const sink = await openOciSink(dir, 'v1');
    expect(sink.blobScope).toBe(`layout:${await fs.realpath(dir)}`);
    expect(sink.capabilities.crossRepoMount).toBe(false);
    expect(await sink.current()).toBeNull();
    for (const { desc, bytes } of image.blobs) {
      expect(await sink.tryReuse(desc)).toBeNull();
      await sink.putBlob(desc, Readable.from([bytes]));
      expect(await sink.tryReuse(desc)).toBe('exists');
    }
    expect(await sink.hasManifest(image.root)).toBe(false);
    await sink.putManifest(image.manifest, image.root, true);
    expect(await sink.hasManifest(image.root)).toBe(true);
    const before = await fs.readFile(path.join(dir, 'index.json'));
    await sink.close();
    expect(await fs.readFile(path.join(dir, 'index.json'))).toEqual(before);
    expect(await (await openOciSink(dir, 'v1')).current()).toBeNull();

    await writeImage(await openOciSink(dir, 'v1'), image);
    expect(await (await openOciSink(dir, 'v1')).current()).toEqual(image.root);
  });

  it('refuses a manifest whose bytes do not match its descriptor', async () => {
    const image = makeImage('g');
    const sink = await openOciSink(path.join(tmp, 'g'), 'v1');
    const err = await rejection(sink.putManifest(Buffer.from(image.manifest.toString() + ' '), image.root, true));
    expect(err.code).toBe(ErrorCodes.SIZE_MISMATCH);
    expect(await sink.hasManifest(image.root)).toBe(false);
    expect((await rejection(sink.commit())).code).toBe(ErrorCodes.INTERNAL);
  });

  it('stores images under their normalised reference with the containerd name', async () => {
    const image = makeImage('h');
    const store = path.join(tmp, 'store');
    const ref = parseReference('nginx');
    await writeImage(await openStoreSink(ref, store), image);
    const entry = (await (await OciLayout.open(store)).readIndex()).manifests[0]!;
    expect(entry.annotations).toEqual({
      [Annotations.refName]: 'docker.io/library/nginx:latest',
      [Annotations.containerdName]: 'docker.io/library/nginx:latest',
    });
    const inspected = JSON.parse(await skopeo('inspect', `oci:${store}:docker.io/library/nginx:latest`)) as { Digest: string };
    expect(inspected.Digest).toBe(image.root.digest);

    const source = await openStoreSource(parseReference('docker.io/library/nginx:latest'), store);
    expect(source.description).toBe('store:docker.io/library/nginx:latest');
    expect((await source.resolve()).digest).toBe(image.root.digest);
    // Pinned by digest: found whatever name it is stored under.
    const pinned = await openStoreSource(parseReference(`nginx@${image.root.digest}`), store);
    expect(await pinned.resolve()).toEqual(image.root);
    const absent = await openStoreSource(parseReference(`nginx@${digestOf('nothing')}`), store);
    expect((await rejection(absent.resolve())).code).toBe(ErrorCodes.IMAGE_NOT_FOUND);
    expect((await rejection((await openStoreSource(parseReference('nginx:2'), store)).resolve())).code).toBe(
      ErrorCodes.IMAGE_NOT_FOUND,
    );
  });

  it('reports an image in a store that does not exist yet as IMAGE_NOT_FOUND', async () => {
    const err = await rejection(openStoreSource(parseReference('nginx'), path.join(tmp, 'no-store')));
    expect(err.code).toBe(ErrorCodes.IMAGE_NOT_FOUND);
  });

  it('gives a digest-only store image a registry/repo@digest name', async () => {
    const image = makeImage('i');
    const store = path.join(tmp, 'store');
    const ref = parseReference(`registry.example:5000/team/app@${image.root.digest}`);
    const sink = await openStoreSink(ref, store);
    expect(sink).toBeInstanceOf(ImageSink);
    await writeImage(sink, image);
    const names = (await (await OciLayout.open(store)).listRefs()).map((r) => r.name);
    expect(names).toEqual([`registry.example:5000/team/app@${image.root.digest}`]);
  });
});

describe('a layout source pinned by digest (a lock read from a layout)', () => {
  it('reads the pinned image even when the name now points elsewhere, and refuses a digest the layout lacks', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-pin-'));
    try {
      const first = makeFixtureImage({ seed: 'pin/first' });
      const second = makeFixtureImage({ seed: 'pin/second' });
      await writeOciLayout(dir, [
        { name: 'old', image: first },
        { name: 'app:1', image: second },
      ]);
      const ctx = createTransportContext();
      const pinned = await openSource(pinLocation(ociLocation(dir, 'app:1'), first.manifestDesc.digest), ctx);
      expect((await pinned.resolve()).digest).toBe(first.manifestDesc.digest);
      const missing = await openSource(pinLocation(ociLocation(dir, 'app:1'), digestOf('not here')), ctx);
      expect((await rejection(missing.resolve())).code).toBe(ErrorCodes.IMAGE_NOT_FOUND);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
