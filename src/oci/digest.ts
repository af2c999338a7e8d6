import { createHash, type Hash } from 'node:crypto';
import { pipeline, Transform, type Readable, type TransformCallback } from 'node:stream';
import { AirlockError, ErrorCodes } from '../errors.js';

/** A content digest, `sha256:<64 hex>` (or sha512). Branded so plain strings are not mixed in. */
export type Digest = string & { readonly __digest: unique symbol };

const DIGEST_RE = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

/** True when `s` is a well-formed sha256/sha512 digest. */
export function isDigest(s: string): s is Digest {
  return DIGEST_RE.test(s);
}

/** Parses a digest string or throws DIGEST_INVALID. */
export function parseDigest(s: string): Digest {
  if (!isDigest(s)) throw new AirlockError(ErrorCodes.DIGEST_INVALID, `invalid digest "${s}"`, { digest: s });
  return s;
}

/** The algorithm part of a digest (`sha256`). */
export function digestAlgorithm(d: Digest): 'sha256' | 'sha512' {
  return d.slice(0, d.indexOf(':')) as 'sha256' | 'sha512';
}

/** The hex part of a digest. */
export function digestHex(d: Digest): string {
  return d.slice(d.indexOf(':') + 1);
}

/** Digest of a byte buffer (sha256 unless told otherwise). */
export function digestOf(bytes: Uint8Array | string, algorithm: 'sha256' | 'sha512' = 'sha256'): Digest {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}` as Digest;
}

/** Throws DIGEST_MISMATCH / SIZE_MISMATCH unless `bytes` match the expected digest (and size). */
export function verifyBytes(bytes: Uint8Array, expected: Digest, expectedSize?: number, what = 'content'): void {
  if (expectedSize !== undefined && bytes.byteLength !== expectedSize) {
    throw new AirlockError(
      ErrorCodes.SIZE_MISMATCH,
      `${what} ${expected}: expected ${expectedSize} bytes, got ${bytes.byteLength}`,
      { digest: expected, expected: expectedSize, actual: bytes.byteLength },
    );
  }
  const actual = digestOf(bytes, digestAlgorithm(expected));
  if (actual !== expected) {
    throw new AirlockError(ErrorCodes.DIGEST_MISMATCH, `${what}: expected ${expected}, got ${actual}`, {
      expected,
      actual,
    });
  }
}

/**
 * A pass-through stream that hashes and counts what flows through it. At the end it
 * fails (instead of finishing) when the digest or size differ, so whatever consumes it
 * — a file write, an HTTP upload — sees an error and never commits unverified bytes.
 */
export class VerifyingStream extends Transform {
  private readonly hash: Hash;
  private seen = 0;

  constructor(
    readonly expected: Digest,
    readonly expectedSize: number | undefined,
    private readonly what = 'blob',
    /** Called with each chunk's length as it passes (progress counting without a 'data' listener). */
    private readonly onChunk?: (bytes: number) => void,
  ) {
    super();
    this.hash = createHash(digestAlgorithm(expected));
  }

  /** Bytes seen so far. */
  get bytes(): number {
    return this.seen;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.seen += chunk.length;
    if (this.expectedSize !== undefined && this.seen > this.expectedSize) {
      cb(this.sizeError());
      return;
    }
    this.hash.update(chunk);
    this.onChunk?.(chunk.length);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    if (this.expectedSize !== undefined && this.seen !== this.expectedSize) {
      cb(this.sizeError());
      return;
    }
    const actual = `${digestAlgorithm(this.expected)}:${this.hash.digest('hex')}`;
    if (actual !== this.expected) {
      cb(
        new AirlockError(ErrorCodes.DIGEST_MISMATCH, `${this.what}: expected ${this.expected}, got ${actual}`, {
          expected: this.expected,
          actual,
        }),
      );
      return;
    }
    cb();
  }

  private sizeError(): AirlockError {
    return new AirlockError(
      ErrorCodes.SIZE_MISMATCH,
      `${this.what} ${this.expected}: expected ${this.expectedSize} bytes, got ${this.seen}${this.seen > (this.expectedSize ?? 0) ? '+' : ''}`,
      { digest: this.expected, expected: this.expectedSize, actual: this.seen },
    );
  }
}

/**
 * `data` as a stream that fails on a digest or size mismatch: returned as is when it is
 * already a VerifyingStream for the same digest and size (no second hash), else wrapped.
 */
export function verified(data: Readable, expected: Digest, expectedSize: number | undefined, what = 'blob'): Readable {
  if (data instanceof VerifyingStream && data.expected === expected && data.expectedSize === expectedSize) return data;
  const verifier = new VerifyingStream(expected, expectedSize, what);
  // pipeline carries a source failure into the verifier (so its consumer aborts) and keeps
  // error listeners on both, so a late failure is never an uncaught 'error' event.
  pipeline(data, verifier, () => undefined);
  return verifier;
}
