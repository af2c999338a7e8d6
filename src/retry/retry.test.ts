import { describe, expect, it } from 'vitest';
import { AirlockError, ErrorCodes, RegistryError } from '../errors.js';
import { backoffDelay, gaveUp, isRetryable as isRetryableError, isRetryableStatus, parseRetryAfter, retryDelay, retrying, sleep } from './index.js';

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

describe('retrying', () => {
  const policy = { retries: 3, baseMs: 1, maxDelayMs: 5 };
  const unreachable = () => new AirlockError(ErrorCodes.REGISTRY_UNREACHABLE, 'reset');

  it('tries a retryable failure 1 + retries times, then throws it marked as given up', async () => {
    let calls = 0;
    const retried: number[] = [];
    const err = await retrying(
      async () => {
        calls++;
        throw unreachable();
      },
      { policy, onRetry: (n) => retried.push(n) },
    ).catch((e: unknown) => e);
    expect(calls).toBe(4);
    expect(retried).toEqual([1, 2, 3]);
    expect((err as AirlockError).code).toBe(ErrorCodes.REGISTRY_UNREACHABLE);
    expect(gaveUp(err)).toBe(true);
    expect(isRetryableError(err)).toBe(false);
  });

  it('never multiplies: an outer layer does not retry what an inner layer gave up on', async () => {
    let inner = 0;
    const err = await retrying(
      () =>
        retrying(async () => {
          inner++;
          throw unreachable();
        }, { policy }),
      { policy },
    ).catch((e: unknown) => e);
    expect((err as AirlockError).code).toBe(ErrorCodes.REGISTRY_UNREACHABLE);
    expect(inner).toBe(4);
  });

  it('throws a non-retryable failure at once', async () => {
    let calls = 0;
    const denied = new RegistryError(ErrorCodes.REGISTRY_DENIED, 'no', { status: 403, url: 'http://x/v2/' });
    await expect(
      retrying(async () => {
        calls++;
        throw denied;
      }, { policy }),
    ).rejects.toBe(denied);
    expect(calls).toBe(1);
  });

  it('waits what Retry-After asks (capped) and stops waiting when the signal aborts', async () => {
    const ac = new AbortController();
    let calls = 0;
    const limited = new RegistryError(ErrorCodes.REGISTRY_RATE_LIMITED, 'slow', { status: 429, url: 'http://x/', retryAfterMs: 3_600_000 });
    const delays: number[] = [];
    const p = retrying(
      async () => {
        calls++;
        throw limited;
      },
      { policy: { retries: 5, baseMs: 1, maxDelayMs: 60_000 }, signal: ac.signal, onRetry: (_n, _e, d) => delays.push(d) },
    );
    await sleep(20);
    ac.abort(new AirlockError(ErrorCodes.INTERRUPTED, 'interrupted'));
    await expect(p).rejects.toMatchObject({ code: ErrorCodes.INTERRUPTED });
    expect(calls).toBe(1);
    expect(delays).toEqual([60_000]);
  });
});
