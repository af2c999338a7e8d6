import { AirlockError, ErrorCodes, RegistryError } from '../errors.js';

// Transient network failures. DNS "not found" is deliberately absent: retrying it only delays the error.
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

// undici failures of the connection or of the server's answer (a body shorter than announced).
// Everything else undici reports is about our own request (bad argument, aborted, our body's
// length) and would fail the same way again.
const RETRYABLE_UNDICI = new Set([
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
]);

// Codes of errors this process raised that a new attempt may not repeat.
const RETRYABLE_AIRLOCK = new Set<string>([
  ErrorCodes.REGISTRY_UNREACHABLE,
  ErrorCodes.REGISTRY_RATE_LIMITED,
  // Bytes that do not hash to their digest: a corrupted transfer may come through intact next time.
  ErrorCodes.DIGEST_MISMATCH,
  ErrorCodes.SIZE_MISMATCH,
]);

const GAVE_UP = Symbol('airlock.retry.gaveUp');

/** True for statuses worth retrying: 429 and 5xx except "not implemented" style answers. */
export function isRetryableStatus(status: number): boolean {
  if (status === 429) return true;
  return status >= 500 && status <= 599 && status !== 501 && status !== 505;
}

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

/**
 * Records that a retry layer already retried `err` until it ran out of attempts, so no
 * outer layer retries it again: retries never multiply.
 */
export function markGaveUp(err: unknown): void {
  if (err && typeof err === 'object') (err as Record<symbol, unknown>)[GAVE_UP] = true;
}

/** True when a retry layer already gave up on `err` (or on an error in its cause chain). */
export function gaveUp(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; depth < 5 && e && typeof e === 'object'; depth++) {
    if ((e as Record<symbol, unknown>)[GAVE_UP]) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * The one retry classifier. True when trying the same operation again may succeed:
 * connection failures, bodies cut short, 5xx (but 501/505) and 429, and content that did not
 * match its digest. Never for other 4xx, TLS or input errors, aborts, or an error an inner
 * retry layer already gave up on.
 */
export function isRetryable(err: unknown): boolean {
  if (gaveUp(err)) return false;
  if (err instanceof RegistryError && err.status > 0) return isRetryableStatus(err.status);
  if (err instanceof AirlockError) return RETRYABLE_AIRLOCK.has(err.code);
  let e: unknown = err;
  for (let depth = 0; depth < 5 && e && typeof e === 'object'; depth++) {
    if (e instanceof AirlockError) return RETRYABLE_AIRLOCK.has(e.code);
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') {
      if (NETWORK_CODES.has(code)) return true;
      if (code.startsWith('UND_ERR_')) return RETRYABLE_UNDICI.has(code);
    }
    if ((e as { name?: unknown }).name === 'AbortError') return false;
    if (e instanceof Error && /^(terminated|socket hang up|other side closed|socket closed)$/i.test(e.message)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** The wait a server asked for with `Retry-After`, carried by a RegistryError, if any. */
export function retryAfterOf(err: unknown): number | undefined {
  return err instanceof RegistryError ? err.retryAfterMs : undefined;
}
