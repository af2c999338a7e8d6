/**
 * End to end: the local store (`store:`, an OCI layout under $AIRLOCK_STORE) as destination
 * and source of the `airlock` CLI, read back by skopeo and checked file by file; and the
 * exact command `npm run demo` runs on the shipped samples.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureBlobs, makeImage, makeMultiArch, writeOciLayout } from '../helpers/fixtures.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { dockerRef, pushFixtureWithSkopeo, sideFor, skopeoCopy, skopeoInspect, skopeoManifestBytes } from '../helpers/skopeo.js';
import { validateLayout, validateRegistryImage } from '../helpers/validate.js';
import { imageResults, makeCliSandbox, PROJECT_ROOT, show, type CliSandbox } from './cli.js';

const REF_NAME = 'org.opencontainers.image.ref.name';
const CONTAINERD_NAME = 'io.containerd.image.name';

interface IndexEntry {
  digest: string;
  mediaType: string;
  annotations?: Record<string, string>;
}

async function indexEntries(dir: string): Promise<IndexEntry[]> {
  return (JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as { manifests: IndexEntry[] }).manifests;
}

const multi = makeMultiArch({ seed: 'e2e-store-multi', baseLayers: [{ seed: 'e2e-store/base', size: 2500 }] });
const single = makeImage({ seed: 'e2e-store-single', format: 'docker', layers: [{ seed: 'e2e-store/base', size: 2500 }, 1800] });

let A: TestRegistry;
let B: TestRegistry;
let work: string;

beforeAll(async () => {
  [A, B, work] = await Promise.all([startRegistry(), startRegistry(), mkdtemp(join(tmpdir(), 'airlock-e2e-store-'))]);
  expect(await pushFixtureWithSkopeo(multi, A, 'store/multi:t')).toBe(multi.manifestDesc.digest);
  expect(await pushFixtureWithSkopeo(single, A, 'store/single:1')).toBe(single.manifestDesc.digest);
});

afterAll(async () => {
  await Promise.all([A?.stop(), B?.stop(), work && rm(work, { recursive: true, force: true })]);
});

describe('registry -> store -> registry', () => {
  let sb: CliSandbox;
  beforeAll(async () => {
    sb = await makeCliSandbox();
  });
  afterAll(async () => {
    await sb?.remove();
  });

  const fullRef = (repoRef: string) => `${A.host}/${repoRef}`;

  it('stores images under their full reference, readable by skopeo as an OCI layout', async () => {
    for (const [repoRef, fixture] of [['store/multi:t', multi], ['store/single:1', single]] as const) {
      const r = await sb.run(['copy', '--json', `docker://${fullRef(repoRef)}`, `store:${fullRef(repoRef)}`]);
      expect(r.code, show(r)).toBe(0);
      expect(imageResults(r.stdout)[0]).toMatchObject({ status: 'copied', digest: fixture.manifestDesc.digest });
    }
    const v = await validateLayout(sb.store, undefined, { checkDiffIds: true });
    // Exactly one file per blob: the shared base layer once, no temp files left behind.
    expect(v.roots.map((r) => r.name).sort()).toEqual([fullRef('store/multi:t'), fullRef('store/single:1')].sort());
    const expected = new Set([...fixtureBlobs(multi), ...fixtureBlobs(single)].map((b) => b.desc.digest.slice(7)));
    expect(new Set(await readdir(join(sb.store, 'blobs', 'sha256')))).toEqual(expected);
    expect(new Set([...v.manifests, ...v.blobs].map((b) => b.digest.slice(7)))).toEqual(expected);

    for (const e of await indexEntries(sb.store)) {
      expect(e.annotations?.[REF_NAME]).toBeDefined();
      expect(e.annotations?.[CONTAINERD_NAME]).toBe(e.annotations?.[REF_NAME]);
    }
    const entry = (await indexEntries(sb.store)).find((e) => e.annotations?.[REF_NAME] === fullRef('store/multi:t'))!;
    expect(entry).toMatchObject({ digest: multi.manifestDesc.digest, mediaType: multi.manifestDesc.mediaType });

    // skopeo reads the store by full reference: same manifest bytes, and a full copy out.
    const raw = await skopeoManifestBytes(`oci:${sb.store}:${fullRef('store/multi:t')}`);
    expect(raw.equals(multi.manifest)).toBe(true);
    const inspected = (await skopeoInspect(`oci:${sb.store}:${fullRef('store/multi:t')}`)) as { Digest: string; Layers: unknown[] };
    expect(inspected.Digest).toBe(multi.manifestDesc.digest);
    expect(inspected.Layers).toHaveLength(2);
    // (skopeo's oci: transport only looks at index entries with OCI media types, so the Docker
    // v2s2 image, stored as its exact bytes, is checked by validateLayout above, not by skopeo.)
    const out = join(work, 'skopeo-out');
    await skopeoCopy(`oci:${sb.store}:${fullRef('store/multi:t')}`, `oci:${out}:t`, { all: true });
    expect((await validateLayout(out, 't', { checkDiffIds: true })).digest).toBe(multi.manifestDesc.digest);
  });

  it('copies from the store back into a registry, bytes intact', async () => {
    const r = await sb.run(['copy', '--json', `store:${fullRef('store/multi:t')}`, `docker://${B.host}/from-store/multi:t`]);
    expect(r.code, show(r)).toBe(0);
    expect(imageResults(r.stdout)[0]).toMatchObject({ status: 'copied', digest: multi.manifestDesc.digest });
    await validateRegistryImage({ url: B.url, repository: 'from-store/multi', reference: 't', expectDigest: multi.manifestDesc.digest, checkDiffIds: true });
    const raw = await skopeoManifestBytes(dockerRef(B, 'from-store/multi:t'), sideFor(B));
    expect(raw.equals(multi.manifest)).toBe(true);
  });

  it('mirrors a list from the store (--from store:) into a registry', async () => {
    const list = join(sb.dir, 'from-store.txt');
    await writeFile(list, `# from the store\n${fullRef('store/multi:t')}\n${fullRef('store/single:1')}\n`);
    const r = await sb.run(['mirror', list, '--from', 'store:', '--to', `${B.host}/mirror`]);
    expect(r.code, show(r)).toBe(0);
    await validateRegistryImage({ url: B.url, repository: 'mirror/store/multi', reference: 't', expectDigest: multi.manifestDesc.digest, checkDiffIds: true });
    await validateRegistryImage({ url: B.url, repository: 'mirror/store/single', reference: '1', expectDigest: single.manifestDesc.digest, checkDiffIds: true });
  });

  it('pins an image set from the store with no network (resolve --from store:), then mirrors the lock from it', async () => {
    // Stored under a registry name that does not resolve: any network use would fail.
    const offline = 'offline.invalid:5000';
    for (const [repoRef, name] of [['store/multi:t', 'team/multi:t'], ['store/single:1', 'team/single:1']] as const) {
      const c = await sb.run(['copy', `docker://${fullRef(repoRef)}`, `store:${offline}/${name}`]);
      expect(c.code, show(c)).toBe(0);
    }
    const set = join(sb.dir, 'offline.yaml');
    await writeFile(set, `images:\n  multi: ${offline}/team/multi:t\n  single: ${offline}/team/single:1\n`);
    const lock = join(sb.dir, 'offline.lock.yaml');
    const r = await sb.run(['resolve', set, '--from', 'store:', '-o', lock, '--retries', '0']);
    expect(r.code, show(r)).toBe(0);
    const text = await readFile(lock, 'utf8');
    expect(text).toContain(`digest: ${multi.manifestDesc.digest}`);
    expect(text).toContain(`digest: ${single.manifestDesc.digest}`);
    const missing = join(sb.dir, 'missing.yaml');
    await writeFile(missing, `images:\n  gone: ${offline}/team/gone:1\n`);
    const m = await sb.run(['resolve', missing, '--from', 'store:', '--retries', '0']);
    expect(m.code).toBe(1);
    expect(m.stderr).toContain('[IMAGE_NOT_FOUND]');

    const mirrored = await sb.run(['mirror', lock, '--from', 'store:', '--to', `${B.host}/offline`]);
    expect(mirrored.code, show(mirrored)).toBe(0);
    await validateRegistryImage({ url: B.url, repository: 'offline/team/multi', reference: 't', expectDigest: multi.manifestDesc.digest });
  });

  it('finds the store up to date on a second copy', async () => {
    const r = await sb.run(['copy', '--json', `docker://${fullRef('store/multi:t')}`, `store:${fullRef('store/multi:t')}`]);
    expect(r.code, show(r)).toBe(0);
    expect(imageResults(r.stdout)[0]).toMatchObject({ status: 'up-to-date', bytesSent: 0 });
  });
});

describe('airlock mirror LIST --from oci:DIR --to store:', () => {
  it('fills the store from a layout whose names are full references', async () => {
    const sb = await makeCliSandbox();
    try {
      const layout = join(sb.dir, 'bundle');
      const names = ['bundle.example/team/multi:1', 'bundle.example/team/single:2'];
      await writeOciLayout(layout, [
        { name: names[0]!, image: multi },
        { name: names[1]!, image: single },
      ]);
      const list = join(sb.dir, 'list.txt');
      await writeFile(list, `# the bundle\n\n${names.join('\n')}\n`);
      const r = await sb.run(['mirror', list, '--from', `oci:${layout}`, '--to', 'store:']);
      expect(r.code, show(r)).toBe(0);
      const v = await validateLayout(sb.store, undefined, { checkDiffIds: true });
      expect(v.roots.map((x) => [x.name, x.digest]).sort()).toEqual(
        [
          [names[0], multi.manifestDesc.digest],
          [names[1], single.manifestDesc.digest],
        ].sort(),
      );
      const raw = await skopeoManifestBytes(`oci:${sb.store}:${names[0]}`);
      expect(raw.equals(multi.manifest)).toBe(true);
    } finally {
      await sb.remove();
    }
  });
});

describe('airlock pull, store ls, store verify, store prune', () => {
  let sb: CliSandbox;
  let lock: string;
  const fullRef = (repoRef: string) => `${A.host}/${repoRef}`;
  beforeAll(async () => {
    sb = await makeCliSandbox();
    const set = join(sb.dir, 'images.yaml');
    await writeFile(set, `images:\n  multi: ${fullRef('store/multi:t')}\n  single: ${fullRef('store/single:1')}\n`);
    lock = join(sb.dir, 'images.lock.yaml');
    const r = await sb.run(['resolve', set, '-o', lock]);
    expect(r.code, show(r)).toBe(0);
  });
  afterAll(async () => {
    await sb?.remove();
  });

  const storeJson = async (args: string[]) => {
    const r = await sb.run(['store', ...args, '--json']);
    return { r, out: r.stdout ? (JSON.parse(r.stdout) as Record<string, any>) : undefined };
  };
  const sent = (stdout: string) => imageResults(stdout).reduce((n, i) => n + Number(i.bytesSent ?? 0), 0);

  it('pulls a lock into the store once; a second pull downloads nothing', async () => {
    const first = await sb.run(['pull', lock, '--json']);
    expect(first.code, show(first)).toBe(0);
    expect(imageResults(first.stdout).map((i) => i.status)).toEqual(['copied', 'copied']);
    const again = await sb.run(['pull', lock, '--json']);
    expect(again.code, show(again)).toBe(0);
    expect(imageResults(again.stdout).map((i) => i.status)).toEqual(['up-to-date', 'up-to-date']);
    expect(sent(again.stdout)).toBe(0);

    const { r, out } = await storeJson(['ls']);
    expect(r.code, show(r)).toBe(0);
    const base = single.layers[0]!.desc.size;
    expect(out!.images.map((i: { name: string }) => i.name)).toEqual([fullRef('store/multi:t'), fullRef('store/single:1')]);
    expect(out!.images[0]).toMatchObject({ digest: multi.manifestDesc.digest, platforms: ['linux/amd64', 'linux/arm64/v8'], sharedBytes: base, missing: [] });
    expect(out!.images[1]).toMatchObject({ digest: single.manifestDesc.digest, sharedBytes: base });
    expect(out!.unreferenced).toEqual({ count: 0, bytes: 0 });
  });

  it('mirrors through the store (--via-store): what the store holds is not fetched again, the destination gets it all', async () => {
    const r = await sb.run(['mirror', lock, '--via-store', '--to', `${B.host}/via`, '--json']);
    expect(r.code, show(r)).toBe(0);
    // First into the store (already there from the pull: nothing fetched), then from it.
    expect(imageResults(r.stdout).map((i) => i.status)).toEqual(['up-to-date', 'up-to-date', 'copied', 'copied']);
    await validateRegistryImage({ url: B.url, repository: 'via/store/multi', reference: 't', expectDigest: multi.manifestDesc.digest, checkDiffIds: true });
    await validateRegistryImage({ url: B.url, repository: 'via/store/single', reference: '1', expectDigest: single.manifestDesc.digest, checkDiffIds: true });
    const both = await sb.run(['mirror', lock, '--via-store', '--from', 'store:', '--to', `${B.host}/via`]);
    expect(both.code, show(both)).toBe(2);
  });

  it('finds a damaged blob (STORE_DAMAGED, exit 1), removes it with --repair, and the next pull fetches only it', async () => {
    const layer = single.layers[0]!.desc;
    const file = join(sb.store, 'blobs', 'sha256', layer.digest.slice(7));
    const bytes = await readFile(file);
    bytes[10] = bytes[10]! ^ 0x01;
    await writeFile(file, bytes);
    const damaged = await sb.run(['store', 'verify']);
    expect(damaged.code, show(damaged)).toBe(1);
    expect(damaged.stderr).toContain('[STORE_DAMAGED]');
    expect(damaged.stdout).toContain(`damaged  ${layer.digest}`);
    expect(damaged.stdout).toContain(`missing  ${layer.digest}  needed by ${fullRef('store/multi:t')}, ${fullRef('store/single:1')}`);
    const repaired = await sb.run(['store', 'verify', '--repair']);
    expect(repaired.code, show(repaired)).toBe(1);
    expect(repaired.stdout).toContain('(removed)');
    expect(repaired.stdout).toContain(`unnamed  ${fullRef('store/multi:t')}  (pull it again)`);
    const pulled = await sb.run(['pull', lock, '--json']);
    expect(pulled.code, show(pulled)).toBe(0);
    // The one shared layer, once, for both images.
    expect(sent(pulled.stdout)).toBe(layer.size);
    const clean = await sb.run(['store', 'verify']);
    expect(clean.code, show(clean)).toBe(0);
    await validateLayout(sb.store, fullRef('store/single:1'), { checkDiffIds: true });
  });

  it('prunes what no kept lock names: the image, then its own blobs, never the shared ones', async () => {
    const onlySingle = join(sb.dir, 'single.lock.yaml');
    const text = await readFile(lock, 'utf8');
    await writeFile(onlySingle, text.replace(/\n {2}multi:\n(?: {4}.*\n)+/, '\n'));
    expect(await readFile(onlySingle, 'utf8')).not.toContain('multi');
    const dry = await storeJson(['prune', '--keep', onlySingle, '--dry-run', '--grace', '0']);
    expect(dry.r.code, show(dry.r)).toBe(0);
    expect(dry.out!.images).toEqual([fullRef('store/multi:t')]);
    const singleBlobs = new Set(fixtureBlobs(single).map((b) => b.desc.digest));
    const multiOnly = fixtureBlobs(multi).filter((b) => !singleBlobs.has(b.desc.digest));
    expect(dry.out!.blobs.map((b: { digest: string }) => b.digest).sort()).toEqual(multiOnly.map((b) => b.desc.digest).sort());
    // Without --grace 0 the fresh blobs stay for now.
    const recent = await storeJson(['prune', '--keep', onlySingle]);
    expect(recent.out!).toMatchObject({ images: [fullRef('store/multi:t')], blobs: [], keptRecent: multiOnly.length });
    const done = await storeJson(['prune', '--keep', onlySingle, '--grace', '0']);
    expect(done.out!.blobs).toHaveLength(multiOnly.length);
    expect(new Set(await readdir(join(sb.store, 'blobs', 'sha256')))).toEqual(new Set([...singleBlobs].map((d) => d.slice(7))));
    const v = await sb.run(['store', 'verify']);
    expect(v.code, show(v)).toBe(0);
  });

  it('refuses a missing store and bad options with USAGE', async () => {
    const runs = await Promise.all([
      sb.run(['store', 'ls', '--store', join(sb.dir, 'no-store')]),
      sb.run(['store', 'prune', '--keep', lock, '--grace', 'soon']),
      sb.run(['store', 'prune']),
    ]);
    for (const r of runs) expect(r.code, show(r)).toBe(2);
  });
});

describe('npm run demo', () => {
  it('walks the samples through the store, a bundle and airlock serve, pulling an image by its locked digest; a second run finds the store up to date', async () => {
    const sb = await makeCliSandbox();
    try {
      // Exactly the script package.json's "demo" runs (after its build), from the project root.
      const pkg = JSON.parse(await readFile(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
      expect(pkg.scripts.demo).toBe('npm run build && node scripts/demo.mjs');
      const runDemo = () =>
        new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
          execFile(process.execPath, ['scripts/demo.mjs'], { cwd: PROJECT_ROOT, env: sb.env, timeout: 60_000 }, (err, stdout, stderr) =>
            resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
          );
        });
      const first = await runDemo();
      expect(first.code, first.stdout + first.stderr).toBe(0);

      const listed = (await readFile(join(PROJECT_ROOT, 'samples/images.txt'), 'utf8'))
        .split('\n')
        .map((l) => l.replace(/#.*/, '').trim())
        .filter(Boolean);
      expect(listed.length).toBeGreaterThan(0);
      const samples = await indexEntries(join(PROJECT_ROOT, 'samples/layout'));
      const sampleDigest = (name: string) => samples.find((e) => e.annotations?.[REF_NAME] === name)?.digest;
      // The store holds every sample, digest for digest, named for skopeo and containerd.
      const v = await validateLayout(sb.store, undefined, { checkDiffIds: true });
      expect(v.roots.map((x) => x.name).sort()).toEqual([...listed].sort());
      for (const root of v.roots) expect(root.digest).toBe(sampleDigest(root.name!));
      for (const e of await indexEntries(sb.store)) expect(e.annotations?.[CONTAINERD_NAME]).toBe(e.annotations?.[REF_NAME]);
      const raw = await skopeoManifestBytes(`oci:${sb.store}:${listed[0]}`);
      expect(raw.toString('utf8')).toBe(await readFile(join(PROJECT_ROOT, 'samples/layout/blobs/sha256', sampleDigest(listed[0]!)!.slice(7)), 'utf8'));
      // The multi-arch sample was pulled from the served bundle by its locked digest.
      const multi = samples.find((e) => e.mediaType === 'application/vnd.oci.image.index.v1+json')!;
      expect(first.stdout + first.stderr).toMatch(new RegExp(`copied\\s+docker://127\\.0\\.0\\.1:\\d+/[^ ]+@${multi.digest} `));
      expect(first.stdout).toContain('What happened:');

      const second = await runDemo();
      expect(second.code, second.stdout + second.stderr).toBe(0);
      expect(second.stdout).toContain(`${listed.length} images: 0 copied, ${listed.length} up to date`);
    } finally {
      await sb.remove();
    }
  });
});
