/**
 * Blob upload sessions of the distribution API: bytes appended to a temporary file in the
 * store's work folder (PATCH chunks in order, checked against Content-Range), then, on the
 * closing PUT, verified against the digest the client names and moved into the blob store
 * (which hashes again while writing: nothing unverified gets a final name).
 */
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
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
    const u = { id, file, size: 0 };
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
    await pipeline(body, createWriteStream(u.file, { flags: 'a' }));
    u.size = (await fs.stat(u.file)).size;
    return u.size;
  }

  /**
   * Moves the session's bytes into the blob store as `digest` (verified on the way: the store
   * writer hashes them), then ends the session. DIGEST_MISMATCH when they are not that digest.
   */
  async finish(u: Upload, digest: Digest): Promise<void> {
    try {
      await this.layout.writeBlob({ mediaType: 'application/octet-stream', digest, size: u.size }, createReadStream(u.file));
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
