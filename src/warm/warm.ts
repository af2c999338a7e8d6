/**
 * Warms a node's containerd: asks it what it has, streams in only the blobs it lacks
 * (each verified on both sides: here while streaming, and by containerd before it commits),
 * then names the images with one `ctr images import` of a tar holding only an index.
 *
 * Crash safety: each blob is its own ingest, committed or not at all, and a holder (see
 * holder.ts) keeps every blob of the run from the garbage collector from the moment it is
 * committed until the images hold it; a rerun after a crash finds what is in and sends only
 * what is still missing.
 */
import { randomBytes } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import pLimit from 'p-limit';
import { AirlockError, ErrorCodes } from '../errors.js';
import type { Descriptor } from '../oci/descriptor.js';
import { digestHex, digestOf, VerifyingStream, type Digest } from '../oci/digest.js';
import { formatPlatform, type Platform } from '../oci/platform.js';
import { Ctr } from './ctr.js';
import { createHolder, holdersOf } from './holder.js';
import { namingIndex, namingTar } from './import-tar.js';
import type { WarmContent, WarmImage } from './plan.js';

/** Test-only stops, to kill a run at a known point: after N blobs are in, at N bytes sent, or before the import. */
export interface WarmPause {
  afterBlobs?: number;
  atBytes?: number;
  beforeImport?: boolean;
  /** Told where the run stopped; the run then waits until it is aborted. */
  onPause: (where: string) => void;
}

/** Options of `warm`. */
export interface WarmOptions {
  /** containerd's gRPC socket. */
  socket: string;
  namespace: string;
  /** The node's platform (what `planWarm` chose for). */
  platform: Platform;
  /** Unpack the images into the snapshotter. */
  unpack: boolean;
  /** The snapshotter to unpack into (ctr's default, overlayfs, when not given). */
  snapshotter?: string | undefined;
  /** The ctr binary. */
  ctr?: string | undefined;
  /** Blobs streamed at once (default 4). */
  jobs?: number;
  signal?: AbortSignal | undefined;
  /** Called after each blob is in. */
  onBlob?: (desc: Descriptor, sentBytes: number, totalBytes: number) => void;
  pause?: WarmPause | undefined;
  /** Read the node and report what would be sent and named, changing nothing. */
  dryRun?: boolean;
}

/** What happened to one image. */
export interface WarmImageReport {
  key: string;
  name: string;
  digest: Digest;
  platform: string | undefined;
  /** `skipped`: containerd had it, named, whole (and unpacked when asked); `warmed`: sent and named now; `planned`: a dry run would warm it. */
  status: 'skipped' | 'warmed' | 'planned';
  /** The digest the name had before, when warm moved it. */
  replaced?: Digest;
  /** Blobs the image needs on the node. */
  blobs: number;
  /** Of those, how many (and how many bytes) this run sent; a blob two images share counts for the first. */
  blobsSent: number;
  bytesSent: number;
  /** Blobs containerd already held in another namespace: committed into this one, no bytes sent. */
  blobsLinked: number;
}

/** The outcome of a warm run. */
export interface WarmReport {
  containerd: string;
  namespace: string;
  platform: string;
  unpack: boolean;
  images: WarmImageReport[];
  blobsSent: number;
  bytesSent: number;
  blobsLinked: number;
}

/** Send-import-check rounds at most (a round repeats only when containerd lost a blob meanwhile). */
const MAX_ROUNDS = 3;

/** A unique ingest reference: a new attempt never resumes (or inherits the bytes of) an abandoned one. */
const ingestRef = (d: Digest) => `airlock-warm-${digestHex(d).slice(0, 16)}-${process.pid}-${randomBytes(4).toString('hex')}`;

/** Waits until `signal` aborts (test pauses). */
function waitForAbort(signal: AbortSignal | undefined): Promise<never> {
  return new Promise((_, reject) => {
    if (signal?.aborted) reject(signal.reason);
    signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

/** Counts the bytes going to ctr; at `pause.atBytes` (test-only) it passes exactly that many and stalls. */
class Meter extends Transform {
  constructor(
    private readonly run: { sent: number },
    private readonly stop: WarmPause | undefined,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    const at = this.stop?.atBytes;
    if (at !== undefined && this.run.sent + chunk.length >= at) {
      if (this.run.sent < at) {
        this.push(chunk.subarray(0, at - this.run.sent));
        this.run.sent = at;
        this.stop!.onPause(`at ${at} bytes`);
      }
      return; // never calls back: the run stalls here until it is killed or aborted
    }
    this.run.sent += chunk.length;
    cb(null, chunk);
  }
}

/**
 * Warms containerd at `opts.socket` with `images` (from `planWarm`) read from `src`.
 * CONTAINERD_FAILED when containerd is unreachable or refuses a step; DIGEST_MISMATCH or
 * SIZE_MISMATCH when the source holds a damaged blob (nothing of it is committed); the
 * abort reason when `opts.signal` fires (every ctr killed).
 */
export async function warm(images: WarmImage[], src: WarmContent, opts: WarmOptions): Promise<WarmReport> {
  const failure = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, failure.signal]) : failure.signal;
  const ctr = new Ctr({ socket: opts.socket, namespace: opts.namespace, signal, ...(opts.ctr ? { bin: opts.ctr } : {}) });
  await ctr.probe();
  const platform = formatPlatform(opts.platform);

  // What the node has.
  const [named, present] = await Promise.all([ctr.images(), ctr.content()]);
  const unpacked = opts.unpack ? await ctr.unpacked(opts.snapshotter) : undefined;

  const reports = new Map<WarmImage, WarmImageReport>();
  const toName: WarmImage[] = [];
  for (const image of images) {
    const has = named.get(image.name);
    const whole = image.blobs.every((b) => present.has(b.digest));
    const skipped = has === image.root.digest && whole && (!unpacked || unpacked.get(image.name) === true);
    reports.set(image, {
      key: image.key,
      name: image.name,
      digest: image.root.digest,
      platform: image.platform,
      status: skipped ? 'skipped' : 'warmed',
      ...(has !== undefined && has !== image.root.digest ? { replaced: has } : {}),
      blobs: image.blobs.length,
      blobsSent: 0,
      bytesSent: 0,
      blobsLinked: 0,
    });
    if (!skipped) toName.push(image);
  }

  if (opts.dryRun) return plannedReport(images, toName, reports, present, opts);

  const limit = pLimit(Math.max(1, opts.jobs ?? 4));
  // Every blob of the images to name, kept from the garbage collector before any is sent.
  const needed = new Set(images.flatMap((i) => i.blobs.map((b) => b.digest)));
  const holder = toName.length > 0 ? await createHolder(ctr, [...new Set(toName.flatMap((i) => i.blobs.map((b) => b.digest)))]) : undefined;
  const meter = { sent: 0 };
  let sent = 0;
  let blobsIn = 0;
  let presentAfter = present;
  // A blob present at the start may be gone by the import (another image that held it was
  // removed, and the garbage collector ran): the check after the import finds it, and the
  // next round sends it.
  for (let round = 1; ; round++) {
    const toSend: { desc: Descriptor; report: WarmImageReport }[] = [];
    const queued = new Set<Digest>();
    for (const image of toName) {
      for (const b of image.blobs) {
        if (presentAfter.has(b.digest) || queued.has(b.digest)) continue;
        queued.add(b.digest);
        toSend.push({ desc: b, report: reports.get(image)! });
      }
    }

    // Only what is missing, each blob once; the holder keeps it from its commit on.
    const total = sent + toSend.reduce((n, x) => n + x.desc.size, 0);
    const sendOne = async ({ desc, report }: { desc: Descriptor; report: WarmImageReport }) => {
      signal.throwIfAborted();
      const data = await src.layout.readBlob(desc.digest);
      const how = await ctr.ingest(desc, data, ingestRef(desc.digest), new VerifyingStream(desc.digest, desc.size, `blob ${desc.digest} in ${src.where}`), new Meter(meter, opts.pause));
      if (how === 'linked') report.blobsLinked++;
      else {
        report.blobsSent++;
        report.bytesSent += desc.size;
        sent += desc.size;
      }
      blobsIn++;
      opts.onBlob?.(desc, sent, total);
      if (opts.pause?.afterBlobs !== undefined && blobsIn >= opts.pause.afterBlobs) {
        opts.pause.onPause(`after ${blobsIn} blobs`);
        await waitForAbort(signal);
      }
    };
    try {
      await Promise.all(
        toSend.map((x) =>
          limit(() =>
            sendOne(x).catch((err: unknown) => {
              // The first failure stops the others (their ctr is killed).
              if (!failure.signal.aborted && !opts.signal?.aborted) failure.abort(err);
              throw err;
            }),
          ),
        ),
      );
    } catch (err) {
      throw opts.signal?.aborted ? opts.signal.reason : failure.signal.aborted ? failure.signal.reason : err;
    }

    if (opts.pause?.beforeImport) {
      opts.pause.onPause('before the import');
      await waitForAbort(signal);
    }

    // Name (and unpack) the images: their content is all there now. containerd keeps the tar's
    // index.json as a blob nothing needs: it goes at once rather than at the next collection.
    if (toName.length > 0) {
      await ctr.importImages(await namingTar(toName), { platform, unpack: opts.unpack, ...(opts.snapshotter ? { snapshotter: opts.snapshotter } : {}) });
      const index = digestOf(namingIndex(toName));
      if (!needed.has(index)) await ctr.remove(index);
    }

    // Check what containerd holds now.
    const [namedAfter, contentAfter] = await Promise.all([ctr.images(), ctr.content()]);
    presentAfter = contentAfter;
    const lacking = images.flatMap((image) => image.blobs.filter((b) => !presentAfter.has(b.digest)).map((b) => ({ image, digest: b.digest })));
    if (lacking.length > 0) {
      if (round < MAX_ROUNDS) continue;
      throw new AirlockError(
        ErrorCodes.CONTAINERD_FAILED,
        `containerd lost ${lacking.map((l) => `${l.digest} (${l.image.name})`).join(', ')} again and again while warm ran: run warm again`,
        { missing: lacking.map((l) => l.digest) },
      );
    }
    const unpackedAfter = opts.unpack && toName.length > 0 ? await ctr.unpacked(opts.snapshotter) : unpacked;
    for (const image of images) {
      const now = namedAfter.get(image.name);
      if (now !== image.root.digest) {
        throw new AirlockError(ErrorCodes.CONTAINERD_FAILED, `${image.name}: containerd names ${now ?? 'nothing'} after the import, not ${image.root.digest}`, { image: image.name });
      }
      if (unpackedAfter && unpackedAfter.get(image.name) !== true) {
        throw new AirlockError(ErrorCodes.CONTAINERD_FAILED, `${image.name}: not unpacked after the import${opts.snapshotter ? ` (snapshotter ${opts.snapshotter})` : ''}`, { image: image.name });
      }
    }
    break;
  }

  // The images hold their blobs now: the holder goes, and so do holders of earlier, killed
  // runs that kept nothing but blobs these images hold.
  const done = new Set<Digest>(holdersOf(presentAfter, needed));
  if (holder) done.add(holder);
  await Promise.all([...done].map((d) => limit(() => ctr.remove(d))));

  return {
    containerd: opts.socket,
    namespace: opts.namespace,
    platform,
    unpack: opts.unpack,
    images: [...reports.values()],
    blobsSent: [...reports.values()].reduce((n, r) => n + r.blobsSent, 0),
    bytesSent: [...reports.values()].reduce((n, r) => n + r.bytesSent, 0),
    blobsLinked: [...reports.values()].reduce((n, r) => n + r.blobsLinked, 0),
  };
}

/** A dry run's report: the images that would be warmed, with the blobs and bytes that would go (each blob counted once, for the first image needing it). */
function plannedReport(images: WarmImage[], toName: WarmImage[], reports: Map<WarmImage, WarmImageReport>, present: ReadonlyMap<Digest, unknown>, opts: WarmOptions): WarmReport {
  const queued = new Set<Digest>();
  for (const image of toName) {
    const report = reports.get(image)!;
    report.status = 'planned';
    for (const b of image.blobs) {
      if (present.has(b.digest) || queued.has(b.digest)) continue;
      queued.add(b.digest);
      report.blobsSent++;
      report.bytesSent += b.size;
    }
  }
  const list = images.map((i) => reports.get(i)!);
  return {
    containerd: opts.socket,
    namespace: opts.namespace,
    platform: formatPlatform(opts.platform),
    unpack: opts.unpack,
    images: list,
    blobsSent: list.reduce((n, r) => n + r.blobsSent, 0),
    bytesSent: list.reduce((n, r) => n + r.bytesSent, 0),
    blobsLinked: 0,
  };
}
