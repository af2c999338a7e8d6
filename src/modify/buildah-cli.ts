/**
 * What every buildah step shares: buildah run with its own storage in a temporary folder
 * (`--storage-driver vfs`, nothing of the host's), the image handed to it as an OCI layout
 * and read back from one, and the new layers spliced onto the base. Only the layers beyond
 * the base are taken (checked against the diff IDs buildah reports), gzipped the way
 * airlock's own layers are, so base layers keep their digests and are never re-sent.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { AirlockError, ErrorCodes } from '../errors.js';
import type { Descriptor } from '../oci/descriptor.js';
import { digestOf, type Digest } from '../oci/digest.js';
import { MediaTypes } from '../oci/mediatypes.js';
import type { MadeContent } from './image.js';

/** The image a buildah step starts from: its manifest and config bytes, and a reader for its layers. */
export interface RunInput {
  manifest: Buffer;
  config: Buffer;
  /** A layer's verified bytes (made earlier, or the base's). */
  blob: (desc: Descriptor) => Promise<Buffer>;
}

/** A parsed JSON object. */
export type Json = Record<string, unknown>;

/** How long buildah may take for one call (a package install can be slow). */
const BUILDAH_TIMEOUT_MS = 30 * 60 * 1000;

/** BUILD_FAILED with `message`. */
export function buildFailed(message: string): AirlockError {
  return new AirlockError(ErrorCodes.BUILD_FAILED, message);
}

/**
 * Runs `fn` with a new empty folder for buildah's storage and layouts, removed afterwards
 * whatever happens. Its own name is lower case: buildah names images after layout paths, and
 * image names are lower case.
 */
export async function withWorkDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = path.join(tmpdir(), `airlock-run-${randomBytes(8).toString('hex')}`);
  await fs.mkdir(dir, { recursive: true });
  try {
    return await fn(dir);
  } finally {
    await fs.rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

/**
 * Runs buildah with `args` under its own storage in `dir`; its stdout. BUILD_FAILED when
 * buildah is not on PATH (saying how to install it) or fails (its last output lines in the
 * message, `lines` of them).
 */
export function buildah(dir: string, args: string[], signal?: AbortSignal, lines = 5): Promise<string> {
  const all = ['--root', path.join(dir, 'root'), '--runroot', path.join(dir, 'run'), '--storage-driver', 'vfs', ...args];
  return new Promise((resolve, reject) => {
    // buildah pulls nothing (the image comes as a layout): registry credentials are none of its business.
    const env = { ...process.env };
    delete env.REGISTRY_AUTH_FILE;
    delete env.DOCKER_CONFIG;
    execFile('buildah', all, { env, maxBuffer: 64 * 1024 * 1024, timeout: BUILDAH_TIMEOUT_MS, ...(signal ? { signal } : {}) }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        return reject(buildFailed('--run, --rpms, --containerfile and --update need buildah, which is not on PATH (Debian/Ubuntu: apt-get install buildah)'));
      }
      const output = `${stdout}\n${stderr}`.trim() || err.message;
      reject(buildFailed(`buildah ${args[0]} failed: ${output.split('\n').slice(-lines).join('\n')}`));
    });
  });
}

/** Writes the image as an OCI layout named `base` in `dir`; returns the `oci:` reference to it. */
export async function writeLayout(dir: string, input: RunInput): Promise<string> {
  const blobs = path.join(dir, 'blobs', 'sha256');
  await fs.mkdir(blobs, { recursive: true });
  const put = (bytes: Buffer) => fs.writeFile(path.join(blobs, digestOf(bytes).slice('sha256:'.length)), bytes);
  const m = JSON.parse(input.manifest.toString('utf8')) as { mediaType?: string; layers: Descriptor[] };
  for (const layer of m.layers) await put(await input.blob(layer));
  await put(input.config);
  await put(input.manifest);
  await fs.writeFile(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const entry = { mediaType: m.mediaType ?? MediaTypes.ociManifest, digest: digestOf(input.manifest), size: input.manifest.length, annotations: { 'org.opencontainers.image.ref.name': 'base' } };
  await fs.writeFile(path.join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [entry] }));
  return `oci:${dir}:base`;
}

/**
 * What buildah wrote to the layout in `dir`: the uncompressed tars of the layers beyond
 * `before` (the base's diff IDs, which must be the first ones, unchanged) and its config.
 * A layer may come plain (buildah commit's default) or gzipped (buildah push); either way
 * its tar must be the diff ID the config names.
 */
export async function committedLayers(dir: string, before: readonly string[]): Promise<{ tars: Buffer[]; config: Json }> {
  const blob = (d: string) => fs.readFile(path.join(dir, 'blobs', 'sha256', d.slice('sha256:'.length)));
  const index = JSON.parse(await fs.readFile(path.join(dir, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
  const m = JSON.parse((await blob(index.manifests[0]!.digest)).toString('utf8')) as { config: Descriptor; layers: Descriptor[] };
  const config = JSON.parse((await blob(m.config.digest)).toString('utf8')) as Json & { rootfs: { diff_ids: string[] } };
  const ids = config.rootfs.diff_ids;
  if (before.some((d, i) => ids[i] !== d)) throw buildFailed('buildah changed the layers it started from; nothing was written');
  const tars: Buffer[] = [];
  for (const [i, desc] of m.layers.entries()) {
    if (i < before.length) continue;
    const bytes = await blob(desc.digest);
    const tar = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
    if (digestOf(tar) !== ids[i]) throw buildFailed(`buildah's layer ${desc.digest} is not the tar its config names`);
    tars.push(tar);
  }
  return { tars, config };
}

/**
 * The input image with `tars` as new layers (gzipped, recorded in `made`): their diff IDs
 * and `history` (entries for the new layers, possibly with empty ones between) added to the
 * config, which `edit` may change further; everything else of the manifest and config is
 * kept as it was.
 */
export function spliceLayers(input: RunInput, tars: readonly Buffer[], history: readonly Json[], made: MadeContent, edit?: (cfg: Json) => void): { manifest: Buffer; config: Buffer } {
  const cfg = JSON.parse(input.config.toString('utf8')) as Json;
  const rootfs = (cfg.rootfs as { type?: string; diff_ids?: string[] } | undefined) ?? {};
  const m = JSON.parse(input.manifest.toString('utf8')) as Json & { mediaType?: string; config: Descriptor; layers: Descriptor[] };
  const layerType = m.mediaType === MediaTypes.dockerManifest ? MediaTypes.dockerLayerGzip : MediaTypes.ociLayerGzip;
  const layers = tars.map((tar) => {
    const gz = gzipSync(tar, { level: 6 });
    const digest = digestOf(gz);
    made.set(digest, { bytes: gz, mediaType: layerType });
    return { mediaType: layerType, digest, size: gz.length };
  });
  cfg.rootfs = { ...rootfs, type: rootfs.type ?? 'layers', diff_ids: [...(rootfs.diff_ids ?? []), ...tars.map((t) => digestOf(t))] };
  if (history.length > 0) cfg.history = [...((cfg.history as unknown[] | undefined) ?? []), ...history];
  edit?.(cfg);
  const config = Buffer.from(JSON.stringify(cfg));
  const configDigest: Digest = digestOf(config);
  made.set(configDigest, { bytes: config, mediaType: m.config.mediaType });
  m.config = { ...m.config, digest: configDigest, size: config.length };
  m.layers = [...m.layers, ...layers];
  return { manifest: Buffer.from(JSON.stringify(m)), config };
}

/** The base's own time, not now, for history entries: the same inputs give the same config. */
export function createdOf(config: Buffer): string {
  const cfg = JSON.parse(config.toString('utf8')) as Json;
  return typeof cfg.created === 'string' ? cfg.created : '1970-01-01T00:00:00Z';
}

/** The diff IDs of an image config. */
export function diffIdsOf(config: Buffer): string[] {
  const cfg = JSON.parse(config.toString('utf8')) as { rootfs?: { diff_ids?: string[] } };
  return cfg.rootfs?.diff_ids ?? [];
}
