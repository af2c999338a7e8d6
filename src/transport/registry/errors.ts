import { AirlockError, ErrorCodes, RegistryError, type ErrorCode, type SpecError } from '../../errors.js';
import { errorCodeOf } from '../../retry/index.js';

/** A URL safe to print: no user info, no query (upload state, presigned signatures), no fragment. */
export function redactUrl(url: string | URL): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '<invalid url>';
  }
}

/** The spec's `{"errors":[{code,message,detail}]}` list from a response body, or []. */
export function parseSpecErrors(body: string): SpecError[] {
  try {
    const json = JSON.parse(body) as { errors?: unknown };
    if (!Array.isArray(json.errors)) return [];
    return json.errors
      .filter((e): e is Record<string, unknown> => typeof e === 'object' && e !== null)
      .map((e) => ({
        code: typeof e.code === 'string' ? e.code : 'UNKNOWN',
        ...(typeof e.message === 'string' ? { message: e.message } : {}),
        ...(e.detail !== undefined ? { detail: e.detail } : {}),
      }));
  } catch {
    return [];
  }
}

/** The error code for an HTTP status from a registry. */
export function codeForStatus(status: number): ErrorCode {
  switch (status) {
    case 401:
      return ErrorCodes.REGISTRY_UNAUTHORIZED;
    case 403:
      return ErrorCodes.REGISTRY_DENIED;
    case 404:
      return ErrorCodes.REGISTRY_NOT_FOUND;
    case 429:
      return ErrorCodes.REGISTRY_RATE_LIMITED;
    default:
      return ErrorCodes.REGISTRY_ERROR;
  }
}

/**
 * A RegistryError for an unexpected response. `body` is the (possibly truncated) response
 * text; only the spec's error codes and messages from it reach the message.
 */
export function responseError(
  method: string,
  url: string | URL,
  status: number,
  body: string,
  what?: string,
  code: ErrorCode = codeForStatus(status),
  retryAfterMs?: number,
): RegistryError {
  const errors = parseSpecErrors(body);
  const safeUrl = redactUrl(url);
  const spec = errors.map((e) => `${e.code}${e.message ? `: ${e.message}` : ''}`).join('; ');
  const message = `${what ? `${what}: ` : ''}${method} ${safeUrl} returned ${status}${spec ? ` (${spec})` : ''}`;
  return new RegistryError(code, message, { status, url: safeUrl, errors, retryAfterMs });
}

// OpenSSL / Node codes for certificates the client does not trust, or TLS spoken to a non-TLS port.
const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'EPROTO',
]);

/** True when `err` is a TLS handshake / certificate verification failure. */
export function isTlsError(err: unknown): boolean {
  const code = errorCodeOf(err);
  return code !== undefined && (TLS_CODES.has(code) || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_'));
}

/**
 * The error for a request that never got a response: TLS_CONFIG_INVALID for certificate
 * problems (fix: caFile / skipTlsVerify / insecure), else REGISTRY_UNREACHABLE.
 */
export function connectionError(host: string, method: string, url: string | URL, err: unknown, attempts: number): AirlockError {
  const cause = errorCodeOf(err) ?? (err instanceof Error ? err.message : String(err));
  if (isTlsError(err)) {
    return new AirlockError(
      ErrorCodes.TLS_CONFIG_INVALID,
      `TLS connection to ${host} failed (${cause}); trust its CA with caFile, or use skipTlsVerify / insecure for this host`,
      { host, url: redactUrl(url), cause },
      { cause: err },
    );
  }
  return new AirlockError(
    ErrorCodes.REGISTRY_UNREACHABLE,
    `${method} ${redactUrl(url)}: cannot reach ${host} after ${attempts} attempt${attempts === 1 ? '' : 's'} (${cause})`,
    { host, url: redactUrl(url), cause, attempts },
    { cause: err },
  );
}

/**
 * The error for a response body that broke off (connection reset or closed mid-body):
 * REGISTRY_UNREACHABLE, like a request that got no answer, so callers retry it the same way.
 * AirlockErrors (e.g. a size limit) pass through unchanged.
 */
export function bodyError(host: string, what: string, url: string | URL, err: unknown): AirlockError {
  if (err instanceof AirlockError) return err;
  const cause = errorCodeOf(err) ?? (err instanceof Error ? err.message : String(err));
  return new AirlockError(
    ErrorCodes.REGISTRY_UNREACHABLE,
    `${what}: connection to ${host} lost while reading ${redactUrl(url)} (${cause})`,
    { host, url: redactUrl(url), cause },
    { cause: err },
  );
}
