/** How often and how patiently one operation is retried. Shared by every retry in a run. */
export interface RetryPolicy {
  /** Retries after the first attempt (0: try once). */
  retries: number;
  /** Base of the exponential backoff, in milliseconds. */
  baseMs: number;
  /** Longest single wait, also the cap on a server's `Retry-After`. */
  maxDelayMs: number;
}

/** The policy used when a caller gives none: 4 retries, 250 ms base, 30 s cap. */
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = { retries: 4, baseMs: 250, maxDelayMs: 30_000 };

/** `partial` over the defaults. */
export function retryPolicy(partial: Partial<RetryPolicy> = {}): RetryPolicy {
  return {
    retries: partial.retries ?? DEFAULT_RETRY_POLICY.retries,
    baseMs: partial.baseMs ?? DEFAULT_RETRY_POLICY.baseMs,
    maxDelayMs: partial.maxDelayMs ?? DEFAULT_RETRY_POLICY.maxDelayMs,
  };
}

/** Exponential backoff with full jitter: uniform in [0, min(max, base * 2^attempt)). */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseMs * 2 ** attempt);
  return Math.floor(random() * ceiling);
}

/** Wait before retry number `attempt` (0-based): the server's Retry-After when given (capped), else backoff. */
export function retryDelay(attempt: number, policy: RetryPolicy, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, policy.maxDelayMs);
  return backoffDelay(attempt, policy);
}

/**
 * Milliseconds to wait from a `Retry-After` value (delta seconds or an HTTP date), or
 * undefined when absent or unparseable. Never negative.
 */
export function parseRetryAfter(value: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined) return undefined;
  const s = v.trim();
  if (/^\d+$/.test(s)) return Number(s) * 1000;
  if (s === '') return undefined;
  const when = Date.parse(s);
  if (Number.isNaN(when)) return undefined;
  return Math.max(0, when - now);
}

/** Sleeps `ms` milliseconds; rejects with the signal's reason as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
