/**
 * `docker-archive:` read and written, proven with real skopeo and a real registry: what
 * skopeo and `docker save` write is copied into a registry with the config and every layer
 * digest as stored; what airlock writes, skopeo reads and pushes, and it has what `docker
 * load` checks (every layer unpacks to its config diff_id). Bad archives are refused before
 * anything reaches the registry. There is no Docker engine here: `docker save` archives are
 * built by the test in both shapes Docker writes.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { layerTarChunks, makeImage, makeMultiArch, type FixtureImage } from '../helpers/fixtures.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { dockerRef, pushFixtureWithSkopeo, sideFor, skopeoCopy, skopeoInspect } from '../helpers/skopeo.js';
import { validateRegistryImage } from '../helpers/validate.js';
import { imageResults, makeCliSandbox, show, type CliSandbox } from './cli.js';
import { failureCode } from './leftovers.js';

const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';
const DOCKER_GZIP = 'application/vnd.docker.image.rootfs.diff.tar.gzip';
const DOCKER_TAR = 'application/vnd.docker.image.rootfs.diff.tar';

const dockerImg = makeImage({ seed: 'e2e-dax/docker', format: 'docker', layers: [3000, 6000] });
const ociImg = makeImage({ seed: 'e2e-dax/oci', format: 'oci', layers: [5000], annotations: { 'org.example/a': 'b' } });
const multi = makeMultiArch({ seed: 'e2e-dax/multi' });
const armImg = multi.images.find((i) => i.platform.architecture === 'arm64')!;

let A: TestRegistry;
/** A second registry, empty but for what skopeo pushes from airlock's archives. */
let B: TestRegistry;
let sb: CliSandbox;
let work: string;
/** What skopeo wrote from the Docker-format image (layers uncompressed, named by diff_id). */
let skopeoArchive: string;

const sha256 = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const hexOf = (d: string) => d.slice(d.indexOf(':') + 1);

beforeAll(async () => {
  [A, B, sb, work] = await Promise.all([startRegistry(), startRegistry(), makeCliSandbox(), mkdtemp(join(tmpdir(), 'airlock-e2e-dax-'))]);
  await Promise.all([
    pushFixtureWithSkopeo(dockerImg, A, 'src/docker:1'),
    pushFixtureWithSkopeo(ociImg, A, 'src/oci:1'),
    pushFixtureWithSkopeo(multi, A, 'src/multi:1'),
  ]);
  skopeoArchive = join(work, 'skopeo-docker.tar');
  await skopeoCopy(dockerRef(A, 'src/docker:1'), `docker-archive:${skopeoArchive}:example.org/team/docker:1`, { src: sideFor(A), preserveDigests: false });
});

afterAll(async () => {
  await Promise.all([A?.stop(), B?.stop(), sb?.remove(), work && rm(work, { recursive: true, force: true })]);
});

// ---------------------------------------------------------------- independent archive reading

type Entry = { type: 'file'; data: Buffer } | { type: 'symlink'; target: string };

/** Every entry of a tar, with tar-stream (not airlock's reader). */
async function tarEntries(file: string): Promise<Map<string, Entry>> {
  const out = new Map<string, Entry>();
  const extract = tar.extract();
  const done = new Promise<void>((resolve, reject) => {
    extract.on('entry', (h, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => chunks.push(c as Buffer));
      stream.on('end', () => {
        const name = posix.normalize(h.name).replace(/\/$/, '');
        if (h.type === 'file') out.set(name, { type: 'file', data: Buffer.concat(chunks) });
        else if (h.type === 'symlink') out.set(name, { type: 'symlink', target: h.linkname! });
        next();
      });
      stream.resume();
    });
    extract.on('finish', resolve);
    extract.on('error', reject);
  });
  Readable.from([await readFile(file)]).pipe(extract);
  await done;
  return out;
}

function follow(entries: Map<string, Entry>, name: string): Buffer {
  for (let hops = 0; hops < 10; hops++) {
    const e = entries.get(name);
    if (!e) throw new Error(`${name} is not in the archive`);
    if (e.type === 'file') return e.data;
    name = posix.normalize(posix.join(posix.dirname(name), e.target));
  }
  throw new Error(`link loop at ${name}`);
}

/**
 * What `docker load` checks, done independently: manifest.json has one image; its config
 * hashes to a name that claims a digest; as many layers as diff_ids; each layer, gunzipped
 * when gzip, hashes to its diff_id. Returns the config digest, each layer file's digest, the
 * RepoTags and the entry names.
 */
async function loadable(file: string): Promise<{ config: string; layers: string[]; repoTags: string[]; names: string[]; configJson: any }> {
  const entries = await tarEntries(file);
  const items = JSON.parse(follow(entries, 'manifest.json').toString('utf8')) as Array<{ Config: string; RepoTags: string[] | null; Layers: string[] }>;
  expect(items).toHaveLength(1);
  const item = items[0]!;
  const config = follow(entries, item.Config);
  const claimed = /^([a-f0-9]{64})\.json$/.exec(item.Config)?.[1];
  if (claimed) expect(sha256(config)).toBe(`sha256:${claimed}`);
  const configJson = JSON.parse(config.toString('utf8'));
  const diffIds = configJson.rootfs.diff_ids as string[];
  expect(item.Layers).toHaveLength(diffIds.length);
  const layers = item.Layers.map((name, i) => {
    const data = follow(entries, name);
    const plain = data[0] === 0x1f && data[1] === 0x8b ? gunzipSync(data) : data;
    expect(sha256(plain), `layer ${name} unpacks to its diff_id`).toBe(diffIds[i]);
    return sha256(data);
  });
  return { config: sha256(config), layers, repoTags: item.RepoTags ?? [], names: [...entries.keys()].sort(), configJson };
}

// ---------------------------------------------------------------- docker save, built here

interface SavedLayer {
  tar: Buffer;
  diffId: string;
}

function savedLayer(seed: string, size: number): SavedLayer {
  const t = Buffer.concat([...layerTarChunks({ seed, size })]);
  return { tar: t, diffId: sha256(t) };
}

function savedConfig(layers: SavedLayer[], title: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      created: '2024-01-01T00:00:00Z',
      config: { Cmd: ['/bin/sh'], Labels: { 'org.opencontainers.image.title': title } },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    }),
  );
}

interface SavedImage {
  tags: string[];
  layers: SavedLayer[];
  config: Buffer;
}

/**
 * Writes a `docker save` archive: `legacy` as Docker before 25 (`<config hex>.json`,
 * `<id>/layer.tar`, a repeated layer as a link to the first, `repositories`), `blobs` as
 * Docker 25 (`blobs/sha256/<hex>` beside index.json and oci-layout). `tweak` changes the
 * directory before it is packed.
 */
async function dockerSave(file: string, images: SavedImage[], shape: 'legacy' | 'blobs', tweak?: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(work, 'save-'));
  const manifest: unknown[] = [];
  const repositories: Record<string, Record<string, string>> = {};
  for (const [n, img] of images.entries()) {
    const configHex = hexOf(sha256(img.config));
    let configName: string;
    const layerNames: string[] = [];
    if (shape === 'legacy') {
      configName = `${configHex}.json`;
      await writeFile(join(dir, configName), img.config);
      const seen = new Map<string, string>();
      let parent = '';
      for (const [i, l] of img.layers.entries()) {
        const id = hexOf(sha256(Buffer.from(`v1:${n}:${parent}:${l.diffId}:${i}`)));
        await mkdir(join(dir, id));
        await writeFile(join(dir, id, 'VERSION'), '1.0');
        await writeFile(join(dir, id, 'json'), JSON.stringify({ id, ...(parent ? { parent } : {}) }));
        const first = seen.get(l.diffId);
        if (first) await symlink(`../${first}/layer.tar`, join(dir, id, 'layer.tar'));
        else {
          await writeFile(join(dir, id, 'layer.tar'), l.tar);
          seen.set(l.diffId, id);
        }
        layerNames.push(`${id}/layer.tar`);
        parent = id;
      }
    } else {
      await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
      configName = `blobs/sha256/${configHex}`;
      await writeFile(join(dir, configName), img.config);
      for (const l of img.layers) {
        await writeFile(join(dir, 'blobs', 'sha256', hexOf(l.diffId)), l.tar);
        layerNames.push(`blobs/sha256/${hexOf(l.diffId)}`);
      }
      await writeFile(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
      await writeFile(join(dir, 'index.json'), '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}');
    }
    // The top layer's id: its directory (legacy) or its diff_id (Docker 25).
    const topId = shape === 'legacy' ? layerNames.at(-1)!.split('/')[0]! : hexOf(img.layers.at(-1)!.diffId);
    for (const t of img.tags) {
      const colon = t.lastIndexOf(':');
      (repositories[t.slice(0, colon)] ??= {})[t.slice(colon + 1)] = topId;
    }
    manifest.push({ Config: configName, RepoTags: img.tags, Layers: layerNames });
  }
  await writeFile(join(dir, 'manifest.json'), `${JSON.stringify(manifest)}\n`);
  await writeFile(join(dir, 'repositories'), `${JSON.stringify(repositories)}\n`);
  await tweak?.(dir);
  execFileSync('tar', ['-cf', file, '--format=gnu', '-C', dir, ...(await readdir(dir))]);
}

// ---------------------------------------------------------------- helpers

async function repoExists(repo: string): Promise<boolean> {
  const res = await fetch(`${A.url}/v2/${repo}/tags/list`);
  await res.arrayBuffer();
  return res.status === 200;
}

async function registryManifest(repoRef: string, registry = A): Promise<any> {
  return skopeoInspect(dockerRef(registry, repoRef), { raw: true, ...sideFor(registry) });
}

/** The OCI manifest as Docker v2 schema 2, converted here (media types mapped, annotations dropped). */
function asV2s2(img: FixtureImage): string {
  const j = JSON.parse(img.manifest.toString('utf8'));
  j.mediaType = DOCKER_MANIFEST;
  delete j.annotations;
  j.config = { ...j.config, mediaType: DOCKER_CONFIG };
  j.layers = j.layers.map((l: object) => ({ ...l, mediaType: DOCKER_GZIP }));
  return sha256(Buffer.from(JSON.stringify(j)));
}

describe('docker-archive: as a source', () => {
  it('copies what skopeo archived (a Docker and an OCI image) into a registry: the config digest kept, layers as skopeo stored them', async () => {
    const digests: Record<string, string> = {};
    for (const [name, img] of [['docker', dockerImg], ['oci', ociImg]] as const) {
      const file = join(work, `skopeo-${name}.tar`);
      if (name !== 'docker') {
        await skopeoCopy(dockerRef(A, `src/${name}:1`), `docker-archive:${file}:example.org/team/${name}:1`, { src: sideFor(A), preserveDigests: false });
      }
      // skopeo stores layers uncompressed: each file is named and hashed by its diff_id.
      const archived = await loadable(file);
      expect(archived.config).toBe(img.configDesc.digest);
      expect(archived.layers).toEqual(img.layers.map((l) => l.diffId));

      const r = await sb.run(['copy', '--json', `docker-archive:${file}:example.org/team/${name}:1`, `docker://${A.host}/from-skopeo/${name}:1`]);
      expect(r.code, show(r)).toBe(0);
      const result = imageResults(r.stdout)[0];
      expect(result).toMatchObject({ status: 'copied', mediaType: DOCKER_MANIFEST });
      digests[name] = result.digest;

      // skopeo reads the pushed image back: same config, each layer the archived bytes.
      const m = await registryManifest(`from-skopeo/${name}:1`);
      expect(m.mediaType).toBe(DOCKER_MANIFEST);
      expect(m.config).toEqual({ mediaType: DOCKER_CONFIG, size: img.configDesc.size, digest: img.configDesc.digest });
      expect(m.layers.map((l: any) => l.digest)).toEqual(img.layers.map((l) => l.diffId));
      expect(m.layers.map((l: any) => l.mediaType)).toEqual(img.layers.map(() => DOCKER_TAR));
      // skopeo's own view of the archive names the same config and layers.
      const own = await skopeoInspect(`docker-archive:${file}`, { raw: true });
      expect(own.config.digest).toBe(img.configDesc.digest);
      expect(own.layers.map((l: any) => l.digest)).toEqual(m.layers.map((l: any) => l.digest));
      await validateRegistryImage({ url: A.url, repository: `from-skopeo/${name}`, reference: '1', expectDigest: result.digest });
      const back = join(work, `back-${name}`);
      await skopeoCopy(dockerRef(A, `from-skopeo/${name}:1`), `dir:${back}`, { src: sideFor(A) });
      for (const l of img.layers) expect(sha256(await readFile(join(back, hexOf(l.diffId))))).toBe(l.diffId);
    }
    // The archive's only image, and the same image by index: the same manifest.
    const only = await sb.run(['copy', '--json', `docker-archive:${join(work, 'skopeo-oci.tar')}`, `docker://${A.host}/from-skopeo/only:1`]);
    expect(only.code, show(only)).toBe(0);
    expect(imageResults(only.stdout)[0].digest).toBe(digests.oci);
    const byIndex = await sb.run(['copy', '--json', `docker-archive:${join(work, 'skopeo-oci.tar')}:@0`, `docker://${A.host}/from-skopeo/index:1`]);
    expect(byIndex.code, show(byIndex)).toBe(0);
    expect(imageResults(byIndex.stdout)[0].digest).toBe(digests.oci);
  });

  it('reads docker save archives (Docker < 25 with <id>/layer.tar and links, Docker 25 with blobs/sha256), uncompressed layers pushed as their diff_ids', async () => {
    const base = savedLayer('e2e-dax/save/base', 4000);
    const top = savedLayer('e2e-dax/save/top', 2500);
    // The base layer twice: docker save links the second to the first.
    const app: SavedImage = { tags: ['example.org/saved/app:v1'], layers: [base, top, base], config: Buffer.alloc(0) };
    app.config = savedConfig(app.layers, 'app');
    const box: SavedImage = { tags: ['busybox:latest'], layers: [base], config: savedConfig([base], 'box') };
    const legacy = join(work, 'save-legacy.tar');
    await dockerSave(legacy, [app, box], 'legacy');
    expect(execFileSync('tar', ['-tvf', legacy]).toString()).toMatch(/^l.*layer\.tar -> \.\.\/[a-f0-9]{64}\/layer\.tar$/m);

    const r = await sb.run(['copy', '--json', `docker-archive:${legacy}:example.org/saved/app:v1`, `docker://${A.host}/from-save/app:v1`]);
    expect(r.code, show(r)).toBe(0);
    const m = await registryManifest('from-save/app:v1');
    expect(m.config.digest).toBe(sha256(app.config));
    expect(m.layers).toEqual(app.layers.map((l) => ({ mediaType: DOCKER_TAR, size: l.tar.length, digest: l.diffId })));
    const cfg = await skopeoInspect(dockerRef(A, 'from-save/app:v1'), { config: true, raw: true, ...sideFor(A) });
    expect(cfg.rootfs.diff_ids).toEqual(m.layers.map((l: any) => l.digest));
    await validateRegistryImage({ url: A.url, repository: 'from-save/app', reference: 'v1', expectDigest: imageResults(r.stdout)[0].digest });
    const back = join(work, 'back-save');
    await skopeoCopy(dockerRef(A, 'from-save/app:v1'), `dir:${back}`, { src: sideFor(A) });
    expect(sha256(await readFile(join(back, hexOf(top.diffId))))).toBe(top.diffId);

    // Docker's familiar RepoTags match normalised references; @1 is the same image.
    const familiar = await sb.run(['copy', '--json', `docker-archive:${legacy}:busybox`, `docker://${A.host}/from-save/busybox:latest`]);
    expect(familiar.code, show(familiar)).toBe(0);
    const second = await sb.run(['copy', '--json', `docker-archive:${legacy}:@1`, `docker://${A.host}/from-save/busybox:again`]);
    expect(imageResults(second.stdout)[0].digest).toBe(imageResults(familiar.stdout)[0].digest);
    expect((await registryManifest('from-save/busybox:latest')).config.digest).toBe(sha256(box.config));
    // Two images and no name: which one is ambiguous.
    const ambiguous = await sb.run(['copy', `docker-archive:${legacy}`, `docker://${A.host}/from-save/which:1`]);
    expect(ambiguous.code, show(ambiguous)).toBe(2);
    expect(failureCode(ambiguous)).toBe('LOCATION_INVALID');
    expect(ambiguous.stderr).toContain('example.org/saved/app:v1');

    // A whole archive as the source of a mirror: images found by their RepoTags.
    const list = join(work, 'saved-images.txt');
    await writeFile(list, 'example.org/saved/app:v1\nbusybox:latest\n');
    const mirrored = await sb.run(['mirror', list, '--from', `docker-archive:${legacy}`, '--to', `${A.host}/mirrored`]);
    expect(mirrored.code, show(mirrored)).toBe(0);
    expect((await registryManifest('mirrored/saved/app:v1')).layers).toEqual(m.layers);
    expect((await registryManifest('mirrored/library/busybox:latest')).config.digest).toBe(sha256(box.config));

    const d25 = join(work, 'save-25.tar');
    const modern: SavedImage = { tags: ['example.org/saved/modern:v2'], layers: [base, top], config: savedConfig([base, top], 'modern') };
    await dockerSave(d25, [modern], 'blobs');
    const r25 = await sb.run(['copy', '--json', `docker-archive:${d25}`, `docker://${A.host}/from-save/modern:v2`]);
    expect(r25.code, show(r25)).toBe(0);
    const m25 = await registryManifest('from-save/modern:v2');
    expect(m25.config.digest).toBe(sha256(modern.config));
    expect(m25.layers.map((l: any) => l.digest)).toEqual([base.diffId, top.diffId]);
  });
});

describe('docker-archive: as a destination', () => {
  it('writes what docker load and skopeo read: config and layers as the registry had them; an OCI image converted to v2s2', async () => {
    const out = join(work, 'out');
    const dockerOut = join(out, 'docker.tar');
    const r = await sb.run(['copy', '--json', `docker://${A.host}/src/docker:1`, `docker-archive:${dockerOut}:example.org/out/docker:1`]);
    expect(r.code, show(r)).toBe(0);
    expect(imageResults(r.stdout)[0]).toMatchObject({ status: 'copied', digest: dockerImg.manifestDesc.digest });
    const written = await loadable(dockerOut);
    expect(written.config).toBe(dockerImg.configDesc.digest);
    expect(written.layers).toEqual(dockerImg.layers.map((l) => l.desc.digest));
    expect(written.repoTags).toEqual(['example.org/out/docker:1']);
    expect(written.names).toEqual(
      [`${hexOf(dockerImg.configDesc.digest)}.json`, ...dockerImg.layers.map((l) => `${hexOf(l.desc.digest)}.tar`), 'manifest.json', 'repositories'].sort(),
    );
    // skopeo reads the archive and pushes it: the same config, layers unpacking to the same diff_ids.
    const own = await skopeoInspect(`docker-archive:${dockerOut}`, { raw: true });
    expect(own.config.digest).toBe(dockerImg.configDesc.digest);
    // (Into a registry without the layers: skopeo would otherwise reuse the uncompressed blobs
    // the first test pushed to A under the same diff_id digests, labelled gzip.)
    await skopeoCopy(`docker-archive:${dockerOut}:example.org/out/docker:1`, dockerRef(B, 'skopeo-from-airlock/docker:1'), { dest: sideFor(B), preserveDigests: false });
    const pushed = await registryManifest('skopeo-from-airlock/docker:1', B);
    expect(pushed.config.digest).toBe(dockerImg.configDesc.digest);
    await validateRegistryImage({ url: B.url, repository: 'skopeo-from-airlock/docker', reference: '1', checkDiffIds: true });
    // airlock reads its own archive back: the registry's gzip layers, digests unchanged.
    const again = await sb.run(['copy', '--json', `docker-archive:${dockerOut}:example.org/out/docker:1`, `docker://${A.host}/roundtrip/docker:1`]);
    expect(again.code, show(again)).toBe(0);
    expect((await registryManifest('roundtrip/docker:1')).layers).toEqual(dockerImg.layers.map((l) => l.desc));

    const ociOut = join(out, 'oci.tar');
    const o = await sb.run(['copy', '--json', `docker://${A.host}/src/oci:1`, `docker-archive:${ociOut}:example.org/out/oci:1`]);
    expect(o.code, show(o)).toBe(0);
    const converted = imageResults(o.stdout)[0].digest;
    expect(converted).not.toBe(ociImg.manifestDesc.digest);
    expect(converted).toBe(asV2s2(ociImg));
    const ociWritten = await loadable(ociOut);
    expect(ociWritten.config).toBe(ociImg.configDesc.digest);
    expect(ociWritten.layers).toEqual(ociImg.layers.map((l) => l.desc.digest));
    expect((await skopeoInspect(`docker-archive:${ociOut}`, { raw: true })).config.digest).toBe(ociImg.configDesc.digest);
    // Nothing but the two archives: temporary files are gone.
    expect((await readdir(out)).sort()).toEqual(['docker.tar', 'oci.tar']);
  });

  it('writes the one platform --platform keeps; a whole multi-arch index is refused (MEDIA_TYPE_UNSUPPORTED), leaving nothing', async () => {
    const out = join(work, 'out-multi');
    const arm = join(out, 'arm.tar');
    const r = await sb.run(['copy', '--json', '--platform', 'linux/arm64', `docker://${A.host}/src/multi:1`, `docker-archive:${arm}:example.org/out/multi:1`]);
    expect(r.code, show(r)).toBe(0);
    const written = await loadable(arm);
    expect(written.config).toBe(armImg.configDesc.digest);
    expect(written.layers).toEqual(armImg.layers.map((l) => l.desc.digest));
    expect(written.configJson.architecture).toBe('arm64');
    expect((await skopeoInspect(`docker-archive:${arm}`)).Architecture).toBe('arm64');

    const whole = join(out, 'whole.tar');
    const refused = await sb.run(['copy', '--json', `docker://${A.host}/src/multi:1`, `docker-archive:${whole}:example.org/out/multi:1`]);
    expect(refused.code, show(refused)).toBe(1);
    expect(failureCode(refused)).toBe('MEDIA_TYPE_UNSUPPORTED');
    expect(imageResults(refused.stdout)[0].error.message).toContain('--platform');
    expect(await readdir(out)).toEqual(['arm.tar']);
  });
});

describe('bad docker archives', () => {
  it('are refused with a stable code and a non-zero exit, before anything reaches the registry', async () => {
    const base = savedLayer('e2e-dax/bad/base', 3000);
    const top = savedLayer('e2e-dax/bad/top', 2000);
    const image = (): SavedImage => ({ tags: ['example.org/bad/app:1'], layers: [base, top], config: savedConfig([base, top], 'bad') });

    const cases: Array<{ name: string; make: (file: string) => Promise<void>; code: string; exit: number }> = [
      {
        name: 'dotdot',
        code: 'ARCHIVE_INVALID',
        exit: 2,
        make: async (file) => {
          const dir = await mkdtemp(join(work, 'evil-'));
          await writeFile(join(dir, 'manifest.json'), '[]');
          execFileSync('tar', ['-cf', file, '--format=gnu', '-P', '--transform', 's,^manifest.json$,../manifest.json,', 'manifest.json'], { cwd: dir });
        },
      },
      {
        name: 'cut',
        code: 'ARCHIVE_INVALID',
        exit: 2,
        make: async (file) => {
          const whole = await readFile(skopeoArchive);
          await writeFile(file, whole.subarray(0, Math.floor(whole.length / 2)));
        },
      },
      {
        name: 'missing-layer',
        code: 'ARCHIVE_INVALID',
        exit: 2,
        make: (file) =>
          dockerSave(file, [image()], 'legacy', async (dir) => {
            const m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
            m[0].Layers[1] = 'nowhere/layer.tar';
            await writeFile(join(dir, 'manifest.json'), JSON.stringify(m));
          }),
      },
      {
        name: 'link-out',
        code: 'ARCHIVE_INVALID',
        exit: 2,
        make: (file) =>
          dockerSave(file, [image()], 'legacy', async (dir) => {
            const m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
            const layer = join(dir, m[0].Layers[1]);
            await rm(layer);
            await symlink('../../../etc/passwd', layer);
          }),
      },
      {
        name: 'flipped-skopeo-layer',
        code: 'DIGEST_MISMATCH',
        exit: 1,
        make: async (file) => {
          const bytes = await readFile(skopeoArchive);
          const layerTar = gunzipSync(dockerImg.layers[1]!.bytes!);
          const at = bytes.indexOf(layerTar.subarray(1024, 1124));
          expect(at).toBeGreaterThan(0);
          bytes[at + 50] = bytes[at + 50]! ^ 0xff;
          await writeFile(file, bytes);
        },
      },
      {
        name: 'flipped-saved-layer',
        code: 'DIGEST_MISMATCH',
        exit: 1,
        make: (file) => {
          const img = image();
          const flipped = Buffer.from(top.tar);
          flipped[1100] = flipped[1100]! ^ 0xff;
          // The file changed, the config (and its name) did not: only the diff_id can tell.
          return dockerSave(file, [{ ...img, layers: [base, { tar: flipped, diffId: top.diffId }] }], 'legacy');
        },
      },
      {
        name: 'config-not-its-name',
        code: 'DIGEST_MISMATCH',
        exit: 1,
        make: (file) =>
          dockerSave(file, [image()], 'legacy', async (dir) => {
            const m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
            const cfg = join(dir, m[0].Config);
            await writeFile(cfg, (await readFile(cfg, 'utf8')).replace('"bad"', '"BAD"'));
          }),
      },
      {
        name: 'layer-count',
        code: 'ARCHIVE_INVALID',
        exit: 2,
        make: (file) => dockerSave(file, [{ ...image(), config: savedConfig([base], 'short') }], 'blobs'),
      },
    ];
    for (const c of cases) {
      const file = join(work, `bad-${c.name}.tar`);
      await c.make(file);
      const r = await sb.run(['copy', '--json', `docker-archive:${file}`, `docker://${A.host}/bad/${c.name}:1`]);
      expect(r.code, `${c.name}: ${show(r)}`).toBe(c.exit);
      expect(failureCode(r), c.name).toBe(c.code);
      expect(await repoExists(`bad/${c.name}`), c.name).toBe(false);
    }
    // The same copy from a sound archive does reach the registry (the check above can fail).
    const good = join(work, 'bad-none.tar');
    await dockerSave(good, [image()], 'legacy');
    const ok = await sb.run(['copy', `docker-archive:${good}`, `docker://${A.host}/bad/none:1`]);
    expect(ok.code, show(ok)).toBe(0);
    expect(await repoExists('bad/none')).toBe(true);
  });
});
