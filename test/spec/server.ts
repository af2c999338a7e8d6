/**
 * Helpers for the OCI distribution-spec v1.1 conformance tests in test/spec/ (written from the
 * spec's spec.md, with the statuses its conformance suite accepts): an in-process `airlock
 * serve` (the registry server as `airlock serve` builds it: pushes into a fresh store in a temp
 * directory, deletes on) on 127.0.0.1 port 0, test content made and pushed through the API,
 * the spec's error body checked, snapshots of what the store holds (to show a refused request
 * stored nothing), and a raw-socket client for requests fetch cannot send (paths with `..`,
 * a Content-Length that does not match the body).
 */
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import type { Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { expect } from 'vitest';
import { createRegistryServer } from '../../src/serve/registry-server.js';
import { Uploads } from '../../src/serve/uploads.js';
import { OciLayout } from '../../src/transport/layout/layout.js';

/** One running registry over its own temp store. */
export interface SpecServer {
  /** `http://127.0.0.1:PORT` */
  base: string;
  port: number;
  /** The store (an OCI layout) the server reads and writes. */
  store: string;
  /** The temp directory holding the store (and nothing else). */
  root: string;
  close(): Promise<void>;
}

/** Starts the registry as `airlock serve` does for a writable store (push on, deletes on). */
export async function startSpecServer(): Promise<SpecServer> {
  const root = await fs.mkdtemp(join(tmpdir(), 'airlock-spec-'));
  const layout = await OciLayout.open(join(root, 'store'), { create: true });
  const server: Server = createRegistryServer({ layout, push: { layout, uploads: new Uploads(layout) }, deletes: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    port,
    store: layout.dir,
    root: await fs.realpath(root),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await fs.rm(root, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Content

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar';
export const OCI_EMPTY = 'application/vnd.oci.empty.v1+json';

/** A descriptor as manifests carry them. */
export interface Desc {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

/** `sha256:<hex>` of `bytes`. */
export function sha256(bytes: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** The descriptor of `bytes` as `mediaType`. */
export function descOf(mediaType: string, bytes: Uint8Array): Desc {
  return { mediaType, digest: sha256(bytes), size: bytes.length };
}

/** A repository name no other test uses: `spec/<what>-<random>`. */
export function repoName(what: string): string {
  return `spec/${what}-${randomBytes(4).toString('hex')}`;
}

/** Random layer bytes. */
export function randomLayer(size = 2048): Buffer {
  return randomBytes(size);
}

/** A small, unique image config. */
export function randomConfig(): Buffer {
  return Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, config: { Env: [`NONCE=${randomBytes(8).toString('hex')}`] } }));
}

/** The bytes of an OCI image manifest. */
export function imageManifest(opts: { config: Desc; layers: Desc[]; subject?: Desc; artifactType?: string; annotations?: Record<string, string> }): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      ...(opts.artifactType ? { artifactType: opts.artifactType } : {}),
      config: opts.config,
      layers: opts.layers,
      ...(opts.subject ? { subject: { mediaType: opts.subject.mediaType, digest: opts.subject.digest, size: opts.subject.size } } : {}),
      ...(opts.annotations ? { annotations: opts.annotations } : {}),
    }),
  );
}

/** The bytes of an OCI image index. */
export function imageIndex(opts: { manifests: Desc[]; subject?: Desc; artifactType?: string; annotations?: Record<string, string> }): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      ...(opts.artifactType ? { artifactType: opts.artifactType } : {}),
      manifests: opts.manifests,
      ...(opts.subject ? { subject: { mediaType: opts.subject.mediaType, digest: opts.subject.digest, size: opts.subject.size } } : {}),
      ...(opts.annotations ? { annotations: opts.annotations } : {}),
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// Requests

/** `location` (absolute or relative, as the spec allows) as a URL on `s`. */
export function urlOf(s: SpecServer, location: string | null): URL {
  expect(location, 'a Location header').toBeTruthy();
  return new URL(location!, s.base);
}

/** `url` with `?digest=` added (keeping the query parameters the location carried). */
export function withDigest(url: URL, digest: string): URL {
  const u = new URL(url);
  u.searchParams.set('digest', digest);
  return u;
}

/** POST `/v2/<name>/blobs/uploads/`: the upload session's URL (asserts 202 with a Location). */
export async function startUpload(s: SpecServer, name: string): Promise<URL> {
  const res = await fetch(`${s.base}/v2/${name}/blobs/uploads/`, { method: 'POST', headers: { 'content-length': '0' } });
  await res.arrayBuffer();
  expect(res.status).toBe(202);
  return urlOf(s, res.headers.get('location'));
}

/** Pushes `bytes` by POST then PUT; asserts 201; returns the digest. */
export async function pushBlob(s: SpecServer, name: string, bytes: Uint8Array): Promise<string> {
  const digest = sha256(bytes);
  const res = await fetch(withDigest(await startUpload(s, name), digest), { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: bytes });
  await res.arrayBuffer();
  expect(res.status).toBe(201);
  return digest;
}

/** PUT `/v2/<name>/manifests/<reference>` with `bytes` as `mediaType`. */
export function putManifest(s: SpecServer, name: string, reference: string, bytes: Uint8Array, mediaType = OCI_MANIFEST): Promise<Response> {
  return fetch(`${s.base}/v2/${name}/manifests/${reference}`, { method: 'PUT', headers: { 'content-type': mediaType }, body: bytes });
}

/** GET (or another method) on `/v2/...`, with the body read. */
export async function call(s: SpecServer, method: string, path: string, init: RequestInit = {}): Promise<{ res: Response; body: Buffer }> {
  const res = await fetch(`${s.base}${path}`, { ...init, method });
  return { res, body: Buffer.from(await res.arrayBuffer()) };
}

/** An image pushed through the API: its config, its one layer, its manifest. */
export interface PushedImage {
  name: string;
  config: Desc;
  configBytes: Buffer;
  layer: Desc;
  layerBytes: Buffer;
  manifest: Buffer;
  digest: string;
  desc: Desc;
}

/** Builds a fresh image and pushes its blobs and its manifest (by `reference`: a tag, or its digest when omitted); asserts 201s. */
export async function pushImage(s: SpecServer, name: string, reference?: string, extra: { subject?: Desc; artifactType?: string; annotations?: Record<string, string>; configMediaType?: string } = {}): Promise<PushedImage> {
  const configBytes = randomConfig();
  const layerBytes = randomLayer();
  const config = descOf(extra.configMediaType ?? OCI_CONFIG, configBytes);
  const layer = descOf(OCI_LAYER, layerBytes);
  await pushBlob(s, name, configBytes);
  await pushBlob(s, name, layerBytes);
  const manifest = imageManifest({ config, layers: [layer], ...extra });
  const digest = sha256(manifest);
  const res = await putManifest(s, name, reference ?? digest, manifest);
  await res.arrayBuffer();
  expect(res.status).toBe(201);
  return { name, config, configBytes, layer, layerBytes, manifest, digest, desc: descOf(OCI_MANIFEST, manifest) };
}

// ---------------------------------------------------------------------------------------------
// Errors

/** The spec's error codes (code-1 .. code-14): "The `code` field MUST be one of the following". */
export const SPEC_ERROR_CODES = [
  'BLOB_UNKNOWN',
  'BLOB_UPLOAD_INVALID',
  'BLOB_UPLOAD_UNKNOWN',
  'DIGEST_INVALID',
  'MANIFEST_BLOB_UNKNOWN',
  'MANIFEST_INVALID',
  'MANIFEST_UNKNOWN',
  'NAME_INVALID',
  'NAME_UNKNOWN',
  'SIZE_INVALID',
  'UNAUTHORIZED',
  'DENIED',
  'UNSUPPORTED',
  'TOOMANYREQUESTS',
] as const;

/** One entry of an error body. */
export interface SpecError {
  code: string;
  message?: string;
  detail?: unknown;
}

/**
 * Checks a JSON error body has the spec's shape: `{"errors":[{"code","message"?,"detail"?}]}`,
 * at least one entry, every code uppercase letters and underscores and one of the spec's,
 * message a string when present, no other fields. Returns the entries.
 */
export function checkErrorBody(body: Buffer | string): SpecError[] {
  const text = body.toString();
  let parsed: unknown;
  expect(() => (parsed = JSON.parse(text)), `error body is JSON: ${text.slice(0, 200)}`).not.toThrow();
  expect(parsed, 'error body is an object').toBeTypeOf('object');
  const errors = (parsed as { errors?: unknown }).errors;
  expect(Array.isArray(errors), `error body has an "errors" array: ${text.slice(0, 200)}`).toBe(true);
  const list = errors as Record<string, unknown>[];
  expect(list.length, 'at least one error').toBeGreaterThan(0);
  for (const e of list) {
    expect(Object.keys(e).every((k) => ['code', 'message', 'detail'].includes(k)), `only code, message, detail: ${JSON.stringify(e)}`).toBe(true);
    expect(e.code).toMatch(/^[A-Z_]+$/);
    expect(SPEC_ERROR_CODES as readonly string[]).toContain(e.code);
    if (e.message !== undefined) expect(e.message).toBeTypeOf('string');
  }
  return list as unknown as SpecError[];
}

/**
 * Asserts a failure: the status is one of `statuses`; unless it is a HEAD answer, the body is
 * the spec's JSON error and its first code is one of `codes`. Returns the codes.
 */
export function expectError(res: { status: number; headers: { get(name: string): string | null } }, body: Buffer, statuses: number | number[], codes: string[], opts: { head?: boolean } = {}): string[] {
  const allowed = Array.isArray(statuses) ? statuses : [statuses];
  expect(allowed, `status ${res.status} (body ${printable(body)})`).toContain(res.status);
  if (opts.head) {
    expect(body.length, 'no body on HEAD').toBe(0);
    return [];
  }
  expect(res.headers.get('content-type') ?? '').toMatch(/^application\/json/);
  const errors = checkErrorBody(body);
  expect(codes, `error code ${errors[0]!.code}`).toContain(errors[0]!.code);
  return errors.map((e) => e.code);
}

/** At most 200 characters of `body`, non-printable ones as dots. */
export function printable(body: Buffer): string {
  return body.subarray(0, 200).toString('latin1').replace(/[^\x20-\x7e]/g, '.');
}

/** "A 4XX response ... MAY return a body in any format. If the response body is in JSON format, it MUST have the following format": checks that. */
export function expectSpecShapeIfJson(res: { headers: { get(name: string): string | null } }, body: Buffer): void {
  if (body.length === 0) return;
  const type = res.headers.get('content-type') ?? '';
  let json = /json/.test(type);
  if (!json) {
    try {
      JSON.parse(body.toString());
      json = true;
    } catch {
      json = false;
    }
  }
  if (json) checkErrorBody(body);
}

// ---------------------------------------------------------------------------------------------
// What the store holds

/** Every file under `dir` (relative paths, sorted); [] when `dir` is missing. */
export async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    let entries;
    try {
      entries = await fs.readdir(d, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out.push(relative(dir, p));
    }
  };
  await walk(dir);
  return out.sort();
}

/** What a refused request must leave as it was: the blob files, index.json, and what sits beside the store. */
export interface StoreSnapshot {
  blobs: string[];
  index: string;
  beside: string[];
}

export async function snapshot(s: SpecServer): Promise<StoreSnapshot> {
  return {
    blobs: await filesUnder(join(s.store, 'blobs')),
    index: await fs.readFile(join(s.store, 'index.json'), 'utf8'),
    beside: (await fs.readdir(s.root)).sort(),
  };
}

/** Asserts nothing new was stored since `before`: no new file under blobs/, index.json unchanged, nothing new beside the store. */
export async function expectNothingStored(s: SpecServer, before: StoreSnapshot): Promise<void> {
  const after = await snapshot(s);
  expect(after.blobs, 'files under blobs/').toEqual(before.blobs);
  expect(after.index, 'index.json').toBe(before.index);
  expect(after.beside, 'entries beside the store').toEqual(before.beside);
}

/** Asserts GET and HEAD of blob `digest` in `name` answer 404. */
export async function expectBlobAbsent(s: SpecServer, name: string, digest: string): Promise<void> {
  for (const method of ['GET', 'HEAD']) {
    const { res } = await call(s, method, `/v2/${name}/blobs/${digest}`);
    expect(res.status, `${method} blob ${digest}`).toBe(404);
  }
}

// ---------------------------------------------------------------------------------------------
// Raw HTTP

/** A response read off a raw socket (the first one on it). */
export interface RawResponse {
  /** 0 when the server closed the connection without answering. */
  status: number;
  headers: { get(name: string): string | null };
  body: Buffer;
}

/**
 * Sends `head` (request line and headers, no trailing blank line needed) and `body` over a new
 * TCP connection, exactly as given: no path normalisation, no Content-Length fixing. With
 * `halfClose`, the write side is closed after the body (a client that stops sending). Resolves
 * with the first response once the connection closes or `timeoutMs` passes.
 */
export function rawRequest(s: SpecServer, head: string, body: Buffer = Buffer.alloc(0), opts: { halfClose?: boolean; timeoutMs?: number } = {}): Promise<RawResponse> {
  return new Promise((resolve) => {
    const socket = connect(s.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(parseRaw(Buffer.concat(chunks)));
    };
    const timer = setTimeout(finish, opts.timeoutMs ?? 2000);
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      // Done once the first response is whole (it may be followed by nothing else on a kept-alive connection).
      const r = parseRaw(Buffer.concat(chunks));
      const declared = Number(r.headers.get('content-length') ?? NaN);
      if (r.status !== 0 && Number.isFinite(declared) && r.body.length >= declared) finish();
    });
    socket.on('close', finish);
    socket.on('error', finish);
    socket.on('connect', () => {
      socket.write(`${head.replace(/\r?\n$/, '')}\r\n\r\n`);
      if (body.length > 0) socket.write(body);
      if (opts.halfClose) socket.end();
    });
  });
}

function parseRaw(data: Buffer): RawResponse {
  const end = data.indexOf('\r\n\r\n');
  const none = { status: 0, headers: { get: () => null }, body: Buffer.alloc(0) };
  if (end < 0) return none;
  const lines = data.subarray(0, end).toString('latin1').split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
  if (!m) return none;
  const map = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) map.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const rest = data.subarray(end + 4);
  const length = Number(map.get('content-length') ?? NaN);
  return { status: Number(m[1]), headers: { get: (n: string) => map.get(n.toLowerCase()) ?? null }, body: Number.isFinite(length) ? rest.subarray(0, length) : rest };
}
