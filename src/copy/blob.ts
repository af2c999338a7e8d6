import { pipeline } from 'node:stream';
import pLimit, { type LimitFunction } from 'p-limit';
import type { Descriptor } from '../oci/descriptor.js';
import { VerifyingStream } from '../oci/digest.js';
import { retrying, type RetryPolicy } from '../retry/index.js';
import type { Sink, Source } from '../transport/types.js';
import type { BlobAction } from './events.js';

/** Where a blob ended up in a scope, so later images can mount it from there. */
interface Landed {
  repository: string | undefined;
}

/** Per-run knobs the blob ladder needs. */
export interface BlobLadderOptions {
  /** How a transfer is retried (the run's one policy). */
  retry: RetryPolicy;
  /** Runs `fn` under the run's blob concurrency limit. */
  limit: <T>(fn: () => Promise<T>) => Promise<T>;
  onBytes: (n: number) => void;
  /** A transfer of `desc` into the sink named `destination` failed and will be tried again. */
  onRetry: (desc: Descriptor, attempt: number, err: unknown, destination: string) => void;
  signal?: AbortSignal;
}

/**
 * Copies each blob digest at most once per blob scope per run. The first image that needs
 * a blob runs the ladder (exists → mount → stream with digest check); every other image
 * that needs it in the same scope waits for that, then mounts it into its own repository
 * (or finds it there already), once per repository.
 */
export class BlobLadder {
  private readonly landed = new Map<string, Promise<Landed>>();
  /** Reuse attempts (mount, or send again) of a landed blob into another repository, by scope|digest|repository. */
  private readonly reused = new Map<string, Promise<BlobAction>>();
  /** One-at-a-time gates for sinks that take a single blob at a time, by blob scope. */
  private readonly serial = new Map<string, LimitFunction>();

  constructor(private readonly opts: BlobLadderOptions) {}

  /**
   * Makes `desc` present in `sink`, reading from `source` only when it must. Once `stop` is
   * aborted the work does not start, and a transfer is not tried again.
   */
  async copy(source: Source, sink: Sink, desc: Descriptor, dryRun = false, stop?: AbortSignal): Promise<BlobAction> {
    const key = `${sink.blobScope}|${desc.digest}`;
    const earlier = this.landed.get(key);
    if (earlier) {
      const where = await earlier.catch(() => undefined);
      if (where) {
        if (where.repository === sink.repository) return 'exists';
        // One attempt per repository: other images there wait for it. Concurrent mounts of one
        // blob into one repository are waste, and Distribution rewrites the repository's blob
        // link in place, so a manifest PUT racing a second mount can find the blob unknown.
        const repoKey = `${key}|${sink.repository ?? ''}`;
        const first = this.reused.get(repoKey);
        if (first && (await first.then(() => true, () => false))) return 'exists';
        const attempt = this.opts.limit(async (): Promise<BlobAction> => {
          stop?.throwIfAborted();
          const mountFrom = !dryRun && sink.capabilities.crossRepoMount ? where.repository : undefined;
          const reuse = await sink.tryReuse(desc, mountFrom);
          if (reuse) return reuse;
          // A dry run plans what a real run would do here: mount when it can, else send again.
          if (dryRun) return sink.capabilities.crossRepoMount ? 'mounted' : 'sent';
          return this.stream(source, sink, desc, stop);
        });
        this.reused.set(repoKey, attempt);
        return attempt;
      }
      // The earlier attempt failed: try ourselves below.
    }
    let action: BlobAction = 'sent';
    const task = this.opts.limit(async () => {
      stop?.throwIfAborted();
      // A dry run only looks: no mounts, which would write.
      const reuse = await sink.tryReuse(desc, dryRun ? undefined : this.mountSource(source, sink));
      action = reuse ?? (dryRun ? 'sent' : await this.stream(source, sink, desc, stop));
      return { repository: sink.repository };
    });
    // A dry run records where each digest would land too, so it plans each digest once per
    // scope, as a real run sends it (a shared layer is not counted once per image or platform).
    this.landed.set(key, task);
    await task;
    return action;
  }

  // Source and destination on the same registry: mount instead of copying bytes.
  private mountSource(source: Source, sink: Sink): string | undefined {
    if (!sink.capabilities.crossRepoMount || !source.blobScope || source.blobScope !== sink.blobScope) return undefined;
    return source.repository !== sink.repository ? source.repository : undefined;
  }

  /**
   * Streams the blob from `source` to `sink`, hashing it on the way, as one operation of the
   * run's retry policy: a transfer that breaks, or bytes that do not match, are read and
   * sent again; what an inner layer (the registry client) already gave up on is not.
   */
  private async stream(source: Source, sink: Sink, desc: Descriptor, stop?: AbortSignal): Promise<'sent'> {
    const signals = [this.opts.signal, stop].filter((s): s is AbortSignal => s !== undefined);
    const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
    const put: <T>(fn: () => Promise<T>) => Promise<T> = sink.capabilities.serialBlobs ? this.gate(sink.blobScope) : (fn) => fn();
    await retrying(
      () =>
        put(async () => {
          let counted = 0;
          try {
            const data = await source.getBlob(desc);
            const verify = new VerifyingStream(desc.digest, desc.size, `blob ${desc.digest} from ${source.description}`, (n) => {
              counted += n;
              this.opts.onBytes(n);
            });
            // The sink sees a source failure through the verifier and aborts its write.
            pipeline(data, verify, () => undefined);
            await sink.putBlob(desc, verify);
          } catch (err) {
            if (counted) this.opts.onBytes(-counted);
            throw err;
          }
        }),
      { policy: this.opts.retry, signal, onRetry: (attempt, err) => this.opts.onRetry(desc, attempt, err, sink.description) },
    );
    return 'sent';
  }

  private gate(scope: string): LimitFunction {
    let g = this.serial.get(scope);
    if (!g) {
      g = pLimit(1);
      this.serial.set(scope, g);
    }
    return g;
  }
}
