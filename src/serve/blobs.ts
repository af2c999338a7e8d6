/** Blob GET and HEAD: the whole blob or one `Range`, streamed from the layout's blob store. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { Digest } from '../oci/digest.js';
import type { LayoutContent } from '../transport/layout/content.js';
import { sendError } from './errors.js';
import { API_VERSION } from './routes.js';

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

/** Answers a blob GET or HEAD for `digest` (already checked to be a digest): 200, 206 for a Range, 416, or BLOB_UNKNOWN. */
export async function sendBlob(layout: LayoutContent, req: IncomingMessage, res: ServerResponse, head: boolean, digest: Digest): Promise<void> {
  const size = await layout.hasBlob(digest);
  if (size === null) return sendError(res, head, 404, 'BLOB_UNKNOWN', `blob unknown: ${digest}`);
  const range = rangeOf(req.headers.range, size);
  if (range === 'unsatisfiable') {
    res.writeHead(416, { 'content-range': `bytes */${size}` });
    return void res.end();
  }
  const headers = { ...API_VERSION, 'content-type': 'application/octet-stream', 'docker-content-digest': digest, 'accept-ranges': 'bytes', etag: `"${digest}"` };
  if (range) {
    res.writeHead(206, { ...headers, 'content-length': range.end - range.start + 1, 'content-range': `bytes ${range.start}-${range.end}/${size}` });
    if (head) return void res.end();
    return pipeline(await layout.readBlobRange(digest, range.start, range.end), res);
  }
  res.writeHead(200, { ...headers, 'content-length': size });
  if (head) return void res.end();
  return pipeline(await layout.readBlob(digest), res);
}

