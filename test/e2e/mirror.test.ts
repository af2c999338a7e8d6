/**
 * End to end: `airlock mirror LIST --to REGISTRY/PREFIX` as a child process, from one real
 * Distribution registry to another, with a counting proxy in front of the destination.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { makeImage, makeMultiArch, type Fixture, type FixtureImage, type LayerSpec } from '../helpers/fixtures.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { dockerRef, pushFixtureWithSkopeo, sideFor, skopeoInspect, skopeoManifestBytes } from '../helpers/skopeo.js';
import { validateRegistryImage } from '../helpers/validate.js';
import { makeCliSandbox, show, type CliSandbox } from './cli.js';
import { catalog, manifestStatus } from './registry-probe.js';

const base: LayerSpec = { seed: 'e2e-mirror/base-os', size: 3000 };
const python: LayerSpec = { seed: 'e2e-mirror/python', size: 2000 };

/** Six images over four repositories; all share `base`, the OpenStack ones also `python`. */
const IMAGES: Array<{ path: string; fixture: Fixture }> = [
  { path: 'ceph/ceph:v18', fixture: makeMultiArch({ seed: 'e2e-mirror/ceph18', baseLayers: [base], platformLayers: [1500] }) },
  { path: 'ceph/ceph:v17', fixture: makeImage({ seed: 'e2e-mirror/ceph17', layers: [base, 1200] }) },
  { path: 'openstack/keystone-api:2024.1', fixture: makeImage({ seed: 'e2e-mirror/ks1', format: 'docker', layers: [base, python, 1000] }) },
  { path: 'openstack/keystone-api:2024.2', fixture: makeImage({ seed: 'e2e-mirror/ks2', format: 'docker', layers: [base, python, 1100] }) },
  { path: 'openstack/nova-api:2024.1', fixture: makeImage({ seed: 'e2e-mirror/nova', format: 'docker', layers: [base, python, 900] }) },
  { path: 'openstack/glance-api:2024.1', fixture: makeImage({ seed: 'e2e-mirror/glance', layers: [base, python, 800] }) },
];

function imagesOf(f: Fixture): FixtureImage[] {
  return f.kind === 'image' ? [f] : f.images;
}

/** Config and layer descriptors an image's manifests point to, one entry per (manifest, blob). */
function blobUses(f: Fixture): Array<{ digest: string; size: number }> {
  return imagesOf(f).flatMap((i) => [i.configDesc, ...i.layers.map((l) => l.desc)]);
}

/** Every config and layer of every image once, with its size. */
const UNIQUE = new Map<string, number>(IMAGES.flatMap((i) => blobUses(i.fixture)).map((b) => [b.digest, b.size]));

const repoOf = (path: string) => path.slice(0, path.lastIndexOf(':'));
const tagOf = (path: string) => path.slice(path.lastIndexOf(':') + 1);

let A: TestRegistry;
let B: TestRegistry;
let PB: FaultProxy;
let sb: CliSandbox;
let work: string;
let listFile: string;

/** The list file text for `paths`, with comments and blank lines as people write them. */
function listText(paths: string[]): string {
  return [
    '# images for the e2e mirror',
    '',
    ...paths.map((p, i) => `${A.host}/${p}${i % 2 ? '   # trailing comment' : ''}`),
    '   ',
    '# end',
    '',
  ].join('\n');
}

async function writeList(name: string, paths: string[]): Promise<string> {
  const file = join(work, name);
  await writeFile(file, listText(paths));
  return file;
}

async function readReport(file: string): Promise<{ summary: Record<string, number>; images: any[] }> {
  return JSON.parse(await readFile(file, 'utf8')) as { summary: Record<string, number>; images: any[] };
}

/** Blob digests of the monolithic upload PUTs B received (`...?digest=`), in order. */
function uploadedDigests(proxy: FaultProxy): string[] {
  return proxy.requests
    .filter((q) => q.method === 'PUT' && /\/blobs\/uploads\//.test(q.path) && q.status === 201)
    .map((q) => new URL(q.path, 'http://x').searchParams.get('digest')!);
}

beforeAll(async () => {
  [A, B, sb, work] = await Promise.all([
    startRegistry(),
    startRegistry(),
    makeCliSandbox(),
    mkdtemp(join(tmpdir(), 'airlock-e2e-mirror-')),
  ]);
  PB = await startFaultProxy({ upstream: B.url });
  for (const { path, fixture } of IMAGES) {
    expect(await pushFixtureWithSkopeo(fixture, A, path)).toBe(fixture.manifestDesc.digest);
  }
  listFile = await writeList('images.txt', IMAGES.map((i) => i.path));
});

afterAll(async () => {
  await PB?.stop();
  await Promise.all([A?.stop(), B?.stop(), sb?.remove(), work && rm(work, { recursive: true, force: true })]);
});

describe('airlock mirror LIST --to REGISTRY/PREFIX', () => {
  it('keeps every path under the prefix, sends each blob once and mounts shared layers', async () => {
    PB.resetRequests();
    const report = join(work, 'report.json');
    const r = await sb.run(['mirror', listFile, '--to', `${PB.host}/mirror`, '--report', report]);
    expect(r.code, show(r)).toBe(0);

    // Every image landed at PREFIX/<its source path>, exact digest, and validates.
    await Promise.all(
      IMAGES.map(async ({ path, fixture }) => {
        const v = await validateRegistryImage({
          url: B.url,
          repository: `mirror/${repoOf(path)}`,
          reference: tagOf(path),
          expectDigest: fixture.manifestDesc.digest,
          checkDiffIds: true,
        });
        expect(v.blobs.length).toBe(new Set(blobUses(fixture).map((b) => b.digest)).size);
        const raw = await skopeoManifestBytes(dockerRef(B, `mirror/${path}`), sideFor(B));
        expect(raw.equals(fixture.manifest)).toBe(true);
      }),
    );
    const inspected = (await skopeoInspect(dockerRef(B, 'mirror/openstack/nova-api:2024.1'), sideFor(B))) as {
      Digest: string;
      Layers: string[];
    };
    expect(inspected.Digest).toBe(IMAGES[4]!.fixture.manifestDesc.digest);
    expect(inspected.Layers).toHaveLength(3);
    expect((await catalog(B)).sort()).toEqual([...new Set(IMAGES.map((i) => `mirror/${repoOf(i.path)}`))].sort());

    // The report names every image, with its digest and what moved.
    const { summary, images } = await readReport(report);
    expect(summary).toMatchObject({ images: 6, copied: 6, failed: 0, bytesSent: [...UNIQUE.values()].reduce((a, b) => a + b, 0) });
    expect(images.map((i) => i.destination)).toEqual(IMAGES.map((i) => `docker://${PB.host}/mirror/${i.path}`));
    for (const [n, { fixture }] of IMAGES.entries()) {
      const img = images[n];
      expect(img).toMatchObject({ status: 'copied', digest: fixture.manifestDesc.digest });
      expect(img.blobsSent + img.blobsMounted + img.blobsExisting).toBe(blobUses(fixture).length);
    }
    expect(images.reduce((n, i) => n + i.blobsSent, 0)).toBe(UNIQUE.size);

    // On the wire: each unique blob was uploaded exactly once in the whole run...
    const uploads = uploadedDigests(PB);
    expect(uploads.slice().sort()).toEqual([...UNIQUE.keys()].sort());
    const freshPosts = PB.requests.filter((q) => q.method === 'POST' && !q.path.includes('mount='));
    expect(freshPosts).toHaveLength(UNIQUE.size);
    // ...and every mount the report counts is one successful cross-repository mount request.
    const mounts = PB.requests.filter((q) => q.method === 'POST' && q.path.includes('mount=') && q.status === 201);
    expect(mounts.length).toBe(images.reduce((n, i) => n + i.blobsMounted, 0));
    // One mount per blob per repository, however many images or platforms there need it:
    // each blob lands in one repository and is mounted once into every other that uses it.
    const mountKeys = mounts.map((q) => `${q.path.split('/blobs/')[0]} ${new URL(q.path, 'http://x').searchParams.get('mount')}`);
    expect(mountKeys.filter((k, i) => mountKeys.indexOf(k) !== i)).toEqual([]);
    const reposUsing = new Map<string, Set<string>>();
    for (const { path, fixture } of IMAGES) {
      for (const b of blobUses(fixture)) reposUsing.set(b.digest, (reposUsing.get(b.digest) ?? new Set()).add(repoOf(path)));
    }
    expect(mounts.length).toBe([...reposUsing.values()].reduce((n, repos) => n + repos.size - 1, 0));
    // The base layer is in all four repositories but was sent to one: the other three got it
    // by mount, so in each of them at least one image reports a mount.
    const reposWithMount = new Set(images.filter((i) => i.blobsMounted > 0).map((i) => repoOf(i.destination)));
    expect(reposWithMount.size).toBeGreaterThanOrEqual(3);
  });

  it('finds everything up to date on a re-run: one manifest HEAD per image', async () => {
    PB.resetRequests();
    const report = join(work, 'rerun.json');
    const r = await sb.run(['mirror', listFile, '--to', `${PB.host}/mirror`, '--report', report]);
    expect(r.code, show(r)).toBe(0);
    const { summary, images } = await readReport(report);
    expect(summary).toMatchObject({ images: 6, upToDate: 6, copied: 0, bytesSent: 0 });
    expect(images.map((i) => i.digest)).toEqual(IMAGES.map((i) => i.fixture.manifestDesc.digest));
    expect(PB.requests.map((q) => `${q.method} ${q.path}`).sort()).toEqual(
      IMAGES.map((i) => `HEAD /v2/mirror/${repoOf(i.path)}/manifests/${tagOf(i.path)}`).sort(),
    );
  });

  it('with --jobs 1 moves blobs in list order: sent first, then present in the same repository, mounted in others', async () => {
    const report = join(work, 'seq.json');
    const r = await sb.run(['mirror', listFile, '--to', `${PB.host}/seq`, '--jobs', '1', '--report', report]);
    expect(r.code, show(r)).toBe(0);
    const { images } = await readReport(report);
    // Walk the list as the engine does: a blob seen before is present in a repository that
    // already has it, mounted into any other; the first sighting is sent.
    const where = new Map<string, Set<string>>();
    IMAGES.forEach(({ path, fixture }, n) => {
      const repo = repoOf(path);
      const expected = { blobsSent: 0, blobsMounted: 0, blobsExisting: 0 };
      for (const b of blobUses(fixture)) {
        const repos = where.get(b.digest);
        if (!repos) expected.blobsSent++;
        else if (repos.has(repo)) expected.blobsExisting++;
        else expected.blobsMounted++;
        where.set(b.digest, (repos ?? new Set()).add(repo));
      }
      expect(images[n], path).toMatchObject({ status: 'copied', ...expected });
    });
    await validateRegistryImage({ url: B.url, repository: 'seq/openstack/glance-api', reference: '2024.1', checkDiffIds: true });
  });

  it('--only SUBSTRING copies just the matching image', async () => {
    const report = join(work, 'only.json');
    const r = await sb.run(['mirror', listFile, '--to', `${PB.host}/only`, '--only', 'keystone-api:2024.2', '--report', report]);
    expect(r.code, show(r)).toBe(0);
    const { images } = await readReport(report);
    expect(images).toHaveLength(1);
    expect(images[0]).toMatchObject({ status: 'copied', source: `docker://${A.host}/openstack/keystone-api:2024.2` });
    await validateRegistryImage({
      url: B.url,
      repository: 'only/openstack/keystone-api',
      reference: '2024.2',
      expectDigest: IMAGES[3]!.fixture.manifestDesc.digest,
    });
    expect((await catalog(B)).filter((r) => r.startsWith('only/'))).toEqual(['only/openstack/keystone-api']);
    expect(await manifestStatus(B, 'only/openstack/keystone-api', '2024.1')).toBe(404);
  });

  it('--keep-going copies the others past a missing image, reports it and exits 3', async () => {
    const list = await writeList('missing.txt', ['ceph/ceph:v17', 'ceph/ceph:v404', 'openstack/nova-api:2024.1', 'openstack/glance-api:2024.1']);
    const report = join(work, 'keep-going.json');
    const r = await sb.run(['mirror', list, '--to', `${PB.host}/kg`, '--keep-going', '--report', report]);
    expect(r.code, show(r)).toBe(3);
    const { summary, images } = await readReport(report);
    expect(summary).toMatchObject({ images: 4, copied: 3, failed: 1 });
    expect(images.map((i) => i.status)).toEqual(['copied', 'failed', 'copied', 'copied']);
    expect(images[1].error.code).toBe('REGISTRY_NOT_FOUND');
    expect(r.stderr).toContain('[REGISTRY_NOT_FOUND]');
    for (const path of ['ceph/ceph:v17', 'openstack/nova-api:2024.1', 'openstack/glance-api:2024.1']) {
      await validateRegistryImage({ url: B.url, repository: `kg/${repoOf(path)}`, reference: tagOf(path) });
    }
    expect(await manifestStatus(B, 'kg/ceph/ceph', 'v404')).toBe(404);
  });

  it('without --keep-going stops at the missing image: exit 1, later images not started', async () => {
    const list = await writeList('stop.txt', ['ceph/ceph:v17', 'ceph/ceph:v404', 'openstack/nova-api:2024.1', 'openstack/glance-api:2024.1']);
    const report = join(work, 'stop.json');
    const r = await sb.run(['mirror', list, '--to', `${PB.host}/stop`, '--jobs', '1', '--report', report]);
    expect(r.code, show(r)).toBe(1);
    const { summary, images } = await readReport(report);
    expect(images.map((i) => i.status)).toEqual(['copied', 'failed', 'not-started', 'not-started']);
    expect(images[1].error.code).toBe('REGISTRY_NOT_FOUND');
    expect(summary).toMatchObject({ copied: 1, failed: 1, notStarted: 2 });
    expect(await manifestStatus(B, 'stop/openstack/nova-api', '2024.1')).toBe(404);

    // With images in flight at once, the ones already running finish; none start after.
    const parallel = await sb.run(['mirror', list, '--to', `${PB.host}/stop-par`, '--report', report]);
    expect(parallel.code, show(parallel)).toBe(1);
    const after = await readReport(report);
    expect(after.images[1].status).toBe('failed');
    for (const i of [after.images[0], ...after.images.slice(2)]) expect(['copied', 'not-started']).toContain(i.status);
  });

  it('rejects a malformed list line with exit 2 and LIST_INVALID before touching any registry', async () => {
    const file = join(work, 'bad.txt');
    const good = listText(['ceph/ceph:v17']);
    await writeFile(file, `${good}${A.host}/Not A Reference!\n`);
    const badLine = good.split('\n').length;
    PB.resetRequests();
    const r = await sb.run(['mirror', file, '--to', `${PB.host}/bad`]);
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr).toContain('[LIST_INVALID]');
    expect(r.stderr).toContain(`${file}:${badLine}:`);
    expect(PB.requests).toEqual([]);
    expect((await catalog(B)).filter((n) => n.startsWith('bad/'))).toEqual([]);
  });
});
