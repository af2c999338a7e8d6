/**
 * `airlock warm` against a real containerd (one daemon for the file; each test is a fresh
 * node in its own namespace, content isolated per namespace): images from a bundle or the
 * store appear under their names with the locked digests, for one platform only; only
 * missing blobs are sent, counted to the byte; a run killed at any point is finished by a
 * rerun that sends only what is still missing; bad input fails fast with a stable code and
 * commits nothing unverified.
 */
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureBlobs, makeImage, makeMultiArch, type FixtureImage } from '../helpers/fixtures.js';
import { containerdContent, containerdImages, containerdUnpacked, startContainerd, type TestContainerd } from '../helpers/containerd.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { pushFixtureWithSkopeo } from '../helpers/skopeo.js';
import { makeCliSandbox, runCli, show, type CliResult, type CliSandbox } from './cli.js';
import { failureCode } from './leftovers.js';

const multi = makeMultiArch({ seed: 'e2e-warm-multi', baseLayers: [{ seed: 'e2e-warm/base', size: 40_000 }], platformLayers: [20_000] });
const single = makeImage({ seed: 'e2e-warm-single', format: 'docker', layers: [{ seed: 'e2e-warm/base', size: 40_000 }, 30_000] });
const amd64 = multi.images.find((i) => i.platform.architecture === 'amd64')!;
const arm64 = multi.images.find((i) => i.platform.architecture === 'arm64')!;
const base = single.layers[0]!.desc;

type Blob = { digest: string; size: number };
const blobsOf = (i: FixtureImage): Blob[] => [...i.layers.map((l) => l.desc), i.configDesc, i.manifestDesc].map((d) => ({ digest: d.digest, size: d.size }));
/** What a linux/amd64 node needs of each image: the index, the amd64 manifest, its config and layers. */
const needMulti: Blob[] = [...blobsOf(amd64), { digest: multi.manifestDesc.digest, size: multi.manifestDesc.size }];
const needSingle: Blob[] = blobsOf(single);
const union = (...sets: Blob[][]): Map<string, number> => new Map(sets.flat().map((b) => [b.digest, b.size]));
const needAll = union(needMulti, needSingle);
const bytes = (m: Map<string, number> | Blob[]) => [...(m instanceof Map ? m.values() : m.map((b) => b.size))].reduce((a, b) => a + b, 0);
/** The order warm sends in with --jobs 1: images by key (multi, single), each layers, config, manifests, root. */
const sendOrder: Blob[] = [...union(needMulti, needSingle).entries()].map(([digest, size]) => ({ digest, size }));

let A: TestRegistry;
let C: TestContainerd;
let sb: CliSandbox;
let work: string;
let lock: string;
let bundle: string;
const ref = (repoRef: string) => `${A.host}/${repoRef}`;
const multiName = () => ref('team/multi:t');
const singleName = () => ref('team/single:1');

beforeAll(async () => {
  [A, C, sb, work] = await Promise.all([startRegistry(), startContainerd(), makeCliSandbox(), mkdtemp(join(tmpdir(), 'airlock-e2e-warm-'))]);
  await pushFixtureWithSkopeo(multi, A, 'team/multi:t');
  await pushFixtureWithSkopeo(single, A, 'team/single:1');
  const set = join(sb.dir, 'images.yaml');
  await writeFile(set, `images:\n  multi: ${multiName()}\n  single: ${singleName()}\n`);
  lock = join(sb.dir, 'images.lock.yaml');
  const r = await sb.run(['resolve', set, '-o', lock]);
  expect(r.code, show(r)).toBe(0);
  bundle = join(work, 'images.tar');
  const b = await sb.run(['bundle', 'create', lock, '-o', bundle]);
  expect(b.code, show(b)).toBe(0);
});

afterAll(async () => {
  await Promise.all([A?.stop(), C?.stop(), sb?.remove(), work && rm(work, { recursive: true, force: true })]);
});

interface Report {
  namespace: string;
  platform: string;
  images: { key: string; name: string; digest: string; status: string; blobs: number; blobsSent: number; bytesSent: number; blobsLinked: number; replaced?: string }[];
  blobsSent: number;
  bytesSent: number;
}

/** `airlock warm SOURCE --containerd SOCK --namespace NS --json ...` */
async function warm(ns: string, args: string[] = [], opts: { source?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult & { report?: Report }> {
  const r = await sb.run(['warm', opts.source ?? bundle, '--containerd', C.socket, '--namespace', ns, '--json', ...args], opts.env ? { env: opts.env } : {});
  return r.code === 0 ? { ...r, report: JSON.parse(r.stdout) as Report } : r;
}

/** The node holds exactly these blobs, each once, and names the two images with their locked digests. */
async function expectWarmed(ns: string, blobs: Map<string, number>, names: [string, string][] = [[multiName(), multi.manifestDesc.digest], [singleName(), single.manifestDesc.digest]]) {
  expect(await containerdImages(C, ns)).toEqual(new Map(names));
  const content = await containerdContent(C, ns);
  expect(new Set(content.keys())).toEqual(new Set(blobs.keys()));
  // No collection root is left: warm's holder goes once the images hold their blobs.
  for (const [d, labels] of content) expect(labels['containerd.io/gc.root'], d).toBeUndefined();
}

/**
 * What a killed run left in `ns`: its holder (a collection root naming every blob of the run,
 * which must be all of `needAll`) and the blobs committed besides.
 */
async function afterCrash(ns: string): Promise<Set<string>> {
  const content = await containerdContent(C, ns);
  const holders = [...content].filter(([, labels]) => labels['containerd.io/gc.root'] === 'airlock-warm');
  expect(holders).toHaveLength(1);
  const [holder, labels] = holders[0]!;
  const kept = Object.entries(labels).filter(([k]) => k.startsWith('containerd.io/gc.ref.content.airlock.'));
  expect(new Set(kept.map(([, d]) => d))).toEqual(new Set(needAll.keys()));
  expect(kept).toHaveLength(needAll.size);
  return new Set([...content.keys()].filter((d) => d !== holder));
}

/** Runs warm with a test pause, waits until it stops there, and kills it with SIGKILL. */
async function crashAt(ns: string, pause: string): Promise<void> {
  let seen = '';
  const r = await runCli(['warm', bundle, '--containerd', C.socket, '--namespace', ns, '--jobs', '1'], {
    env: { ...sb.env, AIRLOCK_WARM_TEST_PAUSE: pause },
    onSpawn: (child) => {
      child.stderr!.on('data', (b: Buffer) => {
        seen += b.toString('utf8');
        if (seen.includes('airlock: test pause')) child.kill('SIGKILL');
      });
    },
  });
  expect(r.code, show(r)).toBe(137);
  expect(seen).toContain('airlock: test pause');
}

/** An OCI layout tar of a tiny image named `name` (for ctr images import). */
async function tinyImageTar(seed: string, name: string): Promise<Buffer> {
  const tiny = makeImage({ seed, layers: [64] });
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => chunks.push(c as Buffer));
  const ended = new Promise<void>((resolve) => pack.on('end', () => resolve()));
  const add = (entry: string, data: Buffer) => pack.entry({ name: entry, size: data.length }, data);
  add('oci-layout', Buffer.from('{"imageLayoutVersion":"1.0.0"}'));
  for (const b of fixtureBlobs(tiny)) add(`blobs/sha256/${b.desc.digest.slice(7)}`, b.bytes!);
  add('index.json', Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [{ ...tiny.manifestDesc, annotations: { 'io.containerd.image.name': name } }] })));
  pack.finalize();
  await ended;
  return Buffer.concat(chunks);
}

/**
 * Makes containerd collect garbage now (names a small image in a scratch namespace, then
 * removes it with --sync), and checks it did: a blob ingested just before, which nothing
 * names or marks, is gone afterwards.
 */
async function collectGarbage(): Promise<void> {
  const ns = `gc-${Math.random().toString(36).slice(2, 8)}`;
  const orphan = Buffer.from(`orphan ${ns}`);
  const orphanDigest = `sha256:${createHash('sha256').update(orphan).digest('hex')}`;
  await C.ctr(['content', 'ingest', '--expected-digest', orphanDigest, '--expected-size', String(orphan.length), `orphan-${ns}`], { namespace: ns, input: orphan });
  await C.ctr(['images', 'import', '--no-unpack', '-'], { namespace: ns, input: await tinyImageTar(ns, 'gc/tiny:1') });
  await C.ctr(['images', 'rm', '--sync', 'gc/tiny:1'], { namespace: ns });
  expect((await containerdContent(C, ns)).has(orphanDigest)).toBe(false);
}

describe('airlock warm', () => {
  it("a bundle is read as it is by ctr images import (both images named, the locked digests, every platform's content)", async () => {
    await C.ctr(['images', 'import', '--all-platforms', '--no-unpack', bundle], { namespace: 'ctr-import' });
    const images = await containerdImages(C, 'ctr-import');
    expect(images.get(multiName())).toBe(multi.manifestDesc.digest);
    expect(images.get(singleName())).toBe(single.manifestDesc.digest);
    const content = await containerdContent(C, 'ctr-import');
    for (const d of [arm64.manifestDesc.digest, ...arm64.layers.map((l) => l.desc.digest), ...needAll.keys()]) expect(content.has(d), d).toBe(true);
  });

  it('--dry-run reports what would be sent and named, and changes nothing', async () => {
    const r = await warm('dry-node', ['--dry-run']);
    expect(r.code, show(r)).toBe(0);
    expect(r.report!.images.map((i) => [i.key, i.status])).toEqual([['multi', 'planned'], ['single', 'planned']]);
    expect([r.report!.blobsSent, r.report!.bytesSent]).toEqual([needAll.size, bytes(needAll)]);
    expect((await containerdImages(C, 'dry-node')).size).toBe(0);
    expect((await containerdContent(C, 'dry-node')).size).toBe(0);
  });

  it('loads a bundle into k8s.io: the names the pods use, the locked digests, only the amd64 blobs; a rerun sends nothing', async () => {
    const r = await warm('k8s.io');
    expect(r.code, show(r)).toBe(0);
    expect(r.report!.platform).toBe('linux/amd64');
    expect(r.report!.images.map((i) => [i.key, i.name, i.digest, i.status])).toEqual([
      ['multi', multiName(), multi.manifestDesc.digest, 'warmed'],
      ['single', singleName(), single.manifestDesc.digest, 'warmed'],
    ]);
    expect(r.report!.blobsSent).toBe(needAll.size);
    expect(r.report!.bytesSent).toBe(bytes(needAll));
    // The shared base layer goes once, counted for the first image that needs it.
    expect(r.report!.images.map((i) => i.bytesSent)).toEqual([bytes(needMulti), bytes(needSingle) - base.size]);
    await expectWarmed('k8s.io', needAll);
    // Nothing of the arm64 image but the base layer it shares.
    const content = await containerdContent(C, 'k8s.io');
    expect(blobsOf(arm64).filter((b) => content.has(b.digest))).toEqual([{ digest: base.digest, size: base.size }]);
    expect((await C.ctr(['images', 'check'], { namespace: 'k8s.io' })).match(/complete \(\d+\/\d+\)/g)).toHaveLength(2);

    const again = await warm('k8s.io');
    expect(again.code, show(again)).toBe(0);
    expect(again.report!.images.map((i) => i.status)).toEqual(['skipped', 'skipped']);
    expect([again.report!.blobsSent, again.report!.bytesSent]).toEqual([0, 0]);
    await expectWarmed('k8s.io', needAll);
  });

  it('airlock audit --containerd checks a node against the lock: clean after warm; a missing image, a moved name and a missing blob are findings (exit 1)', async () => {
    const audit = (ns: string) => sb.run(['audit', '--containerd', C.socket, '--namespace', ns, '--lock', lock, '--platform', 'linux/amd64', '--json']);
    expect((await warm('audit-node')).code).toBe(0);
    const clean = await audit('audit-node');
    expect(clean.code, show(clean)).toBe(0);
    expect(JSON.parse(clean.stdout)).toMatchObject({ clean: true, images: 2, findings: [] });
    const empty = await audit('audit-empty');
    expect(empty.code, show(empty)).toBe(1);
    expect((JSON.parse(empty.stdout) as { findings: { key: string; code: string }[] }).findings.map((f) => [f.key, f.code])).toEqual([['multi', 'image-missing'], ['single', 'image-missing']]);
    // A layer of the single image collected away, and the multi image's name moved to the single one.
    await C.ctr(['content', 'rm', single.layers.at(-1)!.desc.digest], { namespace: 'audit-node' });
    await C.ctr(['images', 'rm', multiName()], { namespace: 'audit-node' });
    await C.ctr(['images', 'create', multiName(), single.manifestDesc.digest, '--media-type', single.manifestDesc.mediaType, '--size', String(single.manifestDesc.size)], { namespace: 'audit-node' }).catch(() => undefined);
    const broken = await audit('audit-node');
    expect(broken.code, show(broken)).toBe(1);
    const codes = (JSON.parse(broken.stdout) as { findings: { key: string; code: string }[] }).findings.map((f) => [f.key, f.code]);
    expect(codes).toContainEqual(['single', 'content-missing']);
    expect(codes.find((c) => c[0] === 'multi')?.[1]).toMatch(/image-digest|image-missing/);
    const text = await sb.run(['audit', '--containerd', C.socket, '--namespace', 'audit-node', '--lock', lock, '--platform', 'linux/amd64']);
    expect(text.stdout).toMatch(/content-missing\s+single/);
  });

  it('sends a node that has the base layer only the rest', async () => {
    const first = await warm('base-node', ['--only', 'single']);
    expect(first.code, show(first)).toBe(0);
    expect(first.report!.images.map((i) => [i.key, i.status, i.bytesSent])).toEqual([['single', 'warmed', bytes(needSingle)]]);
    await expectWarmed('base-node', union(needSingle), [[singleName(), single.manifestDesc.digest]]);

    const rest = await warm('base-node');
    expect(rest.code, show(rest)).toBe(0);
    expect(rest.report!.images.map((i) => [i.key, i.status])).toEqual([
      ['multi', 'warmed'],
      ['single', 'skipped'],
    ]);
    const missing = needMulti.filter((b) => b.digest !== base.digest);
    expect(missing).toHaveLength(needMulti.length - 1);
    expect(rest.report!.blobsSent).toBe(missing.length);
    expect(rest.report!.bytesSent).toBe(bytes(missing));
    await expectWarmed('base-node', needAll);
  });

  it('--platform chooses the one image of the index that is sent; a single image of another platform is refused', async () => {
    const r = await warm('arm-node', ['--platform', 'linux/arm64', '--only', 'multi']);
    expect(r.code, show(r)).toBe(0);
    const needArm = [...blobsOf(arm64), { digest: multi.manifestDesc.digest, size: multi.manifestDesc.size }];
    expect(r.report!.platform).toBe('linux/arm64');
    expect(r.report!.bytesSent).toBe(bytes(needArm));
    await expectWarmed('arm-node', union(needArm), [[multiName(), multi.manifestDesc.digest]]);
    const content = await containerdContent(C, 'arm-node');
    expect(blobsOf(amd64).filter((b) => content.has(b.digest))).toEqual([{ digest: base.digest, size: base.size }]);

    const refused = await warm('arm-node', ['--platform', 'linux/arm64']);
    expect(refused.code, show(refused)).toBe(1);
    expect(failureCode(refused)).toBe('PLATFORM_NOT_FOUND');
    expect(refused.stderr).toContain(`${singleName()}: the image is for linux/amd64, the node is linux/arm64`);
  });

  it('moves a name that points at another digest to the locked one', async () => {
    const first = await warm('moved-node', ['--only', 'single']);
    expect(first.code, show(first)).toBe(0);
    await C.ctr(['images', 'tag', singleName(), multiName()], { namespace: 'moved-node' });
    expect((await containerdImages(C, 'moved-node')).get(multiName())).toBe(single.manifestDesc.digest);
    const r = await warm('moved-node');
    expect(r.code, show(r)).toBe(0);
    expect(r.report!.images.map((i) => [i.key, i.status, i.replaced])).toEqual([
      ['multi', 'warmed', single.manifestDesc.digest],
      ['single', 'skipped', undefined],
    ]);
    await expectWarmed('moved-node', needAll);
  });

  it('--unpack unpacks into the snapshotter (the layer chain as committed snapshots); a rerun skips', async () => {
    const plain = await warm('unpack-node');
    expect(plain.code, show(plain)).toBe(0);
    expect([...(await containerdUnpacked(C, 'unpack-node', 'native')).values()]).toEqual([false, false]);

    const r = await warm('unpack-node', ['--unpack', '--snapshotter', 'native']);
    expect(r.code, show(r)).toBe(0);
    // Everything was there: named and unpacked again, no byte sent.
    expect(r.report!.images.map((i) => [i.status, i.bytesSent])).toEqual([
      ['warmed', 0],
      ['warmed', 0],
    ]);
    expect(await containerdUnpacked(C, 'unpack-node', 'native')).toEqual(new Map([[multiName(), true], [singleName(), true]]));
    // The chain ids of amd64's and single's layers: base, base+amd64 layer, base+single layer.
    const sha = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex')}`;
    const baseId = single.layers[0]!.diffId;
    const expected = [baseId, sha(`${baseId} ${amd64.layers[1]!.diffId}`), sha(`${baseId} ${single.layers[1]!.diffId}`)].sort();
    const snapshots = (await C.ctr(['snapshots', '--snapshotter', 'native', 'ls'], { namespace: 'unpack-node' }))
      .split('\n')
      .slice(1)
      .map((l) => l.trim().split(/\s+/))
      .filter((c) => c[0]);
    expect(snapshots.map((c) => c[0]).sort()).toEqual(expected);
    expect(snapshots.every((c) => c[c.length - 1] === 'Committed')).toBe(true);

    const again = await warm('unpack-node', ['--unpack', '--snapshotter', 'native']);
    expect(again.code, show(again)).toBe(0);
    expect(again.report!.images.map((i) => i.status)).toEqual(['skipped', 'skipped']);
  });

  it('warms from the store with a lock, naming the images where mirror --to put them', async () => {
    const r = await warm('store-node', ['--lock', lock, '--names', 'registry.local:5000/mirror'], { source: 'store:' });
    expect(r.code, show(r)).toBe(0);
    expect(r.report!.bytesSent).toBe(bytes(needAll));
    await expectWarmed('store-node', needAll, [
      ['registry.local:5000/mirror/team/multi:t', multi.manifestDesc.digest],
      ['registry.local:5000/mirror/team/single:1', single.manifestDesc.digest],
    ]);
    const noLock = await warm('store-node', [], { source: 'store:' });
    expect(noLock.code, show(noLock)).toBe(2);
    expect(failureCode(noLock)).toBe('USAGE');
    expect(noLock.stderr).toContain('--lock');
  });

  it("with containerd's shared content, a blob another namespace holds is linked, not sent", async () => {
    const shared = await startContainerd({ contentSharing: 'shared' });
    try {
      const args = (ns: string) => ['warm', bundle, '--containerd', shared.socket, '--namespace', ns, '--json', '--only', 'single'];
      const first = await sb.run(args('moby'));
      expect(first.code, show(first)).toBe(0);
      expect((JSON.parse(first.stdout) as Report).bytesSent).toBe(bytes(needSingle));
      const second = await sb.run(args('k8s.io'));
      expect(second.code, show(second)).toBe(0);
      const report = JSON.parse(second.stdout) as Report;
      expect(report.images.map((i) => [i.status, i.blobsSent, i.bytesSent, i.blobsLinked])).toEqual([['warmed', 0, 0, needSingle.length]]);
      expect(await containerdImages(shared, 'k8s.io')).toEqual(new Map([[singleName(), single.manifestDesc.digest]]));
      expect(new Set((await containerdContent(shared, 'k8s.io')).keys())).toEqual(new Set(needSingle.map((b) => b.digest)));
    } finally {
      await shared.stop();
    }
  });

  it('killed after two blobs: the blobs in stay through garbage collection, and the rerun sends only the rest', async () => {
    await crashAt('crash-blobs', 'blobs:2');
    const kept = sendOrder.slice(0, 2);
    expect(await afterCrash('crash-blobs')).toEqual(new Set(kept.map((b) => b.digest)));
    expect((await containerdImages(C, 'crash-blobs')).size).toBe(0);
    await collectGarbage();
    expect(await afterCrash('crash-blobs')).toEqual(new Set(kept.map((b) => b.digest)));

    const r = await warm('crash-blobs', ['--jobs', '1']);
    expect(r.code, show(r)).toBe(0);
    expect(r.report!.blobsSent).toBe(needAll.size - 2);
    expect(r.report!.bytesSent).toBe(bytes(needAll) - bytes(kept));
    // Exactly the blobs the images need: both holders (the killed run's and this one's) are gone.
    await expectWarmed('crash-blobs', needAll);
  });

  it('killed in the middle of a blob: nothing of that blob is committed, and the rerun sends it whole', async () => {
    const [first, second] = sendOrder;
    await crashAt('crash-bytes', `bytes:${first!.size + 5000}`);
    expect(await afterCrash('crash-bytes')).toEqual(new Set([first!.digest]));
    expect(await C.ctr(['content', 'active'], { namespace: 'crash-bytes' })).toContain(`airlock-warm-${second!.digest.slice(7, 23)}`);
    await collectGarbage();
    expect(await afterCrash('crash-bytes')).toEqual(new Set([first!.digest]));
    const r = await warm('crash-bytes', ['--jobs', '1']);
    expect(r.code, show(r)).toBe(0);
    expect(r.report!.bytesSent).toBe(bytes(needAll) - first!.size);
    await expectWarmed('crash-bytes', needAll);
  });

  it('killed before naming the images: the rerun sends nothing and names them', async () => {
    await crashAt('crash-import', 'import');
    expect(await afterCrash('crash-import')).toEqual(new Set(needAll.keys()));
    expect((await containerdImages(C, 'crash-import')).size).toBe(0);
    await collectGarbage();
    expect(await afterCrash('crash-import')).toEqual(new Set(needAll.keys()));
    const r = await warm('crash-import');
    expect(r.code, show(r)).toBe(0);
    expect(r.report!.images.map((i) => [i.status, i.bytesSent])).toEqual([
      ['warmed', 0],
      ['warmed', 0],
    ]);
    await expectWarmed('crash-import', needAll);
  });

  it('sends a blob again that containerd collected while warm ran (present at the start, unreferenced)', async () => {
    // The node holds single's config, which nothing references (a root of its own keeps it
    // until warm has looked). Right after warm's first look, a ctr wrapper drops that root
    // and makes containerd collect garbage, once; then it runs the real ctr.
    const config = single.configDesc;
    await C.ctr(['content', 'ingest', '--expected-digest', config.digest, '--expected-size', String(config.size), 'orphan-config'], { namespace: 'gc-race', input: single.config });
    await C.ctr(['content', 'label', config.digest, 'containerd.io/gc.root=test'], { namespace: 'gc-race' });
    const tarFile = join(work, 'gc-tiny.tar');
    await writeFile(tarFile, await tinyImageTar('gc-race', 'gc/race:1'));
    const once = join(work, 'gc-ran');
    const wrapper = join(work, 'ctr-gc-after-first-look');
    const ctrAt = (ns: string) => `ctr -a '${C.socket}' -n ${ns}`;
    await writeFile(
      wrapper,
      [
        '#!/bin/sh',
        `if [ ! -e '${once}' ] && case " $* " in *" content ls "*) true ;; *) false ;; esac; then`,
        `  touch '${once}'`,
        '  ctr "$@"; rc=$?',
        `  ${ctrAt('gc-race')} content label ${config.digest} containerd.io/gc.root= >/dev/null`,
        `  ${ctrAt('gc-scratch')} images import --no-unpack - < '${tarFile}' >/dev/null`,
        `  ${ctrAt('gc-scratch')} images rm --sync gc/race:1 >/dev/null`,
        '  exit $rc',
        'fi',
        'exec ctr "$@"',
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
    const r = await warm('gc-race', ['--only', 'single', '--ctr', wrapper]);
    expect(r.code, show(r)).toBe(0);
    expect(existsSync(once)).toBe(true);
    // Everything but the config in the first round, the config (collected meanwhile) in the second.
    expect(r.report!.images.map((i) => [i.status, i.blobsSent, i.bytesSent])).toEqual([['warmed', needSingle.length, bytes(needSingle)]]);
    await expectWarmed('gc-race', union(needSingle), [[singleName(), single.manifestDesc.digest]]);
    expect((await C.ctr(['images', 'check'], { namespace: 'gc-race' })).match(/complete \(\d+\/\d+\)/g)).toHaveLength(1);
  });

  it('SIGTERM stops a warm within a second, its ctr killed', async () => {
    let pid = 0;
    let paused: () => void;
    const stopped = new Promise<void>((resolve) => (paused = resolve));
    const run = runCli(['warm', bundle, '--containerd', C.socket, '--namespace', 'sigterm', '--jobs', '1'], {
      env: { ...sb.env, AIRLOCK_WARM_TEST_PAUSE: `bytes:${sendOrder[0]!.size + 100}` },
      onSpawn: (child) => {
        pid = child.pid!;
        child.stderr!.on('data', (b: Buffer) => {
          if (b.toString('utf8').includes('airlock: test pause')) paused();
        });
      },
    });
    await stopped;
    const ctr = childrenOf(pid).filter((p) => commOf(p) === 'ctr');
    expect(ctr).toHaveLength(1);
    const t0 = Date.now();
    process.kill(pid, 'SIGTERM');
    const r = await run;
    expect(r.code, show(r)).toBe(143);
    expect(Date.now() - t0).toBeLessThan(1500);
    await waitGone(ctr[0]!, 2000);
  });

  it('fails fast, with CONTAINERD_FAILED, on a socket that is missing or that nothing answers on', async () => {
    const t0 = Date.now();
    const missing = await sb.run(['warm', bundle, '--containerd', join(work, 'no', 'such.sock')]);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(missing.code, show(missing)).toBe(1);
    expect(failureCode(missing)).toBe('CONTAINERD_FAILED');
    expect(missing.stderr).toContain('no containerd socket at');

    // A socket file left by a process that died: connections are refused.
    const stale = join(work, 'stale.sock');
    const holder = spawn(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(stale)}, () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => holder.stdout!.once('data', () => resolve()));
    holder.kill('SIGKILL');
    await new Promise((resolve) => holder.once('exit', resolve));
    expect(existsSync(stale)).toBe(true);
    const t1 = Date.now();
    const refused = await sb.run(['warm', bundle, '--containerd', stale]);
    expect(Date.now() - t1).toBeLessThan(3000);
    expect(refused.code, show(refused)).toBe(1);
    expect(failureCode(refused)).toBe('CONTAINERD_FAILED');
    expect(refused.stderr).toContain('nothing answers on');

    const notSocket = join(work, 'plain-file');
    await writeFile(notSocket, '');
    const plain = await sb.run(['warm', bundle, '--containerd', notSocket]);
    expect(plain.code, show(plain)).toBe(1);
    expect(failureCode(plain)).toBe('CONTAINERD_FAILED');
    expect(plain.stderr).toContain('is not a socket');
  });

  it('refuses an --only key the lock does not have (USAGE, exit 2)', async () => {
    const r = await warm('bad-only', ['--only', 'nope']);
    expect(r.code, show(r)).toBe(2);
    expect(failureCode(r)).toBe('USAGE');
    expect(r.stderr).toContain('"nope"');
    expect(r.stderr).toContain('multi, single');
  });

  it('commits nothing of a damaged bundle blob (DIGEST_MISMATCH, exit 1)', async () => {
    const layer = single.layers[1]!.desc;
    const data = await readFile(bundle);
    const name = Buffer.from(`blobs/sha256/${layer.digest.slice(7)}`);
    let at = data.indexOf(name);
    while (at >= 0 && at % 512 !== 0) at = data.indexOf(name, at + 1);
    expect(at).toBeGreaterThan(0);
    const damaged = Buffer.from(data);
    damaged[at + 512 + 100] = damaged[at + 512 + 100]! ^ 0xff;
    const file = join(work, 'damaged.tar');
    await writeFile(file, damaged);
    const r = await warm('damaged', ['--only', 'single', '--jobs', '1'], { source: file });
    expect(r.code, show(r)).toBe(1);
    expect(failureCode(r)).toBe('DIGEST_MISMATCH');
    expect((await containerdContent(C, 'damaged')).has(layer.digest)).toBe(false);
    expect((await containerdImages(C, 'damaged')).size).toBe(0);
  });
});

/** PIDs whose parent is `pid`. */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirProc()) {
    const stat = readStat(entry);
    if (stat && stat.ppid === pid) out.push(entry);
  }
  return out;
}

function readdirProc(): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number);
}

function readStat(pid: number): { comm: string; state: string; ppid: number } | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = s.lastIndexOf(')');
    const [state, ppid] = s.slice(close + 2).split(' ');
    return { comm: s.slice(s.indexOf('(') + 1, close), state: state!, ppid: Number(ppid) };
  } catch {
    return undefined;
  }
}

const commOf = (pid: number) => readStat(pid)?.comm;

/** Waits until `pid` is gone (or a zombie waiting to be reaped). */
async function waitGone(pid: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const s = readStat(pid);
    if (!s || s.state === 'Z' || s.comm !== 'ctr') return;
    if (Date.now() > deadline) throw new Error(`ctr (pid ${pid}) still runs ${ms} ms after airlock was stopped`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
