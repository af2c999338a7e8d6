/**
 * Blob upload sessions of the distribution API: bytes appended to a temporary file in the
 * store's work folder (PATCH chunks in order, checked against Content-Range), then, on the
 * closing PUT, checked against the digest the client names (hashed as the bytes arrived) and
 * moved into the blob store as it is: nothing unverified gets a final name.
 */
import { createHash, randomUUID, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AirlockError, ErrorCodes } from '../errors.js';
import type { Digest } from '../oci/digest.js';
import { LAYOUT_WORK_DIR, type OciLayout } from '../transport/layout/layout.js';

/** An upload no byte reached for this long is abandoned. */
export const UPLOAD_STALE_MS = 60 * 60 * 1000;

/** One upload in progress. */
export interface Upload {
  id: string;
  file: string;
  /** Bytes received so far. */
  size: number;
  /** sha256 of those bytes, fed as they arrive (chunks come in order). */
  hash: Hash;
}

/** Upload sessions of one store. */
export class Uploads {
  private readonly live = new Map<string, Upload>();
  private readonly dir: string;

  constructor(private readonly layout: OciLayout) {
    this.dir = path.join(layout.dir, LAYOUT_WORK_DIR, 'uploads');
  }

  /** Starts a session with an empty file (and first ends sessions untouched for `UPLOAD_STALE_MS`). */
  async start(): Promise<Upload> {
    await fs.mkdir(this.dir, { recursive: true });
    await this.sweep();
    const id = randomUUID();
    const file = path.join(this.dir, id);
    await fs.writeFile(file, '');
    const u = { id, file, size: 0, hash: createHash('sha256') };
    this.live.set(id, u);
    return u;
  }

  /** Removes the files of uploads untouched for `UPLOAD_STALE_MS` (abandoned by a client, or left by a killed server), and their sessions. */
  async sweep(now = Date.now()): Promise<number> {
    let removed = 0;
    for (const name of await fs.readdir(this.dir).catch(() => [] as string[])) {
      const file = path.join(this.dir, name);
      const st = await fs.stat(file).catch(() => undefined);
      if (!st || now - st.mtimeMs < UPLOAD_STALE_MS) continue;
      await fs.rm(file, { force: true });
      this.live.delete(name);
      removed++;
    }
    return removed;
  }

  /** The session `id`, or undefined. */
  get(id: string): Upload | undefined {
    return this.live.get(id);
  }

  /** Appends `body` to the session (at most `limit` bytes in all); the new size. */
  async append(u: Upload, body: Readable): Promise<number> {
    const hashing = new Transform({
      transform(chunk: Buffer, _enc, done) {
        u.hash.update(chunk);
        done(null, chunk);
      },
    });
    await pipeline(body, hashing, createWriteStream(u.file, { flags: 'a' }));
    u.size = (await fs.stat(u.file)).size;
    return u.size;
  }

  /**
   * Moves the session's bytes into the blob store as `digest` (verified on the way: the store
   * writer hashes them), then ends the session. DIGEST_MISMATCH when they are not that digest.
   */
  async finish(u: Upload, digest: Digest): Promise<void> {
    const desc = { mediaType: 'application/octet-stream', digest, size: u.size };
    try {
      if (digest.startsWith('sha256:')) {
        // Hashed as it arrived: the file itself becomes the blob, no second write.
        const actual = `sha256:${u.hash.copy().digest('hex')}`;
        if (actual !== digest) throw new AirlockError(ErrorCodes.DIGEST_MISMATCH, `upload ${u.id}: expected ${digest}, got ${actual}`, { expected: digest, actual });
        await this.layout.adoptVerifiedBlob(u.file, desc);
      } else {
        await this.layout.writeBlob(desc, createReadStream(u.file));
      }
    } finally {
      await this.cancel(u);
    }
  }

  /** Ends the session and removes its bytes. */
  async cancel(u: Upload): Promise<void> {
    this.live.delete(u.id);
    await fs.rm(u.file, { force: true });
  }
}
