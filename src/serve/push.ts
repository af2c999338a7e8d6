/**
 * The push side of the distribution API, into the store: uploads (monolithic POST+PUT, a
 * single POST with `digest`, chunked PATCH with Content-Range, status GET, cancel),
 * cross-repository mounts (one blob store: a blob the store holds is mounted at once, with
 * or without `from`), and manifests (verified, every blob they name present, then named).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AirlockError, ErrorCodes } from '../errors.js';
import { digestOf, isDigest } from '../oci/digest.js';
import { childDescriptors, parseManifest } from '../oci/manifest.js';
import type { OciLayout } from '../transport/layout/layout.js';
import { readBody } from './body.js';
import { sendError } from './errors.js';
import { API_VERSION, MAX_MANIFEST_BYTES, TAG_PATTERN } from './routes.js';
import type { Repositories } from './repositories.js';
import type { Uploads } from './uploads.js';

/** Where the store is written. */
export interface PushTarget {
  layout: OciLayout;
  uploads: Uploads;
  /** Which repository holds what was pushed into it. */
  repos: Repositories;
}

function created(res: ServerResponse, location: string, digest: string): void {
  res.writeHead(201, { ...API_VERSION, location, 'docker-content-digest': digest, 'content-length': 0 });
  res.end();
}

function uploadStatus(res: ServerResponse, status: number, name: string, id: string, size: number): void {
  res.writeHead(status, {
    ...API_VERSION,
    location: `/v2/${name}/blobs/uploads/${id}`,
    'docker-upload-uuid': id,
    range: `0-${Math.max(0, size - 1)}`,
    'content-length': 0,
  });
  res.end();
}

/** Moves a finished upload into the store as `digest`; answers 201, or DIGEST_INVALID (nothing stored). */
async function finishUpload(t: PushTarget, res: ServerResponse, name: string, upload: Parameters<Uploads['finish']>[0], digest: string): Promise<void> {
  if (!isDigest(digest)) {
    await t.uploads.cancel(upload);
    return sendError(res, false, 400, 'DIGEST_INVALID', `invalid digest: ${JSON.stringify(digest.slice(0, 200))}`);
  }
  try {
    await t.uploads.finish(upload, digest);
  } catch (err) {
    if (err instanceof AirlockError && (err.code === ErrorCodes.DIGEST_MISMATCH || err.code === ErrorCodes.SIZE_MISMATCH)) {
      return sendError(res, false, 400, 'DIGEST_INVALID', `the uploaded bytes are not ${digest}`);
    }
    throw err;
  }
  await t.repos.link(name, digest);
  created(res, `/v2/${name}/blobs/${digest}`, digest);
}

/** Answers an upload request (POST, PATCH, PUT, GET, DELETE on `/blobs/uploads/`). */
export async function handleUpload(t: PushTarget, req: IncomingMessage, res: ServerResponse, url: URL, name: string, id: string | undefined): Promise<void> {
  const method = req.method ?? '';
  if (id === undefined) {
    if (method !== 'POST') return sendError(res, false, 405, 'UNSUPPORTED', `${method} on an upload needs its session`);
    const mount = url.searchParams.get('mount');
    const from = url.searchParams.get('from');
    if (mount !== null && isDigest(mount) && (await t.layout.hasBlob(mount)) !== null && (from === null || (await t.repos.holds(from, mount)))) {
      // One blob store for every repository: mounting links the blob to this one. Without
      // `from`, the spec lets a registry find the blob where it is.
      await t.repos.link(name, mount);
      return created(res, `/v2/${name}/blobs/${mount}`, mount);
    }
    const u = await t.uploads.start();
    const digest = url.searchParams.get('digest');
    if (digest !== null) {
      await t.uploads.append(u, req);
      return finishUpload(t, res, name, u, digest);
    }
    req.resume();
    return uploadStatus(res, 202, name, u.id, 0);
  }
  const u = t.uploads.get(id);
  if (!u) {
    req.resume();
    return sendError(res, method === 'HEAD', 404, 'BLOB_UPLOAD_UNKNOWN', `upload ${id.slice(0, 80)} is not known`);
  }
  if (method === 'GET' || method === 'HEAD') return uploadStatus(res, 204, name, u.id, u.size);
  if (method === 'DELETE') {
    await t.uploads.cancel(u);
    res.writeHead(204, API_VERSION);
    return void res.end();
  }
  if (method === 'PATCH' || method === 'PUT') {
    const range = req.headers['content-range'];
    if (range !== undefined) {
      const m = /^(?:bytes[ =])?(\d+)-(\d+)$/.exec(range);
      if (!m || Number(m[1]) !== u.size) {
        req.resume();
        res.writeHead(416, { ...API_VERSION, location: `/v2/${name}/blobs/uploads/${u.id}`, range: `0-${Math.max(0, u.size - 1)}`, 'content-length': 0 });
        return void res.end();
      }
    }
    await t.uploads.append(u, req);
    if (method === 'PATCH') return uploadStatus(res, 202, name, u.id, u.size);
    return finishUpload(t, res, name, u, url.searchParams.get('digest') ?? '');
  }
  return sendError(res, false, 405, 'UNSUPPORTED', `${method} is not an upload method`);
}

/** Answers `PUT /v2/<name>/manifests/<reference>`: verified, its blobs present, stored, and named by tag. */
export async function handleManifestPut(t: PushTarget, req: IncomingMessage, res: ServerResponse, name: string, reference: string): Promise<void> {
  if (!isDigest(reference) && !TAG_PATTERN.test(reference)) {
    req.resume();
    return sendError(res, false, 400, 'MANIFEST_INVALID', `invalid reference: ${JSON.stringify(reference.slice(0, 200))}`);
  }
  const bytes = await readBody(req, MAX_MANIFEST_BYTES);
  if (!bytes) return sendError(res, false, 413, 'SIZE_INVALID', `a manifest may not be over ${MAX_MANIFEST_BYTES} bytes`);
  const digest = digestOf(bytes);
  if (isDigest(reference) && reference !== digest) return sendError(res, false, 400, 'DIGEST_INVALID', `the manifest is ${digest}, not ${reference}`);
  const declared = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
  let manifest;
  let raw: { mediaType?: string; subject?: { digest?: unknown } };
  try {
    manifest = parseManifest(bytes, declared || undefined);
    // The fields parseManifest does not keep: the media type as written, the subject.
    raw = JSON.parse(bytes.toString('utf8')) as typeof raw;
  } catch (err) {
    return sendError(res, false, 400, 'MANIFEST_INVALID', `not a manifest: ${(err as Error).message}`);
  }
  const mediaType = raw.mediaType ?? declared;
  if (!mediaType) return sendError(res, false, 400, 'MANIFEST_INVALID', 'no media type: give mediaType in the manifest or a Content-Type');
  const missing: string[] = [];
  for (const child of childDescriptors(manifest)) if ((await t.layout.hasBlob(child.digest)) !== child.size) missing.push(child.digest);
  if (missing.length > 0) return sendError(res, false, 400, 'MANIFEST_BLOB_UNKNOWN', `the manifest names ${missing.length} blob(s) or manifest(s) this registry does not hold`, { digests: missing });
  const desc = { mediaType, digest, size: bytes.length };
  await t.layout.writeBytes(desc, bytes);
  await t.repos.link(name, digest);
  if (!isDigest(reference)) await t.layout.setRef(`${name}:${reference}`, desc);
  const subject = raw.subject?.digest;
  if (typeof subject === 'string') {
    // Kept as an unnamed entry: the referrers API finds it there, and prune keeps it.
    await t.layout.addUnnamed(desc);
    res.setHeader('oci-subject', subject);
  }
  created(res, `/v2/${name}/manifests/${digest}`, digest);
}
