import pLimit from 'p-limit';
import { toAirlockError } from '../errors.js';
import type { Descriptor } from '../oci/descriptor.js';
import type { Digest } from '../oci/digest.js';
import { parseManifest, type Manifest } from '../oci/manifest.js';
import type { Platform } from '../oci/platform.js';
import { retryPolicy, type RetryPolicy } from '../retry/index.js';
import type { Sink, SinkCapabilities, Source } from '../transport/types.js';
import { BlobLadder } from './blob.js';
import { accepts, adaptManifest, restrictToFormat, type ManifestFormat } from './convert.js';
import type { BlobAction, CopyEvent } from './events.js';
import { filterIndex, type ManifestBytes } from './filter.js';
import { emptyResult, type ImageResult } from './result.js';

/** Options of a copy run, shared by every image in it. */
export interface CopyRunOptions {
  /** Keep only these platforms of a multi-arch index (default: all). */
  platforms?: Platform[];
  /** Write manifests in this format, converting where needed (default: as the source has them). */
  format?: ManifestFormat;
  /** Blobs copied at once across the whole run (default 8). */
  blobJobs?: number;
  /** How a blob transfer is retried: the run's one policy (default: 4 retries, capped full-jitter backoff). */
  retry?: Partial<RetryPolicy>;
  /** Read and compare only; write nothing. */
  dryRun?: boolean;
  onEvent?: (e: CopyEvent) => void;
  signal?: AbortSignal;
}

/** What one image of a run may set for itself. */
export interface ImageCopyOptions {
  /** Platforms to keep; replaces the run's. */
  platforms?: Platform[];
  /** What a lock already knows: a destination naming `result` is up to date, the source is not read. */
  pinned?: { source: Descriptor; result: Digest };
}

/** Live totals for progress displays. */
export interface RunTotals {
  bytesSent: number;
}

/** What one image's copy writes, worked out before anything is written. */
interface WritePlan {
  /** Every blob use of the written manifests (a layer two platforms share is listed twice; the ladder moves it once). */
  blobs: Descriptor[];
  /** Child manifests to write, children before parents. */
  manifests: ManifestBytes[];
  /** The manifest the destination reference will name. */
  root: ManifestBytes;
}

/**
 * One copy run: the single engine behind `copy`, `mirror` and every other route. Images
 * copied through the same run share its blob ladder, so each digest is transferred once
 * per destination scope even when many images use it. The engine adapts to what each sink
 * declares (`SinkCapabilities`): it mounts where the sink can, serialises blob writes for
 * sinks that take one at a time, and converts manifests a sink does not accept.
 */
export class CopyRun {
  readonly totals: RunTotals = { bytesSent: 0 };
  private readonly ladder: BlobLadder;
  private readonly opts: CopyRunOptions;

  constructor(opts: CopyRunOptions = {}) {
    this.opts = opts;
    const limit = pLimit(opts.blobJobs ?? 8);
    this.ladder = new BlobLadder({
      retry: retryPolicy(opts.retry),
      limit: (fn) => limit(fn),
      onBytes: (n) => {
        this.totals.bytesSent += n;
      },
      onRetry: (desc, attempt, err, destination) => {
        const e = toAirlockError(err);
        this.emit({ type: 'blob-retry', destination, digest: desc.digest, attempt, code: e.code, message: e.message });
      },
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  }

  /**
   * Copies the image `source` names to `sink`. Never throws: failures come back as a
   * result with status `failed` and a stable error code. The sink is committed on success
   * and closed in every case.
   */
  async copyImage(source: Source, sink: Sink, image: ImageCopyOptions = {}): Promise<ImageResult> {
    const started = Date.now();
    const result = emptyResult(source.description, sink.description);
    this.emit({ type: 'image-start', source: source.description, destination: sink.description });
    try {
      await this.copyInto(source, sink, result, image);
      if (!this.opts.dryRun && result.status === 'copied') await sink.commit();
    } catch (err) {
      const e = toAirlockError(err);
      result.status = 'failed';
      result.error = { code: e.code, message: e.message };
    } finally {
      await sink.close().catch(() => undefined);
      await source.close().catch(() => undefined);
    }
    result.durationMs = Date.now() - started;
    this.emit({ type: 'image-done', result });
    return result;
  }

  /** Records an image that failed before its copy could start (e.g. a location that would not open). */
  recordFailure(source: string, destination: string, err: unknown): ImageResult {
    const e = toAirlockError(err);
    const result: ImageResult = { ...emptyResult(source, destination), status: 'failed', error: { code: e.code, message: e.message } };
    this.emit({ type: 'image-done', result });
    return result;
  }

  private async copyInto(source: Source, sink: Sink, result: ImageResult, image: ImageCopyOptions): Promise<void> {
    const caps = restrictToFormat(sink.capabilities, this.opts.format);
    const platforms = image.platforms ?? this.opts.platforms;
    const filtering = (platforms?.length ?? 0) > 0;
    // A lock knows the outcome: one request to the destination decides, the source is not read.
    const current = image.pinned ? await sink.current() : undefined;
    if (image.pinned && current?.digest === image.pinned.result) {
      Object.assign(result, { status: 'up-to-date', digest: current.digest, sourceDigest: image.pinned.source.digest, mediaType: image.pinned.source.mediaType });
      return;
    }
    const [rootDesc, now] = await Promise.all([source.resolve(), image.pinned ? current! : sink.current()]);
    result.sourceDigest = rootDesc.digest;
    result.mediaType = rootDesc.mediaType;
    // The no-op case: both sides already name the same manifest. Two HEADs, nothing else.
    if (!filtering && accepts(caps, rootDesc.mediaType) && now?.digest === rootDesc.digest) {
      result.status = 'up-to-date';
      result.digest = rootDesc.digest;
      return;
    }
    const fetched = await source.getManifest(rootDesc.digest);
    let root: ManifestBytes = { bytes: fetched.bytes, desc: { ...rootDesc, mediaType: fetched.mediaType } };
    let manifest = parseManifest(fetched.bytes, fetched.mediaType);
    if (filtering && manifest.kind === 'index') {
      const filtered = filterIndex(fetched.bytes, manifest, platforms!);
      root = { bytes: filtered.bytes, desc: filtered.desc };
      manifest = { ...manifest, manifests: filtered.kept };
    }
    const stop = new AbortController();
    const plan = await this.plan(source, sink, caps, root, manifest, stop.signal);
    result.digest = plan.root.desc.digest;
    if (now?.digest === plan.root.desc.digest) {
      result.status = 'up-to-date';
      return;
    }
    if (this.opts.dryRun) result.status = 'planned';
    // One failure fails the image: the rest of its work stops instead of going on unseen.
    await this.copyBlobs(source, sink, plan.blobs, result, stop);
    if (this.opts.dryRun) return;
    for (const m of plan.manifests) {
      await sink.putManifest(m.bytes, m.desc, false);
      result.manifestsWritten++;
      this.emit({ type: 'manifest-done', destination: sink.description, digest: m.desc.digest, root: false });
    }
    await sink.putManifest(plan.root.bytes, plan.root.desc, true);
    result.manifestsWritten++;
    this.emit({ type: 'manifest-done', destination: sink.description, digest: plan.root.desc.digest, root: true });
  }

  /**
   * Works out everything the image needs written, before anything is: child manifests are
   * read (unless the sink already has them, which means their whole subtree is there) and
   * every manifest is put in a form the sink accepts. An image that cannot be converted
   * fails here, with nothing written.
   */
  private async plan(
    source: Source,
    sink: Sink,
    caps: SinkCapabilities,
    root: ManifestBytes,
    manifest: Manifest,
    stop: AbortSignal,
  ): Promise<WritePlan> {
    const plan: WritePlan = { blobs: [], manifests: [], root };
    plan.root = await this.planManifest(source, sink, caps, root, manifest, plan, stop);
    return plan;
  }

  private async planManifest(
    source: Source,
    sink: Sink,
    caps: SinkCapabilities,
    original: ManifestBytes,
    manifest: Manifest,
    plan: WritePlan,
    stop: AbortSignal,
  ): Promise<ManifestBytes> {
    if (manifest.kind === 'image') {
      const adapted = adaptManifest(original, manifest, caps);
      plan.blobs.push(manifest.config, ...manifest.layers);
      return adapted;
    }
    const written = await Promise.all(manifest.manifests.map((child) => this.planChild(source, sink, caps, child, plan, stop)));
    return adaptManifest(original, manifest, caps, written);
  }

  /** Plans one child of an index; returns the descriptor the parent must name (changed when converted). */
  private async planChild(
    source: Source,
    sink: Sink,
    caps: SinkCapabilities,
    child: Descriptor,
    plan: WritePlan,
    stop: AbortSignal,
  ): Promise<Descriptor> {
    // A child manifest only lands after all it points to, so its presence means its subtree is complete.
    if (accepts(caps, child.mediaType) && (await sink.hasManifest(child))) return child;
    stop.throwIfAborted();
    const fetched = await source.getManifest(child.digest);
    const parsed = parseManifest(fetched.bytes, fetched.mediaType || child.mediaType);
    const own: WritePlan = { blobs: [], manifests: [], root: { bytes: fetched.bytes, desc: child } };
    const adapted = await this.planManifest(source, sink, caps, own.root, parsed, own, stop);
    const desc: Descriptor = { ...child, mediaType: adapted.desc.mediaType, digest: adapted.desc.digest, size: adapted.desc.size };
    if (adapted.desc.digest !== child.digest && (await sink.hasManifest(desc))) return desc;
    plan.blobs.push(...own.blobs);
    plan.manifests.push(...own.manifests, { bytes: adapted.bytes, desc });
    return desc;
  }

  /**
   * Copies the blobs through the run's ladder. On the first failure `stop` is aborted, so
   * queued blobs never start and retries end; the failure is thrown once everything already
   * under way has settled, so nothing of this image happens after.
   */
  private async copyBlobs(source: Source, sink: Sink, blobs: Descriptor[], result: ImageResult, stop: AbortController): Promise<void> {
    let failure: { err: unknown } | undefined;
    await Promise.all(
      blobs.map((d) =>
        this.copyBlob(source, sink, d, result, stop.signal).catch((err: unknown) => {
          if (failure) return;
          failure = { err };
          stop.abort(err);
        }),
      ),
    );
    if (failure) throw failure.err;
  }

  private async copyBlob(source: Source, sink: Sink, desc: Descriptor, result: ImageResult, stop: AbortSignal): Promise<void> {
    const action: BlobAction = await this.ladder.copy(source, sink, desc, this.opts.dryRun, stop);
    if (action === 'sent') {
      result.blobsSent++;
      if (this.opts.dryRun) result.bytesPlanned = (result.bytesPlanned ?? 0) + desc.size;
      else result.bytesSent += desc.size;
    } else if (action === 'mounted') result.blobsMounted++;
    else result.blobsExisting++;
    this.emit({ type: 'blob-done', destination: sink.description, digest: desc.digest, size: desc.size, action });
  }

  private emit(e: CopyEvent): void {
    this.opts.onEvent?.(e);
  }
}
