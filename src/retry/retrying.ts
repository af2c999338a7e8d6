import { isRetryable, markGaveUp, retryAfterOf } from './classify.js';
import { retryDelay, sleep, type RetryPolicy } from './policy.js';

/** How one operation is retried. */
export interface RetryOptions {
  policy: RetryPolicy;
  /** Stops the waits and the attempts: the signal's reason is thrown at once. */
  signal?: AbortSignal | undefined;
  /** Called before each wait with the failed attempt's number (1-based) and error. */
  onRetry?: (attempt: number, err: unknown, delayMs: number) => void;
  /** Which errors to retry (default: `isRetryable`). */
  retryable?: (err: unknown) => boolean;
}

/**
 * Runs `attempt(n)` (n = 0, 1, ...) until it resolves, retrying failures the classifier
 * accepts up to `policy.retries` times with capped full-jitter backoff (or the server's
 * `Retry-After`). The last error is thrown; when it was retryable but the attempts ran out
 * it is marked so that no outer layer retries it again.
 */
export async function retrying<T>(attempt: (n: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  const retryable = opts.retryable ?? isRetryable;
  for (let n = 0; ; n++) {
    opts.signal?.throwIfAborted();
    try {
      return await attempt(n);
    } catch (err) {
      if (opts.signal?.aborted) throw opts.signal.reason;
      if (!retryable(err)) throw err;
      if (n >= opts.policy.retries) {
        markGaveUp(err);
        throw err;
      }
      const delay = retryDelay(n, opts.policy, retryAfterOf(err));
      opts.onRetry?.(n + 1, err, delay);
      await sleep(delay, opts.signal);
    }
  }
}
