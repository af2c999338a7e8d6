/**
 * End to end: `airlock copy` as a child process between two real Distribution registries,
 * with skopeo as the independent writer (fixtures in) and reader (results out).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { makeImage, makeMultiArch, type Fixture, type FixtureImage, type FixtureIndex } from '../helpers/fixtures.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { dockerRef, pushFixtureWithSkopeo, sideFor, skopeoCopy, skopeoManifestBytes } from '../helpers/skopeo.js';
import { validateLayout, validateRegistryImage } from '../helpers/validate.js';
import { imageResults, makeCliSandbox, show, summaryOf, type CliSandbox } from './cli.js';
import { manifestStatus } from './registry-probe.js';

const ociIndex = makeMultiArch({ seed: 'e2e-copy-oci', platforms: ['linux/amd64', 'linux/arm64/v8', 'linux/s390x'] });
const dockerList = makeMultiArch({ seed: 'e2e-copy-docker', format: 'docker', platforms: ['linux/amd64', 'linux/arm/v7'] });
const dockerSingle = makeImage({ seed: 'e2e-copy-single', format: 'docker', layers: [4096, 2048] });

const FIXTURES: Array<[string, Fixture, string]> = [
  ['an OCI multi-arch index', ociIndex, 'e2e/oci'],
  ['a Docker manifest list', dockerList, 'e2e/dockerlist'],
  ['a single Docker v2s2 image', dockerSingle, 'e2e/single'],
];

/** Every config and layer of a fixture once, with its size. */
function uniqueBlobs(f: Fixture): Map<string, number> {
  const out = new Map<string, number>();
  const images: FixtureImage[] = f.kind === 'image' ? [f] : f.images;
  for (const i of images) for (const d of [i.configDesc, ...i.layers.map((l) => l.desc)]) out.set(d.digest, d.size);
  return out;
}

let A: TestRegistry;
let B: TestRegistry;
// Proxies in front of both registries: airlock talks to them, so every request is counted.
let PA: FaultProxy;
let PB: FaultProxy;
let sb: CliSandbox;
let work: string;

beforeAll(async () => {
  [A, B, sb, work] = await Promise.all([
    startRegistry(),
    startRegistry(),
    makeCliSandbox(),
    mkdtemp(join(tmpdir(), 'airlock-e2e-copy-')),
  ]);
  [PA, PB] = await Promise.all([startFaultProxy({ upstream: A.url }), startFaultProxy({ upstream: B.url })]);
  const pushed = await Promise.all(FIXTURES.map(([, f, repo]) => pushFixtureWithSkopeo(f, A, `${repo}:t`)));
  FIXTURES.forEach(([, f], i) => expect(pushed[i]).toBe(f.manifestDesc.digest));
});

afterAll(async () => {
  await Promise.all([PA?.stop(), PB?.stop()]);
  await Promise.all([A?.stop(), B?.stop(), sb?.remove(), work && rm(work, { recursive: true, force: true })]);
});

const src = (repoRef: string) => `docker://${PA.host}/${repoRef}`;
const dst = (repoRef: string) => `docker://${PB.host}/${repoRef}`;

describe.each(FIXTURES)('airlock copy of %s', (_name, fixture, repo) => {
  it('preserves the exact manifest bytes, validates, and skopeo reads it back', async () => {
    const r = await sb.run(['copy', '--json', src(`${repo}:t`), dst(`${repo}:t`)]);
    expect(r.code, show(r)).toBe(0);
    const [result] = imageResults(r.stdout);
    expect(result).toMatchObject({ status: 'copied', digest: fixture.manifestDesc.digest, sourceDigest: fixture.manifestDesc.digest });
    const blobs = uniqueBlobs(fixture);
    expect(result.blobsSent).toBe(blobs.size);
    expect(result.bytesSent).toBe([...blobs.values()].reduce((a, b) => a + b, 0));

    const v = await validateRegistryImage({
      url: B.url,
      repository: repo,
      reference: 't',
      expectDigest: fixture.manifestDesc.digest,
      checkDiffIds: true,
    });
    expect(v.mediaType).toBe(fixture.manifestDesc.mediaType);
    expect(v.manifests).toHaveLength(fixture.kind === 'index' ? fixture.images.length + 1 : 1);
    expect(new Set(v.blobs.map((b) => b.digest))).toEqual(new Set(blobs.keys()));

    // skopeo sees the very bytes skopeo pushed to A.
    const raw = await skopeoManifestBytes(dockerRef(B, `${repo}:t`), sideFor(B));
    expect(raw.equals(fixture.manifest)).toBe(true);

    // And skopeo can copy it out again: to an OCI layout, digests kept where the format allows.
    const out = join(work, `out-${repo.replace('/', '-')}`);
    const oci = fixture.format === 'oci';
    await skopeoCopy(dockerRef(B, `${repo}:t`), `oci:${out}:t`, { all: true, src: sideFor(B), preserveDigests: oci });
    const lv = await validateLayout(out, 't', { checkDiffIds: true });
    if (oci) expect(lv.digest).toBe(fixture.manifestDesc.digest);
  });

  it('finds the copy up to date on a second run with one HEAD per side', async () => {
    PA.resetRequests();
    PB.resetRequests();
    const r = await sb.run(['copy', '--json', src(`${repo}:t`), dst(`${repo}:t`)]);
    expect(r.code, show(r)).toBe(0);
    const [result] = imageResults(r.stdout);
    expect(result).toMatchObject({ status: 'up-to-date', digest: fixture.manifestDesc.digest, bytesSent: 0, blobsSent: 0 });
    // Anonymous registries need no /v2/ ping or token; the no-op is one manifest HEAD on each side.
    expect(PA.requests.map((q) => `${q.method} ${q.path}`)).toEqual([`HEAD /v2/${repo}/manifests/t`]);
    expect(PB.requests.map((q) => `${q.method} ${q.path}`)).toEqual([`HEAD /v2/${repo}/manifests/t`]);
  });
});

describe('airlock copy --platform', () => {
  it('writes a filtered index with only the chosen child and reports its new digest', async () => {
    const arm = ociIndex.images.find((i) => i.platform.architecture === 'arm64')!;
    const r = await sb.run(['copy', '--json', '--platform', 'linux/arm64', src('e2e/oci:t'), dst('e2e/oci-arm64:t')]);
    expect(r.code, show(r)).toBe(0);
    const [result] = imageResults(r.stdout);
    expect(result.status).toBe('copied');
    expect(result.sourceDigest).toBe(ociIndex.manifestDesc.digest);
    expect(result.digest).not.toBe(ociIndex.manifestDesc.digest);
    expect(result.blobsSent).toBe(uniqueBlobs(arm).size);

    const v = await validateRegistryImage({
      url: B.url,
      repository: 'e2e/oci-arm64',
      reference: 't',
      expectDigest: result.digest,
      checkDiffIds: true,
    });
    expect(v.mediaType).toBe('application/vnd.oci.image.index.v1+json');
    expect(v.manifests.map((m) => m.digest).sort()).toEqual([result.digest, arm.manifestDesc.digest].sort());
    const raw = await skopeoManifestBytes(dockerRef(B, `e2e/oci-arm64@${result.digest}`), sideFor(B));
    const index = JSON.parse(raw.toString('utf8')) as { manifests: Array<{ digest: string; platform: unknown }> };
    expect(index.manifests).toEqual([expect.objectContaining({ digest: arm.manifestDesc.digest, platform: arm.platform })]);

    const out = join(work, 'out-arm64');
    await skopeoCopy(dockerRef(B, 'e2e/oci-arm64:t'), `oci:${out}:t`, { all: true, src: sideFor(B) });
    expect((await validateLayout(out, 't', { checkDiffIds: true })).digest).toBe(result.digest);
  });

  it('prints the filtered digest in plain output too (Docker manifest list)', async () => {
    const amd = dockerList.images.find((i) => i.platform.architecture === 'amd64')!;
    const report = join(work, 'platform-report.json');
    const r = await sb.run(['copy', '--platform', 'linux/amd64', '--report', report, src('e2e/dockerlist:t'), dst('e2e/dockerlist-amd64:t')]);
    expect(r.code, show(r)).toBe(0);
    const { images } = JSON.parse(await readFile(report, 'utf8')) as { images: Array<{ digest: string; status: string }> };
    expect(images).toHaveLength(1);
    const digest = images[0]!.digest;
    expect(digest).not.toBe(dockerList.manifestDesc.digest);
    expect(r.stderr).toContain(digest);
    const v = await validateRegistryImage({ url: B.url, repository: 'e2e/dockerlist-amd64', reference: 't', expectDigest: digest });
    expect(v.mediaType).toBe('application/vnd.docker.distribution.manifest.list.v2+json');
    expect(v.manifests.map((m) => m.digest).sort()).toEqual([digest, amd.manifestDesc.digest].sort());
  });

  it('fails with PLATFORM_NOT_FOUND (exit 1) for a platform the index lacks, writing nothing', async () => {
    PB.resetRequests();
    const r = await sb.run(['copy', '--json', '--platform', 'windows/arm64', src('e2e/oci:t'), dst('e2e/oci-windows:t')]);
    expect(r.code, show(r)).toBe(1);
    const [result] = imageResults(r.stdout);
    expect(result.status).toBe('failed');
    expect(result.error.code).toBe('PLATFORM_NOT_FOUND');
    expect(summaryOf(r.stdout)).toMatchObject({ failed: 1, copied: 0 });
    expect(PB.requests.filter((q) => q.method !== 'HEAD' && q.method !== 'GET')).toEqual([]);
    expect(await manifestStatus(B, 'e2e/oci-windows', 't')).toBe(404);
  });
});

describe('airlock copy by digest', () => {
  it('copies a source pinned by digest to a tag', async () => {
    const digest = dockerSingle.manifestDesc.digest;
    const r = await sb.run(['copy', '--json', src(`e2e/single@${digest}`), dst('e2e/by-digest:pinned')]);
    expect(r.code, show(r)).toBe(0);
    expect(imageResults(r.stdout)[0]).toMatchObject({ status: 'copied', digest });
    await validateRegistryImage({ url: B.url, repository: 'e2e/by-digest', reference: 'pinned', expectDigest: digest, checkDiffIds: true });
  });

  it('copies tag+digest to a digest-only destination', async () => {
    const digest = ociIndex.manifestDesc.digest;
    const r = await sb.run(['copy', '--json', src(`e2e/oci:t@${digest}`), dst(`e2e/digest-only@${digest}`)]);
    expect(r.code, show(r)).toBe(0);
    expect(imageResults(r.stdout)[0]).toMatchObject({ status: 'copied', digest });
    await validateRegistryImage({ url: B.url, repository: 'e2e/digest-only', reference: digest, checkDiffIds: true });
    const raw = await skopeoManifestBytes(dockerRef(B, `e2e/digest-only@${digest}`), sideFor(B));
    expect(raw.equals(ociIndex.manifest)).toBe(true);
  });

  it('fails with REGISTRY_NOT_FOUND for a digest the source does not have', async () => {
    const other = dockerList.manifestDesc.digest; // exists in A, but in another repository
    const r = await sb.run(['copy', '--json', src(`e2e/single@${other}`), dst('e2e/by-digest:wrong')]);
    expect(r.code, show(r)).toBe(1);
    expect(imageResults(r.stdout)[0].error.code).toBe('REGISTRY_NOT_FOUND');
    expect(await manifestStatus(B, 'e2e/by-digest', 'wrong')).toBe(404);
  });
});

describe('airlock copy --dry-run', () => {
  it('writes nothing and reports the bytes it would send', async () => {
    PB.resetRequests();
    const r = await sb.run(['copy', '--dry-run', '--json', src('e2e/oci:t'), dst('e2e/dry:t')]);
    expect(r.code, show(r)).toBe(0);
    const [result] = imageResults(r.stdout);
    const blobs = uniqueBlobs(ociIndex);
    expect(result).toMatchObject({ status: 'planned', bytesSent: 0, manifestsWritten: 0 });
    // The shared base layer is counted once, as a real copy would send it once.
    expect(result.blobsSent).toBe(blobs.size);
    expect(result.bytesPlanned).toBe([...blobs.values()].reduce((a, b) => a + b, 0));
    expect(summaryOf(r.stdout)).toMatchObject({ planned: 1, copied: 0, bytesSent: 0 });
    expect(PB.requests.filter((q) => q.method !== 'HEAD' && q.method !== 'GET')).toEqual([]);
    expect(await manifestStatus(B, 'e2e/dry', 't')).toBe(404);
  });
});

describe('airlock copy --format', () => {
  it('writes an OCI index as a Docker manifest list (and back as OCI), blobs untouched; skopeo reads both', async () => {
    const toDocker = await sb.run(['copy', '--json', '--format', 'v2s2', src('e2e/oci:t'), dst('converted/docker:t')]);
    expect(toDocker.code, show(toDocker)).toBe(0);
    const [d] = imageResults(toDocker.stdout);
    expect(d).toMatchObject({ status: 'copied', sourceDigest: ociIndex.manifestDesc.digest });
    expect(d.digest).not.toBe(ociIndex.manifestDesc.digest);
    // Only manifests changed: every blob went over as it was.
    expect(d.blobsSent).toBe(uniqueBlobs(ociIndex).size);
    const vd = await validateRegistryImage({ url: B.url, repository: 'converted/docker', reference: 't', expectDigest: d.digest, checkDiffIds: true });
    expect(vd.mediaType).toBe('application/vnd.docker.distribution.manifest.list.v2+json');
    expect(new Set(vd.blobs.map((b) => b.digest))).toEqual(new Set(uniqueBlobs(ociIndex).keys()));
    const list = JSON.parse((await skopeoManifestBytes(dockerRef(B, 'converted/docker:t'), sideFor(B))).toString()) as {
      mediaType: string;
      manifests: Array<{ mediaType: string; digest: string }>;
    };
    expect(list.mediaType).toBe('application/vnd.docker.distribution.manifest.list.v2+json');
    expect(list.manifests.every((m) => m.mediaType === 'application/vnd.docker.distribution.manifest.v2+json')).toBe(true);

    const back = await sb.run(['copy', '--json', '--format', 'oci', dst('converted/docker:t'), dst('converted/oci:t')]);
    expect(back.code, show(back)).toBe(0);
    const [o] = imageResults(back.stdout);
    const vo = await validateRegistryImage({ url: B.url, repository: 'converted/oci', reference: 't', expectDigest: o.digest, checkDiffIds: true });
    expect(vo.mediaType).toBe('application/vnd.oci.image.index.v1+json');
    // Every layer was mounted from the other repository: nothing was sent again.
    expect(o.blobsSent).toBe(0);
  });

  it('refuses an unknown format with exit 2', async () => {
    const r = await sb.run(['copy', '--format', 'v1', src('e2e/oci:t'), dst('converted/bad:t')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('[USAGE]');
  });
});
