import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip, gzipSync } from 'node:zlib';
import type { Descriptor } from '../../src/oci/descriptor.js';
import type { Digest } from '../../src/oci/digest.js';
import { MediaTypes } from '../../src/oci/mediatypes.js';
import type { Platform } from '../../src/oci/platform.js';
import { Prng } from './prng.js';
import { tarEnd, tarHeader, tarPadding } from './tar.js';

/** Manifest flavour: OCI image spec or Docker v2 schema 2. */
export type ManifestFormat = 'oci' | 'docker';

/** A layer: the same spec always gives the same bytes, so equal specs share blobs. */
export interface LayerSpec {
  seed: string;
  /** Bytes of incompressible random payload inside the tar. */
  size: number;
  /** How many files the payload is split into (default 1). */
  files?: number;
  /** gzip level 0-9 (default 6; 0 is fast and still valid gzip, for big benchmarks). */
  gzipLevel?: number;
}

export interface ImageSpec {
  /** Seeds everything not given explicitly. */
  seed: string;
  /** Default 'oci'. */
  format?: ManifestFormat;
  /** `linux/amd64` (default) or a Platform. */
  platform?: Platform | string;
  /** Image config `config.Labels`. */
  labels?: Record<string, string>;
  /**
   * Layers: a LayerSpec (shareable) or a size in bytes (seeded from the image seed).
   * Default: one 1 KiB layer.
   */
  layers?: Array<LayerSpec | number>;
  /** Manifest annotations (OCI only). */
  annotations?: Record<string, string>;
  /** Config `created` (fixed default, for reproducibility). */
  created?: string;
}

/** A generated layer. In-memory layers carry `bytes`; on-disk ones carry `path`. */
export interface FixtureLayer {
  desc: Descriptor;
  /** sha256 of the uncompressed tar (config rootfs.diff_ids). */
  diffId: Digest;
  bytes?: Buffer;
  path?: string;
}

export interface FixtureImage {
  kind: 'image';
  format: ManifestFormat;
  platform: Platform;
  manifest: Buffer;
  /** Carries `platform`, ready to go into an index. */
  manifestDesc: Descriptor;
  config: Buffer;
  configDesc: Descriptor;
  layers: FixtureLayer[];
}

export interface FixtureIndex {
  kind: 'index';
  format: ManifestFormat;
  manifest: Buffer;
  manifestDesc: Descriptor;
  images: FixtureImage[];
}

export type Fixture = FixtureImage | FixtureIndex;

/** One blob of a fixture: bytes in memory or a file on disk. */
export interface FixtureBlob {
  desc: Descriptor;
  bytes?: Buffer;
  path?: string;
}

const CHUNK = 1 << 20;
const FIXED_CREATED = '2024-01-01T00:00:00Z';

function sha256(bytes: Uint8Array): Digest {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}` as Digest;
}

function hexOf(d: Digest): string {
  return d.slice(d.indexOf(':') + 1);
}

/** Parses `os/arch[/variant]` without airlock's parser (the harness stays independent). */
export function toPlatform(p: Platform | string | undefined): Platform {
  if (p === undefined) return { os: 'linux', architecture: 'amd64' };
  if (typeof p !== 'string') return p;
  const [os, architecture, variant] = p.split('/');
  if (!os || !architecture) throw new Error(`bad platform ${p}`);
  return variant ? { os, architecture, variant } : { os, architecture };
}

function platformString(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

/** The uncompressed tar of a layer, as a deterministic sequence of chunks (never all in memory). */
export function* layerTarChunks(spec: LayerSpec): Generator<Buffer> {
  const prng = new Prng(`layer:${spec.seed}`);
  const files = Math.max(1, spec.files ?? 1);
  yield tarHeader({ name: 'fixture', size: 0, type: 'dir' });
  const seedText = Buffer.from(`${spec.seed}\n`);
  yield tarHeader({ name: 'fixture/seed.txt', size: seedText.length });
  yield seedText;
  yield tarPadding(seedText.length);
  const per = Math.floor(spec.size / files);
  for (let i = 0; i < files; i++) {
    const size = i === files - 1 ? spec.size - per * (files - 1) : per;
    yield tarHeader({ name: `fixture/file-${String(i).padStart(4, '0')}.bin`, size });
    for (let left = size; left > 0; left -= CHUNK) yield prng.bytes(Math.min(CHUNK, left));
    yield tarPadding(size);
  }
  yield tarEnd();
}

const layerCache = new Map<string, { bytes: Buffer; diffId: Digest; digest: Digest }>();

function layerKey(spec: LayerSpec): string {
  return JSON.stringify([spec.seed, spec.size, spec.files ?? 1, spec.gzipLevel ?? 6]);
}

/** A gzip-compressed layer in memory: `bytes` (compressed), its digest, and its diffId. */
export function makeLayer(spec: LayerSpec): { bytes: Buffer; digest: Digest; diffId: Digest } {
  const key = layerKey(spec);
  const hit = layerCache.get(key);
  if (hit) return hit;
  const tar = Buffer.concat([...layerTarChunks(spec)]);
  const bytes = gzipSync(tar, { level: spec.gzipLevel ?? 6 });
  const layer = { bytes, digest: sha256(bytes), diffId: sha256(tar) };
  // Only small layers are memoised; shared base layers are usually small.
  if (bytes.length <= 8 << 20) layerCache.set(key, layer);
  return layer;
}

class Hasher extends Transform {
  readonly hash = createHash('sha256');
  size = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    cb(null, chunk);
  }
}

/**
 * Streams a layer (tar → gzip) into `blobsDir/<hex>` without holding it in memory, hashing
 * both sides on the way. Reuses the file when it is already there with the right size.
 */
export async function writeLayerFile(
  spec: LayerSpec,
  blobsDir: string,
): Promise<{ digest: Digest; diffId: Digest; size: number; path: string }> {
  // Shared base layers of big images are generated once per directory, not per platform.
  const key = `${blobsDir}|${layerKey(spec)}`;
  const known = layerFileCache.get(key);
  if (known && (await stat(known.path).catch(() => null))?.size === known.size) return known;
  const written = await generateLayerFile(spec, blobsDir);
  layerFileCache.set(key, written);
  return written;
}

const layerFileCache = new Map<string, { digest: Digest; diffId: Digest; size: number; path: string }>();

async function generateLayerFile(
  spec: LayerSpec,
  blobsDir: string,
): Promise<{ digest: Digest; diffId: Digest; size: number; path: string }> {
  await mkdir(blobsDir, { recursive: true });
  const tmp = join(blobsDir, `.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const tarHash = new Hasher();
  const gzHash = new Hasher();
  try {
    await pipeline(
      Readable.from(layerTarChunks(spec)),
      tarHash,
      createGzip({ level: spec.gzipLevel ?? 6 }),
      gzHash,
      createWriteStream(tmp),
    );
    const digest = `sha256:${gzHash.hash.digest('hex')}` as Digest;
    const path = join(blobsDir, hexOf(digest));
    await rename(tmp, path);
    return { digest, diffId: `sha256:${tarHash.hash.digest('hex')}` as Digest, size: gzHash.size, path };
  } finally {
    await rm(tmp, { force: true });
  }
}

function normaliseLayers(spec: ImageSpec, platform: Platform): LayerSpec[] {
  const layers = spec.layers ?? [1024];
  return layers.map((l, i) =>
    typeof l === 'number' ? { seed: `${spec.seed}/${platformString(platform)}/layer-${i}`, size: l } : l,
  );
}

function buildImage(spec: ImageSpec, platform: Platform, layers: FixtureLayer[]): FixtureImage {
  const format = spec.format ?? 'oci';
  const created = spec.created ?? FIXED_CREATED;
  const config = Buffer.from(
    JSON.stringify({
      created,
      architecture: platform.architecture,
      os: platform.os,
      ...(platform.variant ? { variant: platform.variant } : {}),
      config: {
        Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
        Cmd: ['/bin/sh'],
        Labels: { 'org.opencontainers.image.title': spec.seed, ...(spec.labels ?? {}) },
      },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      history: layers.map((_, i) => ({ created, created_by: `airlock fixture ${spec.seed} layer ${i}` })),
    }),
  );
  const configDesc: Descriptor = {
    mediaType: format === 'oci' ? MediaTypes.ociConfig : MediaTypes.dockerConfig,
    digest: sha256(config),
    size: config.length,
  };
  const manifestMediaType = format === 'oci' ? MediaTypes.ociManifest : MediaTypes.dockerManifest;
  const manifestJson: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType: manifestMediaType,
    config: configDesc,
    layers: layers.map((l) => l.desc),
  };
  if (format === 'oci' && spec.annotations) manifestJson.annotations = spec.annotations;
  const manifest = Buffer.from(JSON.stringify(manifestJson, null, 2));
  return {
    kind: 'image',
    format,
    platform,
    manifest,
    manifestDesc: { mediaType: manifestMediaType, digest: sha256(manifest), size: manifest.length, platform },
    config,
    configDesc,
    layers,
  };
}

function layerMediaType(format: ManifestFormat): string {
  return format === 'oci' ? MediaTypes.ociLayerGzip : MediaTypes.dockerLayerGzip;
}

/** A complete single-platform image in memory (config with labels and diff_ids, gzip layers). */
export function makeImage(spec: ImageSpec): FixtureImage {
  const platform = toPlatform(spec.platform);
  const mediaType = layerMediaType(spec.format ?? 'oci');
  const layers = normaliseLayers(spec, platform).map((ls): FixtureLayer => {
    const l = makeLayer(ls);
    return { desc: { mediaType, digest: l.digest, size: l.bytes.length }, diffId: l.diffId, bytes: l.bytes };
  });
  return buildImage(spec, platform, layers);
}

/**
 * Like makeImage, but layers are streamed straight into `<layoutDir>/blobs/sha256/`, so
 * gigabytes can be generated in constant memory. Layers carry `path`, not `bytes`.
 */
export async function makeImageOnDisk(layoutDir: string, spec: ImageSpec): Promise<FixtureImage> {
  const platform = toPlatform(spec.platform);
  const mediaType = layerMediaType(spec.format ?? 'oci');
  const blobsDir = join(layoutDir, 'blobs', 'sha256');
  const layers: FixtureLayer[] = [];
  for (const ls of normaliseLayers(spec, platform)) {
    const l = await writeLayerFile(ls, blobsDir);
    layers.push({ desc: { mediaType, digest: l.digest, size: l.size }, diffId: l.diffId, path: l.path });
  }
  return buildImage(spec, platform, layers);
}

/** An OCI index (or Docker manifest list for 'docker') over `images`, with their platforms. */
export function makeIndex(
  images: FixtureImage[],
  opts: { format?: ManifestFormat; annotations?: Record<string, string> } = {},
): FixtureIndex {
  const format = opts.format ?? images[0]?.format ?? 'oci';
  const mediaType = format === 'oci' ? MediaTypes.ociIndex : MediaTypes.dockerManifestList;
  const json: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType,
    manifests: images.map((i) => i.manifestDesc),
  };
  if (format === 'oci' && opts.annotations) json.annotations = opts.annotations;
  const manifest = Buffer.from(JSON.stringify(json, null, 2));
  return {
    kind: 'index',
    format,
    manifest,
    manifestDesc: { mediaType, digest: sha256(manifest), size: manifest.length },
    images,
  };
}

export interface MultiArchSpec extends Omit<ImageSpec, 'platform' | 'layers'> {
  /** Default `['linux/amd64', 'linux/arm64/v8']`. */
  platforms?: string[];
  /** Layers shared by every platform (same bytes, same digests). Default one 2 KiB layer. */
  baseLayers?: LayerSpec[];
  /** Sizes of the per-platform layers on top. Default `[1024]`. */
  platformLayers?: number[];
}

/** A multi-arch index whose platform images share their base layers. */
export function makeMultiArch(spec: MultiArchSpec): FixtureIndex {
  const platforms = spec.platforms ?? ['linux/amd64', 'linux/arm64/v8'];
  const base = spec.baseLayers ?? [{ seed: `${spec.seed}/base`, size: 2048 }];
  const images = platforms.map((p) =>
    makeImage({
      ...spec,
      platform: p,
      labels: { 'airlock.test/platform': p, ...(spec.labels ?? {}) },
      layers: [...base, ...(spec.platformLayers ?? [1024])],
    }),
  );
  return makeIndex(images, { ...(spec.format ? { format: spec.format } : {}) });
}

/** Every blob of a fixture once (manifests, configs, layers), children before parents. */
export function fixtureBlobs(f: Fixture): FixtureBlob[] {
  const seen = new Map<string, FixtureBlob>();
  const add = (b: FixtureBlob): void => {
    if (!seen.has(b.desc.digest)) seen.set(b.desc.digest, b);
  };
  const addImage = (i: FixtureImage): void => {
    for (const l of i.layers) add({ desc: l.desc, ...(l.bytes ? { bytes: l.bytes } : {}), ...(l.path ? { path: l.path } : {}) });
    add({ desc: i.configDesc, bytes: i.config });
    add({ desc: i.manifestDesc, bytes: i.manifest });
  };
  if (f.kind === 'image') addImage(f);
  else {
    for (const i of f.images) addImage(i);
    add({ desc: f.manifestDesc, bytes: f.manifest });
  }
  return [...seen.values()];
}

async function fileHash(path: string): Promise<{ digest: Digest; size: number }> {
  const h = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path)) {
    h.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { digest: `sha256:${h.digest('hex')}` as Digest, size };
}

async function writeBlob(blobsDir: string, blob: FixtureBlob): Promise<void> {
  const target = join(blobsDir, hexOf(blob.desc.digest));
  if (blob.path === target) return; // generated in place by makeImageOnDisk
  const existing = await stat(target).catch(() => null);
  if (existing?.size === blob.desc.size) return;
  const tmp = `${target}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    if (blob.bytes) {
      // Every byte written is checked against its digest first.
      if (blob.bytes.length !== blob.desc.size || sha256(blob.bytes) !== blob.desc.digest) {
        throw new Error(`fixture blob ${blob.desc.digest} does not match its bytes`);
      }
      await writeFile(tmp, blob.bytes);
    } else if (blob.path) {
      const got = await fileHash(blob.path);
      if (got.digest !== blob.desc.digest || got.size !== blob.desc.size) {
        throw new Error(`fixture blob file ${blob.path} does not match ${blob.desc.digest}`);
      }
      await pipeline(createReadStream(blob.path), createWriteStream(tmp));
    } else {
      throw new Error(`fixture blob ${blob.desc.digest} has neither bytes nor path`);
    }
    await rename(tmp, target);
  } finally {
    await rm(tmp, { force: true });
  }
}

/**
 * Writes (or adds to) an OCI image layout at `dir`: `oci-layout`, every blob under
 * `blobs/sha256/`, and one `index.json` entry per image annotated with
 * `org.opencontainers.image.ref.name` = name (an existing entry with that name is replaced).
 */
export async function writeOciLayout(dir: string, images: Array<{ name: string; image: Fixture }>): Promise<void> {
  const blobsDir = join(dir, 'blobs', 'sha256');
  await mkdir(blobsDir, { recursive: true });
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  for (const { image } of images) for (const blob of fixtureBlobs(image)) await writeBlob(blobsDir, blob);

  const indexPath = join(dir, 'index.json');
  let manifests: Descriptor[] = [];
  const existing = await readFile(indexPath, 'utf8').catch(() => null);
  if (existing) manifests = (JSON.parse(existing) as { manifests?: Descriptor[] }).manifests ?? [];
  const names = new Set(images.map((i) => i.name));
  manifests = manifests.filter((m) => !names.has(m.annotations?.['org.opencontainers.image.ref.name'] ?? ''));
  for (const { name, image } of images) {
    manifests.push({ ...image.manifestDesc, annotations: { 'org.opencontainers.image.ref.name': name } });
  }
  const tmp = `${indexPath}.tmp-${process.pid}`;
  await writeFile(tmp, JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests }, null, 2));
  await rename(tmp, indexPath);
}
