/**
 * Blob upload sessions of the distribution API: bytes appended to a temporary file in the
 * store's work folder (PATCH chunks in order, checked against Content-Range), then, on the
 * closing PUT, checked against the digest the client names (hashed as the bytes arrived) and
 * moved into the blob store as it is: nothing unverified gets a final name.
 */
import { createHash, randomUUID, type Hash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { AirlockError, ErrorCodes } from '../errors.js';
import type { Digest } from '../oci/digest.js';
import { isErrno } from '../transport/layout/fsutil.js';
import { LAYOUT_WORK_DIR, type OciLayout } from '../transport/layout/layout.js';

/** An upload no byte reached for this long is abandoned. */
export const UPLOAD_STALE_MS = 60 * 60 * 1000;
/** How often a session start also scans the whole uploads folder (for files no live session owns: a killed server's). */
export const UPLOAD_SCAN_INTERVAL_MS = 60 * 1000;
/**
 * Received bytes are queued and written together once there are this many (or the body
 * ended): one thread-pool round trip per MiB, not per 64 KiB socket read.
 */
const WRITE_BATCH_BYTES = 1024 * 1024;
/** Received bytes waiting for the disk beyond which the request is paused (bounded memory). */
const MAX_QUEUED_BYTES = 4 * 1024 * 1024;
/** At most this many chunks in one writev (Linux's IOV_MAX). */
const MAX_QUEUED_CHUNKS = 1024;

/** One upload in progress. */
export interface Upload {
  id: string;
  file: string;
  /** Bytes received so far: exactly the bytes in `file` and fed to `hash`. */
  size: number;
  /** sha256 of those bytes, fed as they arrive (chunks come in order). */
  hash: Hash;
}

/** Writes `chunks` at the end of the file (opened for appending), whole: short writes are continued. */
async function writeAll(handle: fs.FileHandle, chunks: Buffer[]): Promise<void> {
  let rest = chunks;
  while (rest.length > 0) {
    let { bytesWritten } = await handle.writev(rest);
    let i = 0;
    while (i < rest.length && bytesWritten >= rest[i]!.length) bytesWritten -= rest[i++]!.length;
    rest = i < rest.length ? [rest[i]!.subarray(bytesWritten), ...rest.slice(i + 1)] : [];
  }
}

/**
 * Feeds `body` to `u.hash` and to the end of the file as it arrives, counting `u.size`.
 * Resolves once every byte is written; rejects on a body, or disk, error (what was fed by
 * then is undefined: the caller restores the session).
 */
function appendHashed(u: Upload, body: Readable, handle: fs.FileHandle): Promise<void> {
  return new Promise((resolve, reject) => {
    let queued: Buffer[] = [];
    let queuedBytes = 0;
    let writing = false;
    let ended = false;
    let failed = false;
    const settle = (err?: unknown) => {
      body.off('data', onData).off('end', onEnd).off('error', settle).off('close', onClose);
      if (err === undefined) return resolve();
      failed = true;
      // The rest of the body is not wanted; let it drain so the connection can answer.
      body.resume();
      reject(err as Error);
    };
    const flush = () => {
      if (writing || failed) return;
      if (queued.length === 0) return void (ended && settle());
      if (!ended && queuedBytes < WRITE_BATCH_BYTES && queued.length < MAX_QUEUED_CHUNKS) return;
      const batch = queued;
      queued = [];
      queuedBytes = 0;
      writing = true;
      writeAll(handle, batch).then(() => {
        writing = false;
        if (body.isPaused() && !ended) body.resume();
        flush();
      }, settle);
    };
    const onData = (chunk: Buffer) => {
      u.hash.update(chunk);
      u.size += chunk.length;
      queued.push(chunk);
      queuedBytes += chunk.length;
      if (queuedBytes >= MAX_QUEUED_BYTES || queued.length >= MAX_QUEUED_CHUNKS) body.pause();
      flush();
    };
    const onEnd = () => {
      ended = true;
      flush();
    };
    // A request cut short closes without 'end' (and may not say why).
    const onClose = () => void (ended || settle(new Error('the request body was cut short')));
    // Ended or cut short before now (while the file was being opened): no event is coming.
    if (body.readableEnded) return settle();
    if (body.destroyed) return settle(body.errored ?? new Error('the request body was cut short'));
    body.on('data', onData).once('end', onEnd).once('error', settle).once('close', onClose);
    body.resume();
  });
}

/** Creates the empty file `file`, and its folder first when that is missing (one open, not a mkdir per upload). */
async function createEmpty(file: string): Promise<void> {
  const handle = await fs.open(file, 'wx').catch(async (err: unknown) => {
    if (!isErrno(err, 'ENOENT')) throw err;
    await fs.mkdir(path.dirname(file), { recursive: true });
    return fs.open(file, 'wx');
  });
  await handle.close();
}

/** Upload sessions of one store. */
export class Uploads {
  private readonly live = new Map<string, Upload>();
  /** Sessions with an append or finish running: being written, so not abandoned whatever their mtime says yet. */
  private readonly busy = new Set<string>();
  private readonly dir: string;
  private lastScan = 0;

  constructor(private readonly layout: OciLayout) {
    this.dir = path.join(layout.dir, LAYOUT_WORK_DIR, 'uploads');
  }

  /**
   * Starts a session with an empty file, first ending sessions untouched for
   * `UPLOAD_STALE_MS`: this server's at every start, files no session owns at most once per
   * `UPLOAD_SCAN_INTERVAL_MS` (a scan of the folder, so it is not paid for every blob).
   */
  async start(): Promise<Upload> {
    const now = Date.now();
    if (now - this.lastScan >= UPLOAD_SCAN_INTERVAL_MS) {
      this.lastScan = now;
      await this.sweep(now);
    } else {
      await this.sweepLive(now);
    }
    const id = randomUUID();
    const file = path.join(this.dir, id);
    await createEmpty(file);
    const u = { id, file, size: 0, hash: createHash('sha256') };
    this.live.set(id, u);
    return u;
  }

  /** Removes the files of uploads untouched for `UPLOAD_STALE_MS` (abandoned by a client, or left by a killed server), and their sessions. */
  async sweep(now = Date.now()): Promise<number> {
    const names = await fs.readdir(this.dir).catch(() => [] as string[]);
    const removed = await Promise.all(names.map((name) => this.removeIfStale(name, path.join(this.dir, name), now)));
    return removed.filter(Boolean).length;
  }

  /** `sweep` for this server's sessions only: a stat each, no folder scan. */
  private async sweepLive(now: number): Promise<number> {
    const removed = await Promise.all([...this.live.values()].map((u) => this.removeIfStale(u.id, u.file, now)));
    return removed.filter(Boolean).length;
  }

  /** Removes the upload file (and session) `id` if nothing touched it for `UPLOAD_STALE_MS` and nothing is writing it; true if it did. */
  private async removeIfStale(id: string, file: string, now: number): Promise<boolean> {
    if (this.busy.has(id)) return false;
    const st = await fs.stat(file).catch(() => undefined);
    if (!st || now - st.mtimeMs < UPLOAD_STALE_MS) return false;
    await fs.rm(file, { force: true });
    this.live.delete(id);
    return true;
  }

  /** The session `id`, or undefined. */
  get(id: string): Upload | undefined {
    return this.live.get(id);
  }

  /**
   * Appends `body` to the session, hashing it on the way; the new size. When the body or
   * the disk fails, the session is put back as it was before (file truncated, hash and size
   * restored), so what it holds is always exactly what it hashed; if that fails too, the
   * session is ended.
   */
  async append(u: Upload, body: Readable): Promise<number> {
    const before = { size: u.size, hash: u.hash.copy() };
    let handle: fs.FileHandle | undefined;
    this.busy.add(u.id);
    try {
      handle = await fs.open(u.file, 'a');
      await appendHashed(u, body, handle);
      await handle.close();
      return u.size;
    } catch (err) {
      body.resume();
      await handle?.close().catch(() => undefined);
      u.size = before.size;
      u.hash = before.hash;
      await fs.truncate(u.file, before.size).catch(() => this.cancel(u));
      throw err;
    } finally {
      this.busy.delete(u.id);
    }
  }

  /**
   * Moves the session's bytes into the blob store as `digest`, then ends the session. They are
   * checked against `digest` before they get its name: a sha256 by the hash taken as they
   * arrived, another algorithm by the store writer as it copies them in. DIGEST_MISMATCH
   * (nothing stored) when they are not that digest.
   */
  async finish(u: Upload, digest: Digest): Promise<void> {
    const desc = { mediaType: 'application/octet-stream', digest, size: u.size };
    let adopted = false;
    this.busy.add(u.id);
    try {
      if (digest.startsWith('sha256:')) {
        // Hashed as it arrived: the file itself becomes the blob, no second write.
        const actual = `sha256:${u.hash.copy().digest('hex')}`;
        if (actual !== digest) throw new AirlockError(ErrorCodes.DIGEST_MISMATCH, `upload ${u.id}: expected ${digest}, got ${actual}`, { expected: digest, actual });
        await this.layout.adoptVerifiedBlob(u.file, desc);
        adopted = true;
      } else {
        await this.layout.writeBlob(desc, createReadStream(u.file));
      }
    } finally {
      // An adopted file is the blob now (nothing left to remove); otherwise its bytes go.
      this.busy.delete(u.id);
      if (adopted) this.live.delete(u.id);
      else await this.cancel(u);
    }
  }

  /** Ends the session and removes its bytes. */
  async cancel(u: Upload): Promise<void> {
    this.live.delete(u.id);
    await fs.rm(u.file, { force: true });
  }
}
