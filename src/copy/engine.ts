import pLimit from 'p-limit';
import { toAirlockError } from '../errors.js';
import type { Descriptor } from '../oci/descriptor.js';
import { parseManifest, type Manifest } from '../oci/manifest.js';
import type { Platform } from '../oci/platform.js';
import type { Sink, Source } from '../transport/types.js';
import { BlobLadder } from './blob.js';
import type { BlobAction, CopyEvent } from './events.js';
import { filterIndex, type ManifestBytes } from './filter.js';
import { emptyResult, type ImageResult } from './result.js';

/** Options of a copy run, shared by every image in it. */
export interface CopyRunOptions {
  /** Keep only these platforms of a multi-arch index (default: all). */
  platforms?: Platform[];
  /** Blobs copied at once across the whole run (default 8). */
  blobJobs?: number;
  /** Attempts per blob before giving up (default 5). */
  attempts?: number;
  /** Base delay of the exponential backoff between blob attempts, in ms (default 200). */
  retryBaseMs?: number;
  /** Read and compare only; write nothing. */
  dryRun?: boolean;
  onEvent?: (e: CopyEvent) => void;
  signal?: AbortSignal;
}

/** Live totals for progress displays. */
export interface RunTotals {
  bytesSent: number;
}

/**
 * One copy run: the single engine behind `copy`, `mirror` and every other route. Images
 * copied through the same run share its blob ladder, so each digest is transferred once
 * per destination scope even when many images use it.
 */
export class CopyRun {
  readonly totals: RunTotals = { bytesSent: 0 };
  private readonly ladder: BlobLadder;
  private readonly opts: CopyRunOptions;

  constructor(opts: CopyRunOptions = {}) {
    this.opts = opts;
    const limit = pLimit(opts.blobJobs ?? 8);
    this.ladder = new BlobLadder({
      attempts: opts.attempts ?? 5,
      retryBaseMs: opts.retryBaseMs ?? 200,
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
   * and closed in every case. `image.platforms` replaces the run's platforms for this image.
   */
  async copyImage(source: Source, sink: Sink, image: { platforms?: Platform[] } = {}): Promise<ImageResult> {
    const started = Date.now();
    const result = emptyResult(source.description, sink.description);
    this.emit({ type: 'image-start', source: source.description, destination: sink.description });
    try {
      await this.copyInto(source, sink, result, image.platforms ?? this.opts.platforms);
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

  private async copyInto(source: Source, sink: Sink, result: ImageResult, platforms: Platform[] | undefined): Promise<void> {
    const [rootDesc, current] = await Promise.all([source.resolve(), sink.current()]);
    result.sourceDigest = rootDesc.digest;
    result.mediaType = rootDesc.mediaType;
    const filtering = (platforms?.length ?? 0) > 0;
    // The no-op case: both sides already name the same manifest. Two HEADs, nothing else.
    if (!filtering && current?.digest === rootDesc.digest) {
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
    result.digest = root.desc.digest;
    if (current?.digest === root.desc.digest) {
      result.status = 'up-to-date';
      return;
    }
    if (this.opts.dryRun) result.status = 'planned';
    // One failure fails the image: the rest of its work stops instead of going on unseen.
    await this.copyChildren(source, sink, manifest, result, new AbortController());
    if (!this.opts.dryRun) {
      await sink.putManifest(root.bytes, root.desc, true);
      result.manifestsWritten++;
      this.emit({ type: 'manifest-done', destination: sink.description, digest: root.desc.digest, root: true });
    }
  }

  /**
   * Copies what `manifest` points to, children before parents. On the first failure `stop`
   * is aborted, so queued blobs never start and retries end; the failure is thrown once
   * everything already under way has settled, so nothing of this image happens after.
   */
  private async copyChildren(
    source: Source,
    sink: Sink,
    manifest: Manifest,
    result: ImageResult,
    stop: AbortController,
  ): Promise<void> {
    const work =
      manifest.kind === 'image'
        ? [manifest.config, ...manifest.layers].map((d) => this.copyBlob(source, sink, d, result, stop.signal))
        : manifest.manifests.map((child) => this.copyChildManifest(source, sink, child, result, stop));
    let failure: { err: unknown } | undefined;
    await Promise.all(
      work.map((w) =>
        w.catch((err: unknown) => {
          if (failure) return;
          failure = { err };
          stop.abort(err);
        }),
      ),
    );
    if (failure) throw failure.err;
  }

  private async copyChildManifest(
    source: Source,
    sink: Sink,
    desc: Descriptor,
    result: ImageResult,
    stop: AbortController,
  ): Promise<void> {
    // A child manifest only lands after all it points to, so its presence means its subtree is complete.
    if (await sink.hasManifest(desc)) return;
    stop.signal.throwIfAborted();
    const fetched = await source.getManifest(desc.digest);
    const child = parseManifest(fetched.bytes, fetched.mediaType || desc.mediaType);
    stop.signal.throwIfAborted();
    await this.copyChildren(source, sink, child, result, stop);
    if (this.opts.dryRun) return;
    await sink.putManifest(fetched.bytes, desc, false);
    result.manifestsWritten++;
    this.emit({ type: 'manifest-done', destination: sink.description, digest: desc.digest, root: false });
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
