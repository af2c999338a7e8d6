import { setTimeout as delay } from 'node:timers/promises';

/** Settings for one retry loop. */
export interface RetryPolicy {
  /** Retries after the first attempt. */
  retries: number;
  baseMs: number;
  /** Cap on one wait, including a server's `Retry-After`. */
  maxDelayMs: number;
}

/** True for statuses worth retrying: 429 and 5xx except "not implemented" style answers. */
export function isRetryableStatus(status: number): boolean {
  if (status === 429) return true;
  return status >= 500 && status <= 599 && status !== 501 && status !== 505;
}

// Transient network failures. DNS "not found" is deliberately absent: retrying it only delays the error.
const RETRYABLE_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
]);

// undici errors that are about our own request, not the connection.
const NON_RETRYABLE_UNDICI = new Set([
  'UND_ERR_INVALID_ARG',
  'UND_ERR_INVALID_RETURN_VALUE',
  'UND_ERR_ABORTED',
  'UND_ERR_ABORT',
  'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_NOT_SUPPORTED',
  'UND_ERR_RES_EXCEEDED_MAX_SIZE',
  'UND_ERR_REQ_RETRY',
  'UND_ERR_PRX_TLS',
]);

/** The `code` of an error or of any error in its `cause` chain that has one. */
export function errorCodeOf(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 5 && e && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** True for connection-level failures (reset, refused, socket closed, undici socket/timeout errors). */
export function isRetryableError(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; depth < 5 && e && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') {
      if (RETRYABLE_CODES.has(code)) return true;
      if (code.startsWith('UND_ERR_')) return !NON_RETRYABLE_UNDICI.has(code);
    }
    if (e instanceof Error && /socket hang up|other side closed|socket closed/i.test(e.message)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
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

/** Sleeps `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return ms > 0 ? delay(ms) : Promise.resolve();
}
