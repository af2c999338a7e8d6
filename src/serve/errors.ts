/** Error answers in the shape the distribution spec gives: `{"errors":[{"code","message","detail"}]}`. */
import type { ServerResponse } from 'node:http';

/** The spec's error codes this server sends. */
export type SpecErrorCode =
  | 'BLOB_UNKNOWN'
  | 'DIGEST_INVALID'
  | 'MANIFEST_UNKNOWN'
  | 'NAME_INVALID'
  | 'NAME_UNKNOWN'
  | 'MANIFEST_INVALID'
  | 'UNSUPPORTED'
  | 'BLOB_UPLOAD_INVALID'
  | 'BLOB_UPLOAD_UNKNOWN'
  | 'MANIFEST_BLOB_UNKNOWN'
  | 'SIZE_INVALID'
  | 'UNAUTHORIZED'
  | 'DENIED';

/** Sends `status` with one spec error (no body on HEAD). */
export function sendError(res: ServerResponse, head: boolean, status: number, code: SpecErrorCode, message: string, detail?: unknown): void {
  const body = JSON.stringify({ errors: [{ code, message, ...(detail !== undefined ? { detail } : {}) }] });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(head ? undefined : body);
}
