import { AirlockError, ErrorCodes, RegistryError } from '../errors.js';

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNABORTED',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_ABORTED',
  'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
]);

/**
 * True when copying a blob again may succeed: connection trouble, server errors,
 * rate limits, and bytes that did not match (a corrupted transfer). Never 4xx refusals.
 */
export function isRetryableCopyError(err: unknown): boolean {
  if (err instanceof RegistryError) {
    return err.status >= 500 || err.status === 429 || err.code === ErrorCodes.REGISTRY_UNREACHABLE;
  }
  if (err instanceof AirlockError) {
    return (
      err.code === ErrorCodes.REGISTRY_UNREACHABLE ||
      err.code === ErrorCodes.REGISTRY_RATE_LIMITED ||
      err.code === ErrorCodes.DIGEST_MISMATCH ||
      err.code === ErrorCodes.SIZE_MISMATCH
    );
  }
  const e = err as { code?: string; message?: string; cause?: unknown } | undefined;
  if (e?.code && NETWORK_CODES.has(e.code)) return true;
  if (e?.message === 'terminated' || e?.message === 'other side closed') return true;
  return e?.cause !== undefined && e.cause !== err ? isRetryableCopyError(e.cause) : false;
}
