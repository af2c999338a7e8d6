import { describe, expect, it } from 'vitest';
import { backoffDelay, isRetryableError, isRetryableStatus, parseRetryAfter, retryDelay } from './retry.js';

function errWithCode(code: string, message = code): Error {
  return Object.assign(new Error(message), { code });
}

describe('retry classification', () => {
  it('retries 429 and 5xx, never other 4xx', () => {
    for (const s of [429, 500, 502, 503, 504]) expect(isRetryableStatus(s)).toBe(true);
    for (const s of [400, 401, 403, 404, 405, 409, 416, 501, 505]) expect(isRetryableStatus(s)).toBe(false);
  });

  it('retries connection resets, refusals and undici socket errors, also through a cause chain', () => {
    expect(isRetryableError(errWithCode('ECONNRESET'))).toBe(true);
    expect(isRetryableError(errWithCode('ECONNREFUSED'))).toBe(true);
    expect(isRetryableError(errWithCode('UND_ERR_SOCKET', 'other side closed'))).toBe(true);
    expect(isRetryableError(errWithCode('UND_ERR_CONNECT_TIMEOUT'))).toBe(true);
    expect(isRetryableError(new TypeError('fetch failed', { cause: errWithCode('ECONNRESET') }))).toBe(true);
  });

  it('does not retry our own mistakes, aborts or DNS failures', () => {
    expect(isRetryableError(errWithCode('UND_ERR_INVALID_ARG'))).toBe(false);
    expect(isRetryableError(errWithCode('UND_ERR_ABORTED'))).toBe(false);
    expect(isRetryableError(errWithCode('UND_ERR_REQ_CONTENT_LENGTH_MISMATCH'))).toBe(false);
    expect(isRetryableError(errWithCode('ENOTFOUND'))).toBe(false);
    expect(isRetryableError(new Error('boom'))).toBe(false);
    expect(isRetryableError('string')).toBe(false);
  });
});

describe('Retry-After', () => {
  const now = Date.parse('2024-05-01T12:00:00Z');

  it('reads delta seconds', () => {
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter(['0'], now)).toBe(0);
  });

  it('reads an HTTP date, never negative', () => {
    expect(parseRetryAfter('Wed, 01 May 2024 12:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Wed, 01 May 2024 11:00:00 GMT', now)).toBe(0);
  });

  it('ignores absent or garbage values', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
  });

  it('caps a long Retry-After at the maximum delay', () => {
    const policy = { retries: 4, baseMs: 100, maxDelayMs: 30_000 };
    expect(retryDelay(0, policy, 3_600_000)).toBe(30_000);
    expect(retryDelay(0, policy, 2000)).toBe(2000);
  });
});

describe('backoff', () => {
  it('grows exponentially with full jitter under a cap', () => {
    const policy = { retries: 10, baseMs: 100, maxDelayMs: 1000 };
    expect(backoffDelay(0, policy, () => 0.999)).toBe(99);
    expect(backoffDelay(3, policy, () => 0.5)).toBe(400);
    expect(backoffDelay(9, policy, () => 0.999)).toBe(999);
    expect(backoffDelay(2, policy, () => 0)).toBe(0);
  });
});
