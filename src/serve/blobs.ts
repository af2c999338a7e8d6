/**
 * Blob GET and HEAD: the whole blob or one `Range`. From the store, bytes go from the blob
 * file to the socket through a few reused buffers (no per-read allocation, so neither
 * garbage nor page faults grow with throughput); from a bundle, as the layout's stream.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FileHandle } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { Digest } from '../oci/digest.js';
import type { LayoutContent } from '../transport/layout/content.js';
import { OciLayout } from '../transport/layout/layout.js';
import { sendError } from './errors.js';
import { API_VERSION } from './routes.js';

/**
 * Bytes per file read and socket write. Large enough that the read (a thread-pool round
 * trip) and write costs are spread thin, small enough that a few per request stay cheap.
 */
const SEND_CHUNK = 256 * 1024;
/** Idle send buffers kept for the next requests (beyond this, they are left to the GC). */
const POOL_LIMIT = 32;
const pool: Buffer[] = [];

/** A send buffer: a pooled one, else a new one (never from Node's shared slab, which it would pin). */
function takeBuffer(): Buffer {
  return pool.pop() ?? Buffer.allocUnsafeSlow(SEND_CHUNK);
}

/** Returns a buffer nothing references any more to the pool. */
function giveBuffer(buf: Buffer): void {
  if (pool.length < POOL_LIMIT) pool.push(buf);
}

/** A parsed `Range: bytes=a-b` for a blob of `size` bytes: the inclusive range, 'unsatisfiable', or undefined (whole blob). */
function rangeOf(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  return start > end || start >= size ? 'unsatisfiable' : { start, end };
}

/**
 * Writes `chunk` to `res`; resolves once the socket has taken it (so its buffer may be
 * reused), rejects when the response closes first (the client went away).
 */
function write(res: ServerResponse, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const onClose = () => reject(new Error('the response closed before the blob was sent'));
    res.once('close', onClose);
    res.write(chunk, (err) => {
      res.off('close', onClose);
      if (err) reject(err);
      else resolve();
    });
  });
}

/**
 * Sends bytes `start`..`end` (inclusive) of the open file to `res` (not ending it), with two
 * buffers in turn: the next chunk is read while the last one is being sent. Rejects when
 * the file ends early or the response closes; the buffers go back to the pool only when
 * every write finished, since an aborted write may still hold one.
 */
async function sendFileRange(handle: FileHandle, res: ServerResponse, start: number, end: number): Promise<void> {
  const bufs = [takeBuffer(), takeBuffer()];
  let sending: Promise<void> = Promise.resolve();
  let pos = start;
  try {
    for (let i = 0; pos <= end; i ^= 1) {
      const buf = bufs[i]!;
      const { bytesRead } = await handle.read(buf, 0, Math.min(SEND_CHUNK, end - pos + 1), pos);
      if (bytesRead === 0) throw new Error(`the blob file ended at byte ${pos}, before ${end + 1}`);
      // One write in flight: once the last chunk is sent, its buffer is free for the next read.
      await sending;
      sending = write(res, buf.subarray(0, bytesRead));
      // Seen at once, so a rejection while the next read runs is not unhandled; awaited again below.
      sending.catch(() => undefined);
      pos += bytesRead;
    }
    await sending;
  } catch (err) {
    await sending.catch(() => undefined);
    throw err;
  }
  for (const b of bufs) giveBuffer(b);
}

/**
 * Sends the status and headers for a blob of `size` bytes and the request's Range: 200, 206,
 * or 416 (ended). The inclusive range of bytes to send next, or undefined when the answer is
 * already complete (416, HEAD, an empty blob).
 */
function startAnswer(req: IncomingMessage, res: ServerResponse, head: boolean, digest: Digest, size: number): { start: number; end: number } | undefined {
  const range = rangeOf(req.headers.range, size);
  if (range === 'unsatisfiable') {
    res.writeHead(416, { 'content-range': `bytes */${size}` });
    return void res.end();
  }
  const headers = { ...API_VERSION, 'content-type': 'application/octet-stream', 'docker-content-digest': digest, 'accept-ranges': 'bytes', etag: `"${digest}"` };
  if (range) res.writeHead(206, { ...headers, 'content-length': range.end - range.start + 1, 'content-range': `bytes ${range.start}-${range.end}/${size}` });
  else res.writeHead(200, { ...headers, 'content-length': size });
  const send = range ?? { start: 0, end: size - 1 };
  if (head || send.end < send.start) return void res.end();
  return send;
}

/** Answers a blob GET or HEAD for `digest` (already checked to be a digest): 200, 206 for a Range, 416, or BLOB_UNKNOWN. */
export async function sendBlob(layout: LayoutContent, req: IncomingMessage, res: ServerResponse, head: boolean, digest: Digest): Promise<void> {
  if (!head && layout instanceof OciLayout) {
    // One open and fstat answer both "is it there" and "how big", and the bytes come from that same file.
    const blob = await layout.blobs.openBlob(digest);
    if (!blob) return sendError(res, head, 404, 'BLOB_UNKNOWN', `blob unknown: ${digest}`);
    try {
      const send = startAnswer(req, res, head, digest, blob.size);
      if (!send) return;
      await sendFileRange(blob.handle, res, send.start, send.end);
      res.end();
    } finally {
      await blob.handle.close();
    }
    return;
  }
  const size = await layout.hasBlob(digest);
  if (size === null) return sendError(res, head, 404, 'BLOB_UNKNOWN', `blob unknown: ${digest}`);
  const send = startAnswer(req, res, head, digest, size);
  if (!send) return;
  const whole = send.start === 0 && send.end === size - 1;
  return pipeline(whole ? await layout.readBlob(digest) : await layout.readBlobRange(digest, send.start, send.end), res);
}
