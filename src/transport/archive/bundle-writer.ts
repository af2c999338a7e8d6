/**
 * Writes a bundle: an OCI image layout in a plain tar, deterministic and streamed.
 *
 * - Entries, in this order: `oci-layout`, `index.json` (each image named with both
 *   `org.opencontainers.image.ref.name` and `io.containerd.image.name`, sorted by name),
 *   `airlock/images.lock.yaml`, `airlock/checksums.sha256` (`sha256sum -c` format, every
 *   other file), then the plan's plain files (airlock itself, with --include-self), then every
 *   blob once under `blobs/sha256/<hex>`, sorted by digest.
 * - Fixed headers (mode 0644, uid/gid 0, no owner names, mtime 0): the same images and lock
 *   give the same bytes.
 * - Blobs stream from the store through a digest check into the tar: memory does not grow
 *   with the bundle, and a blob that does not match its digest stops the write.
 * - Written to a temporary file next to the target and renamed when complete: a bundle
 *   under its final name is always whole.
 * - With `zstd`, the tar is compressed on its way out (not deterministic across zstd versions).
 * - With `split`, the same bytes are cut into numbered volumes (see volume-set.ts), listed
 *   with their sizes, sha256 and the tar's entry table in images.bundle.json, written last.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, promises as fs } from 'node:fs';
import type { Writable } from 'node:stream';
import * as path from 'node:path';
import { finished, pipeline } from 'node:stream/promises';
import { AirlockError, ErrorCodes } from '../../errors.js';
import { Annotations, type Descriptor } from '../../oci/descriptor.js';
import { digestAlgorithm, digestHex, type Digest } from '../../oci/digest.js';
import { MediaTypes } from '../../oci/mediatypes.js';
import { IMAGE_LAYOUT_VERSION } from '../layout/layout.js';
import { END_OF_ARCHIVE, fileHeader, padding, TAR_BLOCK } from './tar-blocks.js';
import { indexTarSource } from './tar-index.js';
import { formatVolumeManifest, VOLUME_MANIFEST_VERSION, volumeManifestName, volumeName, VolumeSet, type VolumeInfo, type VolumeManifest } from './volume-set.js';
import { VolumeWriter } from './volume-writer.js';
import { zstdCompress } from './zstd.js';

/** Where the lock and the checksum list live in a bundle. */
export const BUNDLE_LOCK = 'airlock/images.lock.yaml';
export const BUNDLE_CHECKSUMS = 'airlock/checksums.sha256';
/** In a differential bundle: the blobs left out, and the inventory they were left out against. */
export const BUNDLE_DIFFERENTIAL = 'airlock/differential.json';

/** What a differential bundle assumes the target holds. */
export interface BundleAssumed {
  /** The inventory's `of`: what was listed. */
  against: { kind: string; location: string };
  /** Each blob left out: its size, and a repository holding it on a registry target. */
  blobs: Record<Digest, { size: number; repository?: string }>;
  /** Images the target holds whole, left out entirely: name (as the store names it) -> root digest. */
  images?: Record<string, Digest>;
}

/** A plain file a bundle carries beside the layout (airlock's own executable): listed in the checksum list, streamed from `path`. */
export interface BundleFile {
  /** Its name in the bundle (`airlock/bin/airlock-linux-x64`). */
  name: string;
  path: string;
  size: number;
  /** sha256 hex of its bytes, as hashed when planned; the write checks the bytes it copies against it. */
  sha256: string;
}

/** One image of a bundle: its name inside, and its root manifest. */
export interface BundleImage {
  name: string;
  descriptor: Descriptor;
}

/** What goes into a bundle. */
export interface BundlePlan {
  images: BundleImage[];
  /** Every blob the images reach (manifests included), with its size. */
  blobs: Map<Digest, number>;
  /** The lock text, as it is carried. */
  lock: string;
  /** For a differential bundle: the blobs the images need that it leaves out. */
  assumed?: BundleAssumed;
  /** Plain files carried after the metadata, before the blobs. */
  files?: BundleFile[];
}

/** What was written. */
export interface BundleWritten {
  /** The bundle, or for a split bundle its images.bundle.json. */
  file: string;
  bytes: number;
  blobs: number;
  blobBytes: number;
  /** For a split bundle: the volumes, in order. */
  volumes?: VolumeInfo[];
}

/** Where the tar bytes go: one file, or volumes. */
interface BundleTarget {
  stream: Writable;
  commit(): Promise<{ file: string; bytes: number; volumes?: VolumeInfo[] }>;
  abort(): Promise<void>;
}

function fileTarget(file: string): BundleTarget {
  const tmp = path.join(path.dirname(path.resolve(file)), `.${path.basename(file)}.${process.pid}.tmp`);
  return {
    stream: createWriteStream(tmp, { flags: 'wx' }),
    commit: async () => {
      await fs.rename(tmp, file);
      return { file, bytes: (await fs.stat(file)).size };
    },
    abort: () => fs.rm(tmp, { force: true }),
  };
}

function volumesTarget(file: string, size: number, compressed: boolean): BundleTarget {
  const writer = new VolumeWriter(file, size, (i) => volumeName(file, i));
  return {
    stream: writer,
    commit: async () => {
      await writer.commit();
      // Volumes of an earlier, longer split of the same name would only mislead.
      for (let i = writer.volumes.length; ; i++) {
        const stale = volumeName(file, i);
        if (!(await fs.stat(stale).then(() => true, () => false))) break;
        await fs.rm(stale, { force: true });
      }
      const manifestFile = volumeManifestName(file);
      const whole = writer.summary();
      const manifest: VolumeManifest = { airlockBundleVolumes: VOLUME_MANIFEST_VERSION, ...whole, ...(compressed ? { compression: 'zstd' as const } : {}), volumes: writer.volumes, entries: [] };
      if (!compressed) {
        const set = new VolumeSet(manifestFile, manifest);
        const tar = await indexTarSource(set).finally(() => set.close());
        manifest.entries = [...tar.entries.values()].map((e) => [e.name, e.offset, e.size]);
      }
      const tmp = `${manifestFile}.${process.pid}.tmp`;
      await fs.writeFile(tmp, formatVolumeManifest(manifest));
      await fs.rename(tmp, manifestFile);
      return { file: manifestFile, bytes: whole.size, volumes: writer.volumes };
    },
    abort: () => writer.abort(),
  };
}

const sha256Hex = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** The small files of a bundle, in order, with their bytes. */
function metadataFiles(plan: BundlePlan): [string, Buffer][] {
  const manifests = [...plan.images]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((i) => ({
      mediaType: i.descriptor.mediaType,
      digest: i.descriptor.digest,
      size: i.descriptor.size,
      annotations: { [Annotations.containerdName]: i.name, [Annotations.refName]: i.name },
    }));
  const files: [string, Buffer][] = [
    ['oci-layout', Buffer.from(JSON.stringify({ imageLayoutVersion: IMAGE_LAYOUT_VERSION }))],
    ['index.json', Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests }))],
    [BUNDLE_LOCK, Buffer.from(plan.lock)],
  ];
  if (plan.assumed) {
    const blobs = Object.fromEntries(Object.keys(plan.assumed.blobs).sort().map((d) => [d, plan.assumed!.blobs[d as Digest]]));
    const images = plan.assumed.images ? { images: Object.fromEntries(Object.entries(plan.assumed.images).sort(([a], [b]) => (a < b ? -1 : 1))) } : {};
    files.push([BUNDLE_DIFFERENTIAL, Buffer.from(`${JSON.stringify({ against: plan.assumed.against, blobs, ...images })}\n`)]);
  }
  const sums = [
    ...files.map(([name, bytes]) => `${sha256Hex(bytes)}  ${name}`),
    ...(plan.files ?? []).map((f) => `${f.sha256}  ${f.name}`),
    ...blobOrder(plan).map((d) => `${digestHex(d)}  ${blobName(d)}`),
  ];
  files.push([BUNDLE_CHECKSUMS, Buffer.from(`${sums.join('\n')}\n`)]);
  return files;
}

const blobName = (d: Digest) => `blobs/${digestAlgorithm(d)}/${digestHex(d)}`;
const blobOrder = (plan: BundlePlan) => [...plan.blobs.keys()].sort();

/** Stored blobs by path: the store, which bundles are written from. */
export interface BlobFiles {
  readonly dir: string;
  blobPath(digest: Digest): string;
}

/** Buffers a blob is read through; each is reused once the write that used it is done. */
const CHUNK = 1024 * 1024;
const CHUNKS = 4;

/**
 * Writes chunks to `out` in order, a bounded number in flight, so the caller may reuse a
 * chunk's buffer once `ready(buffer)` resolves.
 */
class ChunkWriter {
  private readonly inFlight = new Map<Buffer, Promise<void>>();
  private failed: unknown;

  constructor(private readonly out: Writable) {}

  /** Queues `bytes` (a view of `owner`, or its own buffer); throws the first write error seen. */
  write(bytes: Buffer, owner: Buffer = bytes): void {
    if (this.failed) throw this.failed;
    const done = new Promise<void>((resolve) => {
      this.out.write(bytes, (err) => {
        if (err) this.failed ??= err;
        resolve();
      });
    });
    this.inFlight.set(owner, done);
  }

  /** Resolves when `buffer` may be written into again. */
  async ready(buffer: Buffer): Promise<void> {
    await this.inFlight.get(buffer);
    if (this.failed) throw this.failed;
  }

  /** Waits for every queued write; throws the first error. */
  async flush(): Promise<void> {
    await Promise.all(this.inFlight.values());
    if (this.failed) throw this.failed;
  }
}

/** Streams one stored blob into the archive through a digest check; DIGEST_MISMATCH or SIZE_MISMATCH when it is damaged. */
async function writeBlob(w: ChunkWriter, buffers: Buffer[], store: BlobFiles, digest: Digest, size: number, signal?: AbortSignal): Promise<void> {
  await writeChecked(w, buffers, store.blobPath(digest), size, digest, `blob ${digest} in ${store.dir}`, signal);
}

/**
 * Streams `file` into the archive through a sha256 check against `digest`; SIZE_MISMATCH or
 * DIGEST_MISMATCH (`what` names it) when its bytes are not the ones planned.
 */
async function writeChecked(w: ChunkWriter, buffers: Buffer[], file: string, size: number, digest: Digest, what: string, signal?: AbortSignal): Promise<void> {
  const handle = await fs.open(file, 'r');
  try {
    const hash = createHash('sha256');
    let at = 0;
    for (let i = 0; at < size; i++) {
      signal?.throwIfAborted();
      const buf = buffers[i % buffers.length]!;
      await w.ready(buf);
      const { bytesRead } = await handle.read(buf, 0, Math.min(buf.length, size - at), at);
      if (bytesRead === 0) throw new AirlockError(ErrorCodes.SIZE_MISMATCH, `${what}: ${at} bytes, expected ${size}`, { digest, expected: size, actual: at });
      const part = buf.subarray(0, bytesRead);
      hash.update(part);
      w.write(part, buf);
      at += bytesRead;
    }
    const extra = await handle.read(Buffer.alloc(1), 0, 1, size);
    if (extra.bytesRead > 0) throw new AirlockError(ErrorCodes.SIZE_MISMATCH, `${what}: more than ${size} bytes`, { digest, expected: size });
    const actual = `sha256:${hash.digest('hex')}`;
    if (actual !== digest) throw new AirlockError(ErrorCodes.DIGEST_MISMATCH, `${what}: expected ${digest}, got ${actual}`, { expected: digest, actual });
  } finally {
    await handle.close();
  }
}

/**
 * Writes `plan` as a bundle at `file`, reading blobs from `source` (the store). Blobs that
 * are not sha256 are refused (the checksum list is sha256). DIGEST_MISMATCH or SIZE_MISMATCH
 * when the source holds a damaged blob; nothing is left at `file` then.
 */
export async function writeBundle(
  file: string,
  plan: BundlePlan,
  source: BlobFiles,
  opts: { signal?: AbortSignal; onBlob?: (bytes: number) => void; split?: number; zstd?: boolean } = {},
): Promise<BundleWritten> {
  for (const d of plan.blobs.keys()) {
    if (digestAlgorithm(d) !== 'sha256') throw new AirlockError(ErrorCodes.MEDIA_TYPE_UNSUPPORTED, `bundle: ${d} is not a sha256 digest`, { digest: d });
  }
  const target = opts.split ? volumesTarget(file, opts.split, Boolean(opts.zstd)) : fileTarget(file);
  // Chunks go to a writer that is done with them when it calls back (a file, the volumes, zstd),
  // never through a stream that passes the buffer on: buffers are reused after the callback.
  const compressor = opts.zstd ? zstdCompress() : undefined;
  const out: Writable = compressor ?? target.stream;
  const written = compressor ? pipeline(compressor, target.stream) : finished(out);
  let blobBytes = 0;
  try {
    const feed = async () => {
      const w = new ChunkWriter(out);
      const entry = async (name: string, size: number, content: () => Promise<void>) => {
        w.write(fileHeader(name, size));
        await content();
        if (size % TAR_BLOCK !== 0) w.write(padding(size));
      };
      for (const [name, bytes] of metadataFiles(plan)) await entry(name, bytes.length, async () => w.write(bytes));
      const buffers = Array.from({ length: CHUNKS }, () => Buffer.allocUnsafe(CHUNK));
      for (const f of plan.files ?? []) {
        await entry(f.name, f.size, () => writeChecked(w, buffers, f.path, f.size, `sha256:${f.sha256}` as Digest, `${f.name} from ${f.path} (changed since it was hashed?)`, opts.signal));
      }
      for (const d of blobOrder(plan)) {
        const size = plan.blobs.get(d)!;
        await entry(blobName(d), size, () => writeBlob(w, buffers, source, d, size, opts.signal));
        blobBytes += size;
        opts.onBlob?.(size);
      }
      w.write(END_OF_ARCHIVE);
      await w.flush();
      out.end();
    };
    await Promise.all([
      feed().catch((err: unknown) => {
        out.destroy(err as Error);
        throw err;
      }),
      written,
    ]);
    const done = await target.commit();
    return { ...done, blobs: plan.blobs.size, blobBytes };
  } catch (err) {
    await target.abort();
    throw err;
  }
}
