/**
 * Bundles end to end with a real registry and skopeo: a lock pulled once into the store,
 * written as a deterministic bundle (each blob once, lock and checksums inside), read as it is
 * by skopeo, verified, and imported into another registry with every digest re-checked; a
 * rerun sends nothing. Damaged bundles are reported by kind and import nothing unverified.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureBlobs, makeImage, makeMultiArch } from '../helpers/fixtures.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { dockerRef, pushFixtureWithSkopeo, sideFor, skopeoCopy } from '../helpers/skopeo.js';
import { validateRegistryImage } from '../helpers/validate.js';
import { imageResults, makeCliSandbox, show, type CliSandbox } from './cli.js';
import { failureCode } from './leftovers.js';

const multi = makeMultiArch({ seed: 'e2e-bundle-multi', baseLayers: [{ seed: 'e2e-bundle/base', size: 40_000 }], platformLayers: [20_000] });
const single = makeImage({ seed: 'e2e-bundle-single', format: 'docker', layers: [{ seed: 'e2e-bundle/base', size: 40_000 }, 30_000] });
const uniqueBlobs = new Map([...fixtureBlobs(multi), ...fixtureBlobs(single)].map((b) => [b.desc.digest, b.desc.size]));
const uniqueBytes = [...uniqueBlobs.values()].reduce((a, b) => a + b, 0);

let A: TestRegistry;
let B: TestRegistry;
let sb: CliSandbox;
let work: string;
let lock: string;
let bundle: string;
const ref = (repoRef: string) => `${A.host}/${repoRef}`;

beforeAll(async () => {
  [A, B, sb, work] = await Promise.all([startRegistry(), startRegistry(), makeCliSandbox(), mkdtemp(join(tmpdir(), 'airlock-e2e-bundle-'))]);
  await pushFixtureWithSkopeo(multi, A, 'team/multi:t');
  await pushFixtureWithSkopeo(single, A, 'team/single:1');
  const set = join(sb.dir, 'images.yaml');
  await writeFile(set, `images:\n  multi: ${ref('team/multi:t')}\n  single: ${ref('team/single:1')}\n`);
  lock = join(sb.dir, 'images.lock.yaml');
  const r = await sb.run(['resolve', set, '-o', lock]);
  expect(r.code, show(r)).toBe(0);
  bundle = join(work, 'images.tar');
});

afterAll(async () => {
  await Promise.all([A?.stop(), B?.stop(), sb?.remove(), work && rm(work, { recursive: true, force: true })]);
});

const entries = (file: string) => execFileSync('tar', ['-tf', file], { encoding: 'utf8' }).trim().split('\n');

describe('airlock bundle', () => {
  it('--dry-run shows what would be pulled and writes no bundle', async () => {
    const dry = join(work, 'dry.tar');
    const r = await sb.run(['bundle', 'create', lock, '-o', dry, '--dry-run']);
    expect(r.code, show(r)).toBe(0);
    expect(r.stderr).toContain('not written');
    await expect(stat(dry)).rejects.toThrow();
  });

  it('creates a bundle from a lock: each blob once, lock and checksums inside, the same bytes every time', async () => {
    const r = await sb.run(['bundle', 'create', lock, '-o', bundle]);
    expect(r.code, show(r)).toBe(0);
    const names = entries(bundle);
    expect(names.slice(0, 4)).toEqual(['oci-layout', 'index.json', 'airlock/images.lock.yaml', 'airlock/checksums.sha256']);
    const blobs = names.filter((n) => n.startsWith('blobs/sha256/'));
    expect(new Set(blobs)).toEqual(new Set([...uniqueBlobs.keys()].map((d) => `blobs/sha256/${d.slice(7)}`)));
    expect(blobs).toEqual([...blobs].sort());
    // The size is the blobs plus a few KiB of headers, index, lock and checksums.
    const size = (await stat(bundle)).size;
    expect(size).toBeGreaterThan(uniqueBytes);
    expect(size - uniqueBytes).toBeLessThan(30 * 1024);
    // From the store alone, again: byte for byte the same bundle.
    const again = join(work, 'again.tar');
    const r2 = await sb.run(['bundle', 'create', lock, '-o', again, '--from', 'store:']);
    expect(r2.code, show(r2)).toBe(0);
    expect((await readFile(again)).equals(await readFile(bundle))).toBe(true);
    // The checksum list checks out with the standard tool once extracted.
    const x = join(work, 'x');
    execFileSync('mkdir', ['-p', x]);
    execFileSync('tar', ['-xf', bundle, '-C', x]);
    expect(execFileSync('sha256sum', ['-c', 'airlock/checksums.sha256'], { cwd: x, encoding: 'utf8' })).not.toContain('FAILED');
  });

  it('is read as it is by skopeo (oci-archive:) and verified and listed by airlock', async () => {
    await skopeoCopy(`oci-archive:${bundle}:${ref('team/multi:t')}`, dockerRef(B, 'by-skopeo/multi:t'), { all: true, dest: sideFor(B) });
    await validateRegistryImage({ url: B.url, repository: 'by-skopeo/multi', reference: 't', expectDigest: multi.manifestDesc.digest, checkDiffIds: true });
    const v = await sb.run(['bundle', 'verify', bundle]);
    expect(v.code, show(v)).toBe(0);
    const ls = await sb.run(['bundle', 'ls', bundle, '--json']);
    expect(ls.code, show(ls)).toBe(0);
    const listing = JSON.parse(ls.stdout) as { images: { name: string; digest: string; platforms: string[] }[]; lock: { images: number } };
    expect(listing.images.map((i) => [i.name, i.digest])).toEqual([
      [ref('team/multi:t'), multi.manifestDesc.digest],
      [ref('team/single:1'), single.manifestDesc.digest],
    ]);
    expect(listing.images[0]!.platforms).toEqual(['linux/amd64', 'linux/arm64/v8']);
    expect(listing.lock).toEqual({ images: 2 });
  });

  it('imports into a registry with every digest checked; a rerun sends nothing', async () => {
    const r = await sb.run(['bundle', 'import', bundle, '--to', `${B.host}/imported`, '--json']);
    expect(r.code, show(r)).toBe(0);
    expect(imageResults(r.stdout).map((i) => i.status)).toEqual(['copied', 'copied']);
    await validateRegistryImage({ url: B.url, repository: 'imported/team/multi', reference: 't', expectDigest: multi.manifestDesc.digest, checkDiffIds: true });
    await validateRegistryImage({ url: B.url, repository: 'imported/team/single', reference: '1', expectDigest: single.manifestDesc.digest, checkDiffIds: true });
    const again = await sb.run(['bundle', 'import', bundle, '--to', `${B.host}/imported`, '--json']);
    expect(again.code, show(again)).toBe(0);
    expect(imageResults(again.stdout).map((i) => i.status)).toEqual(['up-to-date', 'up-to-date']);
    expect(imageResults(again.stdout).reduce((n, i) => n + Number(i.bytesSent ?? 0), 0)).toBe(0);
  });

  it('reports a flipped byte (BUNDLE_DAMAGED, exit 1) and imports nothing unverified; a cut bundle is ARCHIVE_INVALID (exit 2)', async () => {
    const layer = single.layers[1]!.desc;
    const bytes = await readFile(bundle);
    // The entry's header is the 512-byte block that starts with its name (the checksum list names it too, elsewhere).
    const name = Buffer.from(`blobs/sha256/${layer.digest.slice(7)}`);
    let at = bytes.indexOf(name);
    while (at >= 0 && at % 512 !== 0) at = bytes.indexOf(name, at + 1);
    expect(at).toBeGreaterThan(0);
    const content = at + 512;
    const damaged = Buffer.from(bytes);
    damaged[content + 100] = damaged[content + 100]! ^ 0xff;
    const file = join(work, 'damaged.tar');
    await writeFile(file, damaged);
    const v = await sb.run(['bundle', 'verify', file]);
    expect(v.code, show(v)).toBe(1);
    expect(failureCode(v)).toBe('BUNDLE_DAMAGED');
    expect(v.stdout).toContain(`damaged   ${layer.digest}`);
    expect(v.stdout).toContain(`checksum  blobs/sha256/${layer.digest.slice(7)}`);
    const imp = await sb.run(['bundle', 'import', file, '--to', `${B.host}/damaged`, '--only', 'single']);
    expect(imp.code, show(imp)).toBe(1);
    expect(imp.stderr + imp.stdout).toContain('DIGEST_MISMATCH');
    expect((await fetch(`${B.url}/v2/damaged/team/single/manifests/1`, { method: 'HEAD', headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' } })).status).toBe(404);

    const cut = join(work, 'cut.tar');
    await writeFile(cut, bytes.subarray(0, bytes.length - 5000));
    for (const args of [['verify', cut], ['import', cut, '--to', `${B.host}/cut`], ['ls', cut]]) {
      const r = await sb.run(['bundle', ...args]);
      expect(r.code, show(r)).toBe(2);
      expect(failureCode(r)).toBe('ARCHIVE_INVALID');
    }
  });

  it('finds a bundle whose index names a blob it does not hold', async () => {
    const file = join(work, 'short.tar');
    await writeFile(file, await readFile(bundle));
    execFileSync('tar', ['--delete', '-f', file, `blobs/sha256/${single.layers[1]!.desc.digest.slice(7)}`]);
    const v = await sb.run(['bundle', 'verify', file]);
    expect(v.code, show(v)).toBe(1);
    expect(v.stdout).toContain(`missing   ${single.layers[1]!.desc.digest}  needed by ${ref('team/single:1')}`);
  });

  it('refuses an image set (resolve it first); imports what skopeo and docker save write under the names they carry', async () => {
    const set = join(sb.dir, 'images.yaml');
    const r = await sb.run(['bundle', 'create', set, '-o', join(work, 'set.tar'), '--from', 'store:']);
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr).toContain('resolve it first');
    // skopeo's oci-archive, named repo:tag: imported under that name, digests kept.
    const skopeoArchive = join(work, 'skopeo.tar');
    await skopeoCopy(dockerRef(A, 'team/multi:t'), `oci-archive:${skopeoArchive}:team/multi:t`, { src: sideFor(A), all: true });
    const imp = await sb.run(['bundle', 'import', skopeoArchive, '--to', `${B.host}/nolock`]);
    expect(imp.code, show(imp)).toBe(0);
    expect(imp.stderr).toContain('carries no airlock lock');
    // skopeo writes OCI manifests into an oci-archive: the index's digest is skopeo's, its platforms intact.
    await validateRegistryImage({ url: B.url, repository: 'nolock/team/multi', reference: 't', checkDiffIds: true });
    // skopeo's docker-archive (docker save's format): the image by its RepoTag.
    const dockerArchive = join(work, 'docker.tar');
    await skopeoCopy(dockerRef(A, 'team/single:1'), `docker-archive:${dockerArchive}:team/single:1`, { src: sideFor(A) });
    const dimp = await sb.run(['bundle', 'import', dockerArchive, '--to', `${B.host}/fromdocker`]);
    expect(dimp.code, show(dimp)).toBe(0);
    const got = await validateRegistryImage({ url: B.url, repository: 'fromdocker/team/single', reference: '1', checkDiffIds: true });
    expect(got.blobs.some((d) => d.digest === single.configDesc.digest)).toBe(true);
    // A name with no repository has no place under the destination.
    const bare = join(work, 'bare.tar');
    await skopeoCopy(dockerRef(A, 'team/single:1'), `oci-archive:${bare}:x`, { src: sideFor(A) });
    const b = await sb.run(['bundle', 'import', bare, '--to', `${B.host}/bare`]);
    expect(b.code, show(b)).toBe(2);
    expect(b.stderr).toContain('airlock copy oci-archive:');
  });

  describe('split into volumes', () => {
    const VOLUME = 32 * 1024;
    let dir: string;
    let manifestFile: string;
    let manifest: { volumes: { file: string; size: number; sha256: string }[]; entries: [string, number, number][] };
    /** The index of the volume holding the last byte of a blob (not the first volume, which holds the index too). */
    const volumeOf = (digest: string) => {
      const [, offset, size] = manifest.entries.find(([n]) => n === `blobs/sha256/${digest.slice(7)}`)!;
      let at = 0;
      const i = manifest.volumes.findIndex((v) => (at += v.size) > offset + size - 1);
      expect(i).toBeGreaterThan(0);
      return i;
    };

    beforeAll(async () => {
      dir = await mkdtemp(join(work, 'split-'));
      manifestFile = join(dir, 'images.bundle.json');
      const r = await sb.run(['bundle', 'create', lock, '-o', join(dir, 'images.tar'), '--from', 'store:', '--split', '32K']);
      expect(r.code, show(r)).toBe(0);
      manifest = JSON.parse(await readFile(manifestFile, 'utf8')) as typeof manifest;
    });

    it('writes numbered volumes that are the unsplit bundle cut, listed with sizes and sha256', async () => {
      expect(manifest.volumes.length).toBeGreaterThan(3);
      const parts = await Promise.all(manifest.volumes.map((v) => readFile(join(dir, v.file))));
      expect(manifest.volumes.map((v) => v.file)).toEqual(manifest.volumes.map((_, i) => `images.tar.${String(i).padStart(3, '0')}`));
      expect(parts.slice(0, -1).every((p) => p.length === VOLUME)).toBe(true);
      expect(Buffer.concat(parts).equals(await readFile(bundle))).toBe(true);
      for (const v of manifest.volumes) expect(execFileSync('sha256sum', [join(dir, v.file)], { encoding: 'utf8' }).slice(0, 64)).toBe(v.sha256);
      const v = await sb.run(['bundle', 'verify', manifestFile]);
      expect(v.code, show(v)).toBe(0);
      const ls = await sb.run(['bundle', 'ls', manifestFile, '--json']);
      expect(ls.code, show(ls)).toBe(0);
      expect((JSON.parse(ls.stdout) as { images: unknown[] }).images).toHaveLength(2);
    });

    it('names a missing volume, imports what the others hold, and continues where it stopped once the volume is back', async () => {
      const i = volumeOf(single.layers[1]!.desc.digest);
      const held = join(work, 'held-volume');
      const volume = join(dir, manifest.volumes[i]!.file);
      await writeFile(held, await readFile(volume));
      await rm(volume);
      const v = await sb.run(['bundle', 'verify', manifestFile]);
      expect(v.code, show(v)).toBe(1);
      expect(failureCode(v)).toBe('VOLUME_MISSING');
      expect(v.stdout).toContain(`volume    ${manifest.volumes[i]!.file}: missing; needed by`);
      expect(v.stdout).toContain(ref('team/single:1'));
      const first = await sb.run(['bundle', 'import', manifestFile, '--to', `${B.host}/split`, '--json']);
      expect([1, 3], show(first)).toContain(first.code);
      expect(first.stderr).toContain(`volume ${manifest.volumes[i]!.file} is missing`);
      const firstResults = imageResults(first.stdout);
      expect(firstResults.find((r) => r.destination?.includes('single'))?.status).toBe('failed');
      // Nothing of the waiting image is named on the target.
      expect((await fetch(`${B.url}/v2/split/team/single/manifests/1`, { method: 'HEAD', headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' } })).status).toBe(404);
      await writeFile(volume, await readFile(held));
      const second = await sb.run(['bundle', 'import', manifestFile, '--to', `${B.host}/split`, '--json']);
      expect(second.code, show(second)).toBe(0);
      await validateRegistryImage({ url: B.url, repository: 'split/team/multi', reference: 't', expectDigest: multi.manifestDesc.digest, checkDiffIds: true });
      await validateRegistryImage({ url: B.url, repository: 'split/team/single', reference: '1', expectDigest: single.manifestDesc.digest, checkDiffIds: true });
      // The rerun sent what the first could not, not everything again.
      const sent = (rs: ReturnType<typeof imageResults>) => rs.reduce((n, r) => n + Number(r.bytesSent ?? 0), 0);
      expect(sent(imageResults(second.stdout))).toBeGreaterThan(0);
      expect(sent(firstResults) + sent(imageResults(second.stdout))).toBeLessThanOrEqual(uniqueBytes);
    });

    it('finds a volume of another bundle (BUNDLE_DAMAGED naming it) and imports nothing unverified from it', async () => {
      const other = await mkdtemp(join(work, 'other-'));
      const r = await sb.run(['bundle', 'create', lock, '-o', join(other, 'images.tar'), '--from', 'store:', '--split', '32K', '--only', 'single']);
      expect(r.code, show(r)).toBe(0);
      const mixed = await mkdtemp(join(work, 'mixed-'));
      for (const v of manifest.volumes) await writeFile(join(mixed, v.file), await readFile(join(dir, v.file)));
      await writeFile(join(mixed, 'images.bundle.json'), await readFile(manifestFile));
      const i = volumeOf(single.layers[1]!.desc.digest);
      expect(i).toBeLessThan(manifest.volumes.length - 1);
      await writeFile(join(mixed, manifest.volumes[i]!.file), await readFile(join(other, manifest.volumes[1]!.file)));
      const v = await sb.run(['bundle', 'verify', join(mixed, 'images.bundle.json')]);
      expect(v.code, show(v)).toBe(1);
      expect(failureCode(v)).toBe('BUNDLE_DAMAGED');
      expect(v.stdout).toContain(`volume    ${manifest.volumes[i]!.file}: sha256`);
      expect(v.stdout).toContain('another bundle');
      const imp = await sb.run(['bundle', 'import', join(mixed, 'images.bundle.json'), '--to', `${B.host}/mixed`, '--only', 'single']);
      expect(imp.code, show(imp)).not.toBe(0);
      expect((await fetch(`${B.url}/v2/mixed/team/single/manifests/1`, { method: 'HEAD', headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' } })).status).toBe(404);
      // A volume list naming a file outside its directory is refused before anything is read.
      const evil = join(mixed, 'evil.bundle.json');
      await writeFile(evil, (await readFile(manifestFile, 'utf8')).replace('"images.tar.000"', '"../images.tar.000"'));
      const e = await sb.run(['bundle', 'verify', evil]);
      expect(e.code, show(e)).toBe(2);
      expect(failureCode(e)).toBe('ARCHIVE_INVALID');
    });
  });

  describe('compressed with zstd', () => {
    it('writes a zstd bundle the zstd tool accepts, verifies and imports it with every digest checked', async () => {
      const file = join(work, 'images.tar.zst');
      const r = await sb.run(['bundle', 'create', lock, '-o', file, '--from', 'store:', '--zstd']);
      expect(r.code, show(r)).toBe(0);
      // Decompressed, it is the plain bundle byte for byte.
      expect(execFileSync('zstd', ['-d', '-c', file], { maxBuffer: 64 << 20 }).equals(await readFile(bundle))).toBe(true);
      const v = await sb.run(['bundle', 'verify', file]);
      expect(v.code, show(v)).toBe(0);
      const imp = await sb.run(['bundle', 'import', file, '--to', `${B.host}/zstd`]);
      expect(imp.code, show(imp)).toBe(0);
      await validateRegistryImage({ url: B.url, repository: 'zstd/team/multi', reference: 't', expectDigest: multi.manifestDesc.digest, checkDiffIds: true });
      await validateRegistryImage({ url: B.url, repository: 'zstd/team/single', reference: '1', expectDigest: single.manifestDesc.digest, checkDiffIds: true });
      // Split and compressed: the volume list is found by the bundle's name.
      const dir = await mkdtemp(join(work, 'zsplit-'));
      const s = await sb.run(['bundle', 'create', lock, '-o', join(dir, 'images.tar.zst'), '--from', 'store:', '--zstd', '--split', '40K']);
      expect(s.code, show(s)).toBe(0);
      const ls = await sb.run(['bundle', 'ls', join(dir, 'images.bundle.json'), '--json']);
      expect(ls.code, show(ls)).toBe(0);
      expect((JSON.parse(ls.stdout) as { images: unknown[] }).images).toHaveLength(2);
    });

    it('refuses a .zst file that is not zstd, and a cut zstd bundle, writing nothing', async () => {
      const fake = join(work, 'fake.tar.zst');
      await writeFile(fake, await readFile(bundle));
      const f = await sb.run(['bundle', 'import', fake, '--to', `${B.host}/fake`]);
      expect(f.code, show(f)).toBe(2);
      expect(failureCode(f)).toBe('ARCHIVE_INVALID');
      expect(f.stderr).toContain('not zstd');
      const whole = await readFile(join(work, 'images.tar.zst'));
      const cut = join(work, 'cut.tar.zst');
      await writeFile(cut, whole.subarray(0, Math.floor(whole.length / 2)));
      const c = await sb.run(['bundle', 'import', cut, '--to', `${B.host}/cutzstd`]);
      expect(c.code, show(c)).toBe(2);
      expect(failureCode(c)).toBe('ARCHIVE_INVALID');
      const catalog = (await (await fetch(`${B.url}/v2/_catalog`)).json()) as { repositories: string[] };
      expect(catalog.repositories.filter((x) => x.startsWith('fake/') || x.startsWith('cutzstd/'))).toEqual([]);
    });
  });

  it('stops on a damaged store blob (DIGEST_MISMATCH) and leaves no bundle behind', async () => {
    const blob = join(sb.store, 'blobs', 'sha256', single.layers[1]!.desc.digest.slice(7));
    const good = await readFile(blob);
    const bad = Buffer.from(good);
    bad[bad.length >> 1]! ^= 0xff;
    await writeFile(blob, bad);
    try {
      const out = join(work, 'from-damaged.tar');
      const r = await sb.run(['bundle', 'create', lock, '-o', out, '--from', 'store:']);
      expect(r.code, show(r)).toBe(1);
      expect(failureCode(r)).toBe('DIGEST_MISMATCH');
      await expect(stat(out)).rejects.toThrow();
      expect(execFileSync('ls', ['-a', work], { encoding: 'utf8' })).not.toContain('from-damaged.tar');
    } finally {
      await writeFile(blob, good);
    }
  });
});
