import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeImage, makeMultiArch, writeOciLayout } from '../../test/helpers/fixtures.js';
import { validateLayout } from '../../test/helpers/validate.js';
import { digestOf } from '../oci/digest.js';
import { parseManifest } from '../oci/manifest.js';
import { MediaTypes } from '../oci/mediatypes.js';
import { createTransportContext } from '../transport/context.js';
import { parseLocation } from '../transport/location.js';
import { openSink, openSource } from '../transport/open.js';
import type { Sink, SinkCapabilities } from '../transport/types.js';
import { CopyRun } from './engine.js';

let dir: string;
let src: string;
const multi = makeMultiArch({ seed: 'caps/multi', platformLayers: [20_000, 30_000] });
const single = makeImage({ seed: 'caps/single', layers: [10_000, 20_000, 30_000, 40_000] });

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airlock-caps-'));
  src = join(dir, 'src');
  await writeOciLayout(src, [
    { name: 'multi', image: multi },
    { name: 'single', image: single },
  ]);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const source = (name: string) => openSource(parseLocation(`oci:${src}:${name}`), createTransportContext());

/** A real layout sink that declares other capabilities, and records how many blob writes overlap. */
async function declaring(name: string, caps: Partial<SinkCapabilities>, to = 'dst'): Promise<Sink & { maxInFlight: number }> {
  const real = await openSink(parseLocation(`oci:${join(dir, to)}:${name}`), createTransportContext());
  let inFlight = 0;
  const wrapped = Object.create(real) as Sink & { maxInFlight: number };
  Object.defineProperty(wrapped, 'capabilities', { value: { ...real.capabilities, ...caps } });
  wrapped.maxInFlight = 0;
  wrapped.putBlob = async (desc, data) => {
    inFlight++;
    wrapped.maxInFlight = Math.max(wrapped.maxInFlight, inFlight);
    try {
      // Give other writes every chance to overlap.
      await new Promise((r) => setTimeout(r, 5));
      await real.putBlob(desc, data);
    } finally {
      inFlight--;
    }
  };
  return wrapped;
}

async function blobFile(digest: string): Promise<Buffer> {
  return readFile(join(dir, 'dst', 'blobs', 'sha256', digest.slice(7)));
}

describe('the engine adapts to what a sink declares', () => {
  it('writes one blob at a time to a sink that takes one at a time', async () => {
    const serial = await declaring('single', { serialBlobs: true });
    const result = await new CopyRun({ blobJobs: 8 }).copyImage(await source('single'), serial);
    expect(result.status).toBe('copied');
    expect(result.blobsSent).toBe(5);
    expect(serial.maxInFlight).toBe(1);
    // The same copy into a sink without the limit overlaps its writes (so the check above can fail).
    const parallel = await declaring('single', {}, 'dst-parallel');
    await new CopyRun({ blobJobs: 8 }).copyImage(await source('single'), parallel);
    expect(parallel.maxInFlight).toBeGreaterThan(1);
    await validateLayout(join(dir, 'dst'), 'single');
  });

  it('converts an OCI multi-arch image for a sink that takes only Docker v2 schema 2, blobs unchanged', async () => {
    const docker = await declaring('multi', { manifestTypes: [MediaTypes.dockerManifest, MediaTypes.dockerManifestList] });
    const result = await new CopyRun().copyImage(await source('multi'), docker);
    expect(result.status).toBe('copied');
    expect(result.sourceDigest).toBe(multi.manifestDesc.digest);
    expect(result.digest).not.toBe(multi.manifestDesc.digest);
    const v = await validateLayout(join(dir, 'dst'), 'multi');
    expect(v.digest).toBe(result.digest);

    const index = parseManifest(await blobFile(result.digest!));
    expect(index.mediaType).toBe(MediaTypes.dockerManifestList);
    if (index.kind !== 'index') throw new Error('not an index');
    expect(index.manifests.map((m) => m.platform)).toEqual(multi.images.map((m) => m.manifestDesc.platform));
    for (const [i, child] of index.manifests.entries()) {
      expect(child.mediaType).toBe(MediaTypes.dockerManifest);
      const bytes = await blobFile(child.digest);
      expect(digestOf(bytes)).toBe(child.digest);
      const m = parseManifest(bytes);
      if (m.kind !== 'image') throw new Error('not an image');
      const original = multi.images[i]!;
      expect(m.config).toMatchObject({ mediaType: MediaTypes.dockerConfig, digest: original.configDesc.digest });
      expect(m.layers.map((l) => [l.mediaType, l.digest])).toEqual(original.layers.map((l) => [MediaTypes.dockerLayerGzip, l.desc.digest]));
    }
  });

  it('fails with MEDIA_TYPE_UNSUPPORTED before writing anything when no accepted form exists', async () => {
    const nothing = await declaring('single', { manifestTypes: ['application/vnd.example.only+json'] });
    const result = await new CopyRun().copyImage(await source('single'), nothing);
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('MEDIA_TYPE_UNSUPPORTED');
    expect(await readdir(join(dir, 'dst', 'blobs', 'sha256'))).toEqual([]);
  });

  it('--format restricts what any sink takes: a Docker image written as OCI', async () => {
    const dockerSrc = join(dir, 'docker-src');
    const dockerImage = makeImage({ seed: 'caps/docker', format: 'docker' });
    await writeOciLayout(dockerSrc, [{ name: 'd', image: dockerImage }]);
    const sink = await openSink(parseLocation(`oci:${join(dir, 'dst')}:d`), createTransportContext());
    const result = await new CopyRun({ format: 'oci' }).copyImage(await openSource(parseLocation(`oci:${dockerSrc}:d`), createTransportContext()), sink);
    expect(result.status).toBe('copied');
    const m = parseManifest(await blobFile(result.digest!));
    expect(m.mediaType).toBe(MediaTypes.ociManifest);
    if (m.kind !== 'image') throw new Error('not an image');
    expect(m.config).toMatchObject({ mediaType: MediaTypes.ociConfig, digest: dockerImage.configDesc.digest });
    await validateLayout(join(dir, 'dst'), 'd');
    // Copying it again finds the converted image in place.
    const again = await new CopyRun({ format: 'oci' }).copyImage(
      await openSource(parseLocation(`oci:${dockerSrc}:d`), createTransportContext()),
      await openSink(parseLocation(`oci:${join(dir, 'dst')}:d`), createTransportContext()),
    );
    expect(again.status).toBe('up-to-date');
    expect(again.digest).toBe(result.digest);
  });
});
