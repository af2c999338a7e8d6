import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import tar from 'tar-stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeImage, makeMultiArch, writeOciLayout, type FixtureImage } from '../../test/helpers/fixtures.js';
import { ErrorCodes } from '../errors.js';
import type { LockedImage, LockFile } from '../lock/types.js';
import { digestHex, digestOf, type Digest } from '../oci/digest.js';
import { OciLayout } from '../transport/layout/layout.js';
import { namingTar } from './import-tar.js';
import { planWarm, type WarmContent } from './plan.js';

const base = { seed: 'warm-plan-base', size: 3000 };
const multi = makeMultiArch({ seed: 'warm-plan-multi', baseLayers: [base], platformLayers: [1000] });
const single = makeImage({ seed: 'warm-plan-single', format: 'docker', layers: [base, 2000] });
const armOnly = makeImage({ seed: 'warm-plan-arm', platform: 'linux/arm64', layers: [500] });
const [amd64, arm64] = multi.images as [FixtureImage, FixtureImage];

const locked = (source: string, d: { digest: Digest; mediaType: string; size: number }, extra: Partial<LockedImage> = {}): LockedImage => ({
  source: `${source}@${d.digest}`,
  digest: d.digest,
  mediaType: d.mediaType,
  size: d.size,
  origin: { template: source },
  ...extra,
});
const lockOf = (images: Record<string, LockedImage>): LockFile => ({ version: 1, images });
const digests = (i: FixtureImage) => [...i.layers.map((l) => l.desc.digest), i.configDesc.digest, i.manifestDesc.digest];

let dir: string;
let src: WarmContent;
const lock = () =>
  lockOf({
    multi: locked('quay.io/t/multi:1', multi.manifestDesc),
    single: locked('quay.io/t/single:1', single.manifestDesc),
  });

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-warm-plan-'));
  await writeOciLayout(dir, [
    { name: 'quay.io/t/multi:1', image: multi },
    { name: 'quay.io/t/single:1', image: single },
    { name: 'quay.io/t/arm:1', image: armOnly },
  ]);
  src = { layout: await OciLayout.open(dir), where: `the store ${dir}`, damaged: ErrorCodes.STORE_DAMAGED };
});

afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('planWarm', () => {
  it("takes each image's blobs for the node's platform only: layers, config, manifests, the root last", async () => {
    const plan = await planWarm(lock(), src, { platform: { os: 'linux', architecture: 'amd64' } });
    expect(plan.map((p) => [p.key, p.name, p.root.digest, p.platform])).toEqual([
      ['multi', 'quay.io/t/multi:1', multi.manifestDesc.digest, 'linux/amd64'],
      ['single', 'quay.io/t/single:1', single.manifestDesc.digest, 'linux/amd64'],
    ]);
    expect(plan[0]!.blobs.map((b) => b.digest)).toEqual([...digests(amd64), multi.manifestDesc.digest]);
    expect(plan[1]!.blobs.map((b) => b.digest)).toEqual(digests(single));
    expect(plan[0]!.blobs.map((b) => b.size)).toEqual([...amd64.layers.map((l) => l.desc.size), amd64.configDesc.size, amd64.manifestDesc.size, multi.manifestDesc.size]);

    const arm = await planWarm(lock(), src, { platform: { os: 'linux', architecture: 'arm64' }, only: ['multi'] });
    expect(arm.map((p) => p.platform)).toEqual(['linux/arm64/v8']);
    expect(arm[0]!.blobs.map((b) => b.digest)).toEqual([...digests(arm64), multi.manifestDesc.digest]);
  });

  it('refuses a single image of another platform, and an index without the platform', async () => {
    const l = lockOf({ arm: locked('quay.io/t/arm:1', armOnly.manifestDesc) });
    await expect(planWarm(l, src, { platform: { os: 'linux', architecture: 'amd64' } })).rejects.toMatchObject({
      code: ErrorCodes.PLATFORM_NOT_FOUND,
      message: 'quay.io/t/arm:1: the image is for linux/arm64, the node is linux/amd64',
    });
    expect((await planWarm(l, src, { platform: { os: 'linux', architecture: 'arm64' } }))[0]!.blobs).toHaveLength(3);
    await expect(planWarm(lock(), src, { platform: { os: 'linux', architecture: 's390x' } })).rejects.toMatchObject({ code: ErrorCodes.PLATFORM_NOT_FOUND });
  });

  it('starts from the filtered index when the lock kept some platforms', async () => {
    const json = JSON.parse(multi.manifest.toString('utf8')) as { manifests: { digest: string }[] };
    json.manifests = json.manifests.filter((m) => m.digest === amd64.manifestDesc.digest);
    const filtered = Buffer.from(JSON.stringify(json));
    const fd = digestOf(filtered);
    await fs.writeFile(path.join(dir, 'blobs', 'sha256', digestHex(fd)), filtered);
    const l = lockOf({ multi: locked('quay.io/t/multi:1', multi.manifestDesc, { keep_platforms: ['linux/amd64'], filtered_digest: fd }) });
    const plan = await planWarm(l, src, { platform: { os: 'linux', architecture: 'amd64' } });
    expect(plan[0]!.root).toEqual({ mediaType: multi.manifestDesc.mediaType, digest: fd, size: filtered.length });
    expect(plan[0]!.blobs.map((b) => b.digest)).toEqual([...digests(amd64), fd]);
  });

  it('fails before sending anything when the source lacks an image or a blob', async () => {
    const l = lockOf({ gone: locked('quay.io/t/gone:1', { ...single.manifestDesc, digest: `sha256:${'0'.repeat(64)}` as Digest }) });
    await expect(planWarm(l, { ...src, hint: 'airlock pull fills it' }, { platform: { os: 'linux', architecture: 'amd64' } })).rejects.toMatchObject({
      code: ErrorCodes.IMAGE_NOT_FOUND,
      message: expect.stringContaining('(airlock pull fills it)'),
    });
    await fs.rm(path.join(dir, 'blobs', 'sha256', digestHex(single.layers[1]!.desc.digest)));
    await expect(planWarm(lock(), src, { platform: { os: 'linux', architecture: 'amd64' } })).rejects.toMatchObject({
      code: ErrorCodes.STORE_DAMAGED,
      message: `single: blob ${single.layers[1]!.desc.digest} is missing from the store ${dir}`,
    });
    // arm64's blobs are not needed on amd64: a source without them is fine.
    for (const d of digests(arm64)) if (!digests(amd64).includes(d)) await fs.rm(path.join(dir, 'blobs', 'sha256', digestHex(d)));
    expect(await planWarm(lock(), src, { platform: { os: 'linux', architecture: 'amd64' }, only: ['multi'] })).toHaveLength(1);
  });

  it('--only keys: the lock must have each', async () => {
    expect((await planWarm(lock(), src, { platform: { os: 'linux', architecture: 'amd64' }, only: ['single'] })).map((p) => p.key)).toEqual(['single']);
    await expect(planWarm(lock(), src, { platform: { os: 'linux', architecture: 'amd64' }, only: ['single', 'nope', 'nada'] })).rejects.toMatchObject({
      code: ErrorCodes.USAGE,
      message: '--only "nope", "nada": not keys of the lock (it has multi, single)',
    });
  });

  it('refuses two images that would share a name with different digests; the same image twice is warmed once', async () => {
    const clash = lockOf({
      a: locked('quay.io/t/multi:1', multi.manifestDesc),
      b: locked('quay.io/t/single:1', single.manifestDesc, { destination: 'quay.io/t/multi:1' }),
    });
    await expect(planWarm(clash, src, { platform: { os: 'linux', architecture: 'amd64' } })).rejects.toMatchObject({ code: ErrorCodes.USAGE });
    const twice = lockOf({ a: locked('quay.io/t/multi:1', multi.manifestDesc), b: locked('quay.io/t/multi:1', multi.manifestDesc) });
    expect((await planWarm(twice, src, { platform: { os: 'linux', architecture: 'amd64' } })).map((p) => p.key)).toEqual(['a']);
  });
});

describe('namingTar', () => {
  it('holds oci-layout, then index.json naming each image for containerd and OCI tools; no blobs', async () => {
    const images = [
      { name: 'reg.local/a:1', root: multi.manifestDesc },
      { name: 'reg.local/b:2', root: single.manifestDesc },
    ];
    const entries: [string, string][] = [];
    const extract = tar.extract();
    const done = new Promise<void>((resolve, reject) => {
      extract.on('entry', (header, stream, next) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: unknown) => chunks.push(c as Buffer));
        stream.on('end', () => {
          entries.push([header.name, Buffer.concat(chunks).toString('utf8')]);
          next();
        });
      });
      extract.on('finish', resolve);
      extract.on('error', reject);
    });
    extract.end(await namingTar(images));
    await done;
    expect(entries.map((e) => e[0])).toEqual(['oci-layout', 'index.json']);
    expect(JSON.parse(entries[0]![1])).toEqual({ imageLayoutVersion: '1.0.0' });
    expect(JSON.parse(entries[1]![1])).toEqual({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: images.map((i) => ({
        mediaType: i.root.mediaType,
        digest: i.root.digest,
        size: i.root.size,
        annotations: { 'io.containerd.image.name': i.name, 'org.opencontainers.image.ref.name': i.name },
      })),
    });
  });
});
