/**
 * Generates a benchmark image set on disk (layers streamed, never held in memory) and
 * caches it under `.bench/data/<size>-<hash of the plan>/`, so later runs reuse it.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, rename, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Descriptor } from '../src/oci/descriptor.js';
import type { Digest } from '../src/oci/digest.js';
import {
  fixtureBlobs,
  makeImageOnDisk,
  makeIndex,
  toPlatform,
  type Fixture,
  type FixtureImage,
  type LayerSpec,
  type ManifestFormat,
} from '../test/helpers/fixtures.js';
import { incrementalPlan, type DatasetPlan, type RepoPlan, type TagPlan } from './plan.js';

/** One tag of the set, ready to push. */
export interface DatasetImage {
  repo: string;
  tag: string;
  fixture: Fixture;
  /** Root manifest digest: what the tag must resolve to everywhere. */
  digest: string;
  multiArch: boolean;
  format: ManifestFormat;
}

export interface Dataset {
  plan: DatasetPlan;
  dir: string;
  images: DatasetImage[];
  /** Bytes of every distinct blob (layers, configs, manifests) of the set. */
  uniqueBytes: number;
  uniqueBlobs: number;
  /** True when the set came from the cache. */
  cached: boolean;
}

interface StoredImage {
  format: ManifestFormat;
  manifest: string;
  manifestDesc: Descriptor;
  config: string;
  configDesc: Descriptor;
  layers: Array<{ desc: Descriptor; diffId: string }>;
}

type StoredFixture =
  | ({ kind: 'image' } & StoredImage)
  | { kind: 'index'; format: ManifestFormat; manifest: string; manifestDesc: Descriptor; images: StoredImage[] };

interface StoredTag {
  repo: string;
  tag: string;
  fixture: StoredFixture;
}

const GZIP_LEVEL = 0; // random payload is incompressible anyway; level 0 keeps generation fast

function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function planKey(plan: DatasetPlan): string {
  return createHash('sha256').update(JSON.stringify(plan)).digest('hex').slice(0, 12);
}

function baseLayers(plan: DatasetPlan, base: string, platform: string): LayerSpec[] {
  const b = plan.bases.find((x) => x.name === base);
  if (!b) throw new Error(`unknown base ${base}`);
  return b.layerSizes.map((size, i) => ({ seed: `base/${base}/${platform}/${i}`, size, files: 3, gzipLevel: GZIP_LEVEL }));
}

async function generateTag(dir: string, plan: DatasetPlan, repo: RepoPlan, tag: TagPlan): Promise<Fixture> {
  const images: FixtureImage[] = [];
  for (const platform of repo.platforms) {
    images.push(
      await makeImageOnDisk(dir, {
        seed: `${repo.repo}:${tag.tag}`,
        format: repo.format,
        platform,
        labels: { 'org.opencontainers.image.version': tag.tag, 'airlock.bench/platform': platform },
        layers: [
          ...baseLayers(plan, repo.base, platform),
          { seed: `${repo.repo}/deps/${platform}`, size: repo.depsSize, files: 2, gzipLevel: GZIP_LEVEL },
          { seed: `${repo.repo}/${tag.tag}/app/${platform}`, size: tag.appSize, gzipLevel: GZIP_LEVEL },
        ],
      }),
    );
  }
  if (images.length === 1) return images[0]!;
  return makeIndex(images, { format: repo.format });
}

function storeImage(i: FixtureImage): StoredImage {
  return {
    format: i.format,
    manifest: i.manifest.toString('base64'),
    manifestDesc: i.manifestDesc,
    config: i.config.toString('base64'),
    configDesc: i.configDesc,
    layers: i.layers.map((l) => ({ desc: l.desc, diffId: l.diffId })),
  };
}

function storeFixture(f: Fixture): StoredFixture {
  if (f.kind === 'image') return { kind: 'image', ...storeImage(f) };
  return { kind: 'index', format: f.format, manifest: f.manifest.toString('base64'), manifestDesc: f.manifestDesc, images: f.images.map(storeImage) };
}

function checked(b64: string, desc: Descriptor, what: string): Buffer {
  const bytes = Buffer.from(b64, 'base64');
  if (bytes.length !== desc.size || sha256(bytes) !== desc.digest) throw new Error(`cached ${what} ${desc.digest} is corrupt`);
  return bytes;
}

async function loadImage(s: StoredImage, blobsDir: string): Promise<FixtureImage> {
  const layers = [];
  for (const l of s.layers) {
    const path = join(blobsDir, l.desc.digest.slice('sha256:'.length));
    const st = await stat(path).catch(() => null);
    if (st?.size !== l.desc.size) throw new Error(`cached layer ${l.desc.digest} is missing or truncated`);
    layers.push({ desc: l.desc, diffId: l.diffId as Digest, path });
  }
  return {
    kind: 'image',
    format: s.format,
    platform: toPlatform(s.manifestDesc.platform),
    manifest: checked(s.manifest, s.manifestDesc, 'manifest'),
    manifestDesc: s.manifestDesc,
    config: checked(s.config, s.configDesc, 'config'),
    configDesc: s.configDesc,
    layers,
  };
}

async function loadFixture(s: StoredFixture, blobsDir: string): Promise<Fixture> {
  if (s.kind === 'image') return loadImage(s, blobsDir);
  const images = [];
  for (const i of s.images) images.push(await loadImage(i, blobsDir));
  return { kind: 'index', format: s.format, manifest: checked(s.manifest, s.manifestDesc, 'index'), manifestDesc: s.manifestDesc, images };
}

function toImage(t: { repo: string; tag: string }, fixture: Fixture): DatasetImage {
  return {
    repo: t.repo,
    tag: t.tag,
    fixture,
    digest: fixture.manifestDesc.digest,
    multiArch: fixture.kind === 'index',
    format: fixture.format,
  };
}

async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, JSON.stringify(value));
  await rename(tmp, file);
}

/** Distinct blobs (by digest) of some fixtures: count and total bytes. */
export function blobTotals(fixtures: Fixture[]): { bytes: number; blobs: number } {
  const seen = new Map<string, number>();
  for (const f of fixtures) for (const b of fixtureBlobs(f)) seen.set(b.desc.digest, b.desc.size);
  let bytes = 0;
  for (const n of seen.values()) bytes += n;
  return { bytes, blobs: seen.size };
}

/**
 * The image set of `plan`, from `<cacheRoot>/data/<size>-<key>/` when a complete copy is
 * there, otherwise generated into it (`set.json` is written last, so an interrupted
 * generation is redone). Caches of the same size with another key are removed.
 */
export async function ensureDataset(cacheRoot: string, plan: DatasetPlan, log: (msg: string) => void): Promise<Dataset> {
  const dataRoot = join(cacheRoot, 'data');
  const name = `${plan.size}-${planKey(plan)}`;
  const dir = join(dataRoot, name);
  const blobsDir = join(dir, 'blobs', 'sha256');
  await mkdir(dataRoot, { recursive: true });
  for (const other of await readdir(dataRoot)) {
    if (other.startsWith(`${plan.size}-`) && other !== name) {
      log(`removing stale cache ${other}`);
      await rm(join(dataRoot, other), { recursive: true, force: true });
    }
  }
  const setFile = join(dir, 'set.json');
  let stored: StoredTag[] | undefined;
  let cached = false;
  try {
    stored = JSON.parse(await readFile(setFile, 'utf8')) as StoredTag[];
    cached = true;
  } catch {
    stored = undefined;
  }
  const images: DatasetImage[] = [];
  if (stored) {
    try {
      for (const t of stored) images.push(toImage(t, await loadFixture(t.fixture, blobsDir)));
    } catch (err) {
      log(`cache unusable (${(err as Error).message}); regenerating`);
      images.length = 0;
      cached = false;
      await rm(dir, { recursive: true, force: true });
    }
  }
  if (!cached) {
    const started = Date.now();
    const out: StoredTag[] = [];
    const total = plan.repos.reduce((n, r) => n + r.tags.length, 0);
    for (const repo of plan.repos) {
      for (const tag of repo.tags) {
        const fixture = await generateTag(dir, plan, repo, tag);
        out.push({ repo: repo.repo, tag: tag.tag, fixture: storeFixture(fixture) });
        images.push(toImage({ repo: repo.repo, tag: tag.tag }, fixture));
        log(`generated ${out.length}/${total} ${repo.repo}:${tag.tag}`);
      }
    }
    await writeJsonAtomic(setFile, out);
    log(`generated ${plan.size} set in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  const totals = blobTotals(images.map((i) => i.fixture));
  return { plan, dir, images, uniqueBytes: totals.bytes, uniqueBlobs: totals.blobs, cached };
}

/** The i-th incremental tag of the set, generated into the set's directory on first use and cached. */
export async function ensureIncremental(ds: Dataset, index: number): Promise<DatasetImage> {
  const inc = incrementalPlan(ds.plan, index);
  const file = join(ds.dir, `incremental-${index}.json`);
  const blobsDir = join(ds.dir, 'blobs', 'sha256');
  try {
    const t = JSON.parse(await readFile(file, 'utf8')) as StoredTag;
    return toImage(t, await loadFixture(t.fixture, blobsDir));
  } catch {
    const fixture = await generateTag(ds.dir, ds.plan, inc.repo, inc.tag);
    await writeJsonAtomic(file, { repo: inc.repo.repo, tag: inc.tag.tag, fixture: storeFixture(fixture) } satisfies StoredTag);
    return toImage({ repo: inc.repo.repo, tag: inc.tag.tag }, fixture);
  }
}
