/**
 * One image of a docker-archive as a registry would serve it: a Docker v2 schema 2 manifest
 * synthesised from the config and the layer files, as containers/image does, except that a
 * layer keeps its bytes (and so its digest) as stored: an uncompressed tar is named by its
 * sha256 (its diff_id) with the uncompressed Docker layer type, a gzip or zstd file by the
 * sha256 of its compressed bytes with the matching compressed type.
 *
 * Everything that can be checked is, before anything is copied: the config's bytes against
 * a name that claims a digest (`<hex>.json`, `blobs/sha256/<hex>`), each uncompressed (or
 * gzip, decompressed while hashing) layer against its config diff_id, as `docker load`
 * does, and each layer against a digest its name claims. zstd layers cannot be decompressed
 * here, so only their name is checked.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { createGunzip, type Gunzip } from 'node:zlib';
import { AirlockError, ErrorCodes } from '../../errors.js';
import type { Descriptor } from '../../oci/descriptor.js';
import { digestOf, isDigest, type Digest } from '../../oci/digest.js';
import { MediaTypes } from '../../oci/mediatypes.js';
import { ArchiveLayerTypes, compressionOf, digestNamed, quoted, type ArchiveItem } from './docker-archive-format.js';
import type { LinkedTarIndex, TarEntry } from './tar-index.js';
import { resolveEntry } from './tar-links.js';

/** Largest config (or manifest.json) read into memory. */
export const MAX_ARCHIVE_JSON_BYTES = 64 * 1024 * 1024;

/** What hashing a layer file tells. */
export interface LayerFacts {
  /** sha256 of the bytes as stored. */
  digest: Digest;
  compression: 'gzip' | 'zstd' | undefined;
  /** sha256 of the uncompressed tar, when known (plain or gzip). */
  diffId: Digest | undefined;
}

/** An image of the archive, synthesised. */
export interface ArchiveImage {
  manifest: Buffer;
  descriptor: Descriptor;
  /** The config and layer files by digest. */
  blobs: Map<Digest, TarEntry>;
}

function invalid(file: string, message: string, details: Record<string, unknown> = {}): AirlockError {
  return new AirlockError(ErrorCodes.ARCHIVE_INVALID, `${file}: ${message}`, { file, ...details });
}

function mismatch(file: string, message: string, expected: string, actual: string): AirlockError {
  return new AirlockError(ErrorCodes.DIGEST_MISMATCH, `${file}: ${message}`, { file, expected, actual });
}

/** A byte range of the archive as a stream. */
export function entryStream(file: string, e: TarEntry): Readable {
  return e.size === 0 ? Readable.from([]) : createReadStream(file, { start: e.offset, end: e.offset + e.size - 1 });
}

export async function readEntry(file: string, e: TarEntry): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of entryStream(file, e)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Resolves once `s` drained or failed (the caller checks for the failure). */
function drained(s: NodeJS.EventEmitter): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      s.off('drain', done);
      s.off('error', done);
      resolve();
    };
    s.on('drain', done);
    s.on('error', done);
  });
}

/** Hashes a layer file once: its own digest, its compression, and for plain and gzip layers its diff_id. */
export async function hashLayer(file: string, e: TarEntry): Promise<LayerFacts> {
  const outer = createHash('sha256');
  let compression: LayerFacts['compression'];
  let inner: Hash | undefined;
  let gunzip: Gunzip | undefined;
  let gzError: Error | undefined;
  let first = true;
  try {
    for await (const c of entryStream(file, e)) {
      const chunk = c as Buffer;
      if (first) {
        first = false;
        compression = compressionOf(chunk);
        if (compression !== 'zstd') inner = compression ? createHash('sha256') : outer;
        if (compression === 'gzip') {
          gunzip = createGunzip();
          gunzip.on('data', (d: Buffer) => inner!.update(d));
          gunzip.on('error', (err) => (gzError ??= err));
        }
      }
      outer.update(chunk);
      if (gunzip && !gzError && !gunzip.write(chunk)) await drained(gunzip);
      if (gzError) throw gzError;
    }
    if (gunzip) {
      gunzip.end();
      await finished(gunzip);
    }
  } catch (err) {
    gunzip?.destroy();
    if (gzError) throw invalid(file, `layer ${quoted(e.name)} is not valid gzip: ${gzError.message}`, { entry: e.name });
    throw err;
  }
  const digest = `sha256:${outer.digest('hex')}` as Digest;
  // An empty file: a plain (if useless) layer.
  const diffId = first ? digest : inner ? (inner === outer ? digest : (`sha256:${inner.digest('hex')}` as Digest)) : undefined;
  return { digest, compression, diffId };
}

function layerType(compression: LayerFacts['compression']): string {
  return compression ? ArchiveLayerTypes[compression] : ArchiveLayerTypes.tar;
}

/** The config's rootfs.diff_ids; ARCHIVE_INVALID when the config is not an image config. */
function diffIdsOf(bytes: Buffer, file: string, name: string): Digest[] {
  let json: { rootfs?: { diff_ids?: unknown } };
  try {
    json = JSON.parse(bytes.toString('utf8')) as typeof json;
  } catch {
    throw invalid(file, `config ${quoted(name)} is not JSON`, { entry: name });
  }
  const ids = json?.rootfs?.diff_ids;
  if (!Array.isArray(ids) || ids.some((d) => typeof d !== 'string' || !isDigest(d))) {
    throw invalid(file, `config ${quoted(name)} has no valid rootfs.diff_ids`, { entry: name });
  }
  return ids as Digest[];
}

/**
 * Synthesises image `index` of the archive (`item` in manifest.json). `layerFacts` hashes a
 * layer file (the caller caches it: a layer several images share is read once).
 */
export async function synthesise(
  tar: LinkedTarIndex,
  item: ArchiveItem,
  index: number,
  layerFacts: (e: TarEntry) => Promise<LayerFacts>,
): Promise<ArchiveImage> {
  const file = tar.file;
  const where = `image ${index} of manifest.json`;
  const configAt = resolveEntry(tar, item.config);
  if (!configAt) throw invalid(file, `${where} names config ${quoted(item.config)}, which is not in the archive`, { entry: item.config });
  if (configAt.entry.size > MAX_ARCHIVE_JSON_BYTES) throw invalid(file, `config ${quoted(item.config)} is over ${MAX_ARCHIVE_JSON_BYTES} bytes`);
  const config = await readEntry(file, configAt.entry);
  const configDigest = digestOf(config);
  for (const n of configAt.names) {
    const claimed = digestNamed(n);
    if (claimed && claimed !== configDigest) throw mismatch(file, `config ${quoted(n)} hashes to ${configDigest}, its name says ${claimed}`, claimed, configDigest);
  }
  const diffIds = diffIdsOf(config, file, item.config);
  if (diffIds.length !== item.layers.length) {
    throw invalid(file, `${where} lists ${item.layers.length} layers, its config ${diffIds.length} diff_ids`, { entry: item.config });
  }
  const found = item.layers.map((name) => {
    const at = resolveEntry(tar, name);
    if (!at) throw invalid(file, `${where} names layer ${quoted(name)}, which is not in the archive`, { entry: name });
    return at;
  });
  const hashed = await Promise.all(found.map((at) => layerFacts(at.entry)));
  const blobs = new Map<Digest, TarEntry>([[configDigest, configAt.entry]]);
  const layers: Descriptor[] = [];
  for (const [i, name] of item.layers.entries()) {
    const at = found[i]!;
    const facts = hashed[i]!;
    const diffId = diffIds[i]!;
    if (facts.diffId !== undefined && facts.diffId !== diffId) {
      throw mismatch(file, `layer ${quoted(name)} unpacks to ${facts.diffId}, its config's diff_id is ${diffId}`, diffId, facts.diffId);
    }
    for (const n of at.names) {
      const claimed = digestNamed(n);
      if (claimed && claimed !== facts.digest && claimed !== diffId) {
        throw mismatch(file, `layer ${quoted(n)} hashes to ${facts.digest}, its name says ${claimed}`, claimed, facts.digest);
      }
    }
    blobs.set(facts.digest, at.entry);
    layers.push({ mediaType: layerType(facts.compression), size: at.entry.size, digest: facts.digest });
  }
  // Field order as Go's Docker schema 2 types marshal it.
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaTypes.dockerManifest,
      config: { mediaType: MediaTypes.dockerConfig, size: config.length, digest: configDigest },
      layers: layers.map((l) => ({ mediaType: l.mediaType, size: l.size, digest: l.digest })),
    }),
  );
  return { manifest, descriptor: { mediaType: MediaTypes.dockerManifest, digest: digestOf(manifest), size: manifest.length }, blobs };
}
