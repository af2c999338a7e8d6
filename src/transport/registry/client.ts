import { PassThrough, type Readable } from 'node:stream';
import { AirlockError, ErrorCodes, RegistryError } from '../../errors.js';
import type { Descriptor } from '../../oci/descriptor.js';
import { digestAlgorithm, digestOf, isDigest, verifyBytes, type Digest } from '../../oci/digest.js';
import { MAX_MANIFEST_BYTES } from '../../oci/manifest.js';
import { MANIFEST_ACCEPT, MediaTypes } from '../../oci/mediatypes.js';
import type { FetchedManifest } from '../types.js';
import { HostAuth } from './auth.js';
import { CredentialStore } from './credentials/store.js';
import { bodyError, connectionError, redactUrl, responseError } from './errors.js';
import { discard, header, HostHttp, readText, type HttpRequest, type HttpResponse } from './http.js';
import { nextLink } from './link.js';
import { manifestMediaType } from './media.js';
import { resolveEndpoint, type HostEndpoint, type RegistryOptions } from './options.js';
import { isRetryable, parseRetryAfter, retrying } from '../../retry/index.js';
import { mountScopes, repositoryScope, type Access } from './scope.js';
import { emptyStats, type RequestStats } from './stats.js';

const ACCEPT = MANIFEST_ACCEPT.join(', ');
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;

interface CallRequest extends HttpRequest {
  scopes: readonly string[];
  /** Follow redirects (GET/HEAD only); Authorization is sent only to the registry's own origin. */
  follow?: boolean;
  /** Short description for error messages. */
  what: string;
  /** 0-based attempt of the operation this request belongs to (for error messages). */
  attempt?: number;
}

/** Things a client may share with other clients of the same run. */
export interface RegistryClientShared {
  credentials?: CredentialStore;
  /** Counter summed over every host. */
  globalStats?: RequestStats;
}

/**
 * An OCI Distribution client for one registry host (as named in references, `docker.io`
 * included). Holds the host's connection pool and auth state; every image of a run that
 * touches the host should go through the same client (see RegistryPool).
 * Every method maps failures to RegistryError / AirlockError codes and never puts
 * credentials, tokens or query strings into messages.
 */
export class RegistryClient {
  readonly endpoint: HostEndpoint;
  private readonly http: HostHttp;
  private readonly auth: HostAuth;
  private readonly counters = emptyStats();
  // Upload sessions opened by a mount that did not mount, reused by the next upload of that blob.
  private readonly pendingUploads = new Map<string, URL>();
  /** Set once the registry answered the referrers API with 404 (it has none): the tag schema is used from then on. */
  private noReferrersApi = false;

  constructor(
    readonly host: string,
    options: RegistryOptions = {},
    shared: RegistryClientShared = {},
  ) {
    this.endpoint = resolveEndpoint(options, host);
    this.http = new HostHttp(this.endpoint, options, this.counters, shared.globalStats);
    this.auth = new HostAuth(host, this.http, shared.credentials ?? new CredentialStore(options));
  }

  /** Request counts of this host so far. */
  stats(): RequestStats {
    return { ...this.counters };
  }

  private url(path: string): URL {
    return new URL(`${this.endpoint.origin}/v2/${path}`);
  }

  /**
   * Runs one operation under the run's retry policy: `attempt` is tried again on a retryable
   * failure (see `isRetryable`). Each operation is retried here and nowhere else.
   */
  private op<T>(attempt: (n: number) => Promise<T>): Promise<T> {
    return retrying(attempt, { policy: this.http.policy, signal: this.http.signal, onRetry: () => this.http.countRetry() });
  }

  /** Sends to the registry's origin with authentication: up front when known, once more after a 401. */
  private async authed(req: CallRequest): Promise<HttpResponse> {
    const replayable = req.body === undefined || req.body === null || Buffer.isBuffer(req.body);
    let scopes = req.scopes;
    for (let round = 0; ; round++) {
      const authorization = await this.auth.authorization(scopes);
      const headers = { ...req.headers, ...(authorization ? { authorization } : {}) };
      const res = await this.http.send({ ...req, headers }, req.attempt);
      if (res.statusCode !== 401) return res;
      const challenge = res.headers['www-authenticate'];
      const body = await readText(res);
      const next = round === 0 && replayable ? await this.auth.onUnauthorized(challenge, scopes, authorization) : null;
      if (!next) throw responseError(req.method, req.url, 401, body, req.what);
      scopes = next;
    }
  }

  /** Sends a request, following redirects when asked; returns the final response and its URL. */
  private async call(req: CallRequest): Promise<{ res: HttpResponse; url: URL }> {
    let url = req.url;
    for (let hops = 0; ; hops++) {
      const own = url.origin === this.endpoint.origin;
      const res = own
        ? await this.authed({ ...req, url })
        : await this.http.send({ method: req.method, url, headers: req.headers ?? {}, body: req.body ?? null }, req.attempt);
      const location = header(res, 'location');
      if (req.follow && REDIRECTS.has(res.statusCode) && location) {
        await discard(res);
        if (hops >= MAX_REDIRECTS) {
          throw new RegistryError(ErrorCodes.REGISTRY_PROTOCOL, `${req.what}: too many redirects from ${redactUrl(req.url)}`, {
            status: res.statusCode,
            url: redactUrl(req.url),
          });
        }
        url = new URL(location, url);
        continue;
      }
      return { res, url };
    }
  }

  private async fail(method: string, url: URL, res: HttpResponse, what: string): Promise<never> {
    const body = await readText(res);
    if (url.protocol === 'http:' && speaksTlsOnly(res.statusCode, res.headers, body)) {
      throw new RegistryError(
        ErrorCodes.TLS_CONFIG_INVALID,
        `${what}: ${this.host} speaks HTTPS but was contacted over plain HTTP (loopback hosts are plain HTTP unless given a CA): pass --registry-ca ${this.host}=CA.pem`,
        { status: res.statusCode, url: redactUrl(url) },
      );
    }
    throw responseError(method, url, res.statusCode, body, what, undefined, parseRetryAfter(res.headers['retry-after']));
  }

  /** One manifest request: the full Accept list, redirects followed. */
  private manifestCall(method: 'HEAD' | 'GET', url: URL, repository: string, access: Access, what: string, attempt: number) {
    return this.call({ method, url, headers: { accept: ACCEPT }, scopes: [repositoryScope(repository, access)], follow: true, what, attempt });
  }

  /** GET /v2/: checks the registry answers and the credentials (if any) work. */
  async ping(): Promise<void> {
    const url = this.url('');
    const what = `ping ${this.host}`;
    await this.op(async (attempt) => {
      const { res } = await this.call({ method: 'GET', url, scopes: [], what, attempt });
      if (res.statusCode !== 200) return this.fail('GET', url, res, what);
      await discard(res);
    });
  }

  /**
   * HEAD a manifest: its descriptor from Docker-Content-Digest, Content-Type and
   * Content-Length, or null when the registry has no such manifest (404). When the
   * registry omits the digest for a tag, falls back to a GET and hashes the bytes.
   */
  async headManifest(repository: string, reference: string, access: Access = 'pull'): Promise<Descriptor | null> {
    const url = this.url(`${repository}/manifests/${reference}`);
    const what = `manifest ${this.host}/${repository}:${reference}`;
    const answer = await this.op(async (attempt): Promise<Descriptor | null | 'get'> => {
      const { res } = await this.manifestCall('HEAD', url, repository, access, what, attempt);
      if (res.statusCode === 404) {
        await discard(res);
        return null;
      }
      if (res.statusCode !== 200) return this.fail('HEAD', url, res, what);
      await discard(res);
      const digestHeader = header(res, 'docker-content-digest');
      const mediaType = header(res, 'content-type')?.split(';')[0]?.trim();
      const size = Number(header(res, 'content-length'));
      const digest = digestHeader && isDigest(digestHeader) ? digestHeader : isDigest(reference) ? reference : undefined;
      if (digest && mediaType && mediaType !== 'application/json' && Number.isSafeInteger(size) && size > 0) {
        return { mediaType, digest, size };
      }
      return 'get';
    });
    if (answer !== 'get') return answer;
    let m: FetchedManifest;
    try {
      m = await this.getManifest(repository, reference, isDigest(reference) ? reference : undefined, access);
    } catch (err) {
      if (err instanceof RegistryError && err.status === 404) return null;
      throw err;
    }
    return { mediaType: m.mediaType, digest: m.digest, size: m.bytes.length };
  }

  /**
   * GET a manifest with the full Accept list. Refuses more than 4 MiB (MANIFEST_TOO_LARGE,
   * checked on Content-Length and while reading). Verifies the bytes against
   * `expectedDigest` (default: the reference when it is a digest) and against
   * Docker-Content-Digest when sent (DIGEST_MISMATCH). 404 → REGISTRY_NOT_FOUND. A body
   * cut short is asked for again like any connection failure, then REGISTRY_UNREACHABLE.
   */
  async getManifest(
    repository: string,
    reference: string,
    expectedDigest?: Digest,
    access: Access = 'pull',
  ): Promise<FetchedManifest> {
    const url = this.url(`${repository}/manifests/${reference}`);
    const what = `manifest ${this.host}/${repository}:${reference}`;
    const expected = expectedDigest ?? (isDigest(reference) ? reference : undefined);
    return this.op(async (attempt) => {
      const { res } = await this.manifestCall('GET', url, repository, access, what, attempt);
      if (res.statusCode !== 200) return this.fail('GET', url, res, what);
      let bytes: Buffer;
      try {
        bytes = await readManifestBody(res, what);
      } catch (err) {
        // A body cut off mid-way is a connection failure like any other: the GET can be replayed.
        throw bodyError(this.host, what, url, err);
      }
      const served = header(res, 'docker-content-digest');
      if (expected) verifyBytes(bytes, expected, undefined, what);
      let digest: Digest;
      if (served && isDigest(served)) {
        // The registry's own digest must also match the bytes it sent.
        verifyBytes(bytes, served, undefined, what);
        digest = expected ?? (digestAlgorithm(served) === 'sha256' ? served : digestOf(bytes));
      } else {
        digest = expected ?? digestOf(bytes);
      }
      return { bytes, mediaType: manifestMediaType(bytes, header(res, 'content-type')), digest };
    });
  }

  /** HEAD a blob: its size, or null when the repository does not have it. */
  async headBlob(repository: string, digest: Digest, access: Access = 'pull'): Promise<number | null> {
    const url = this.url(`${repository}/blobs/${digest}`);
    const what = `blob ${digest} in ${this.host}/${repository}`;
    return this.op(async (attempt) => {
      const { res } = await this.call({
        method: 'HEAD',
        url,
        scopes: [repositoryScope(repository, access)],
        follow: true,
        what,
        attempt,
      });
      await discard(res);
      if (res.statusCode === 404) return null;
      if (res.statusCode !== 200) {
        throw responseError('HEAD', url, res.statusCode, '', what, undefined, parseRetryAfter(res.headers['retry-after']));
      }
      const size = Number(header(res, 'content-length'));
      return Number.isSafeInteger(size) && size >= 0 ? size : 0;
    });
  }

  /**
   * GET a blob as a stream (unverified: the caller hashes it). Follows redirects to other
   * hosts (object storage) without sending them the Authorization header. 404 → REGISTRY_NOT_FOUND.
   * Failures before the body starts are retried here; a connection lost mid-body makes the
   * stream fail with REGISTRY_UNREACHABLE, and the caller reads the blob again.
   */
  async getBlob(repository: string, digest: Digest): Promise<Readable> {
    const url = this.url(`${repository}/blobs/${digest}`);
    const what = `blob ${digest} in ${this.host}/${repository}`;
    return this.op(async (attempt) => {
      const { res, url: finalUrl } = await this.call({
        method: 'GET',
        url,
        scopes: [repositoryScope(repository, 'pull')],
        follow: true,
        what,
        attempt,
      });
      if (res.statusCode !== 200) return this.fail('GET', finalUrl, res, what);
      return withBodyErrors(res.body, (err) => bodyError(this.host, what, finalUrl, err));
    });
  }

  /**
   * Asks the registry to mount `digest` from `fromRepository` into `repository` (same host).
   * True when mounted (201). When the registry opens an upload session instead (202), it is
   * kept and reused by the next `uploadBlob` of this digest, and false is returned.
   */
  async mountBlob(repository: string, digest: Digest, fromRepository: string): Promise<boolean> {
    const url = this.url(`${repository}/blobs/uploads/`);
    url.searchParams.set('mount', digest);
    url.searchParams.set('from', fromRepository);
    const what = `mount ${digest} from ${fromRepository} into ${this.host}/${repository}`;
    return this.op(async (attempt) => {
      const { res } = await this.call({
        method: 'POST',
        url,
        headers: { 'content-length': '0' },
        scopes: mountScopes(repository, fromRepository),
        what,
        attempt,
      });
      if (res.statusCode === 201) {
        await discard(res);
        return true;
      }
      if (res.statusCode === 202) {
        await discard(res);
        const location = header(res, 'location');
        if (location) this.pendingUploads.set(`${repository}@${digest}`, new URL(location, url));
        return false;
      }
      return this.fail('POST', url, res, what);
    });
  }

  private async startUpload(repository: string, what: string): Promise<URL> {
    const url = this.url(`${repository}/blobs/uploads/`);
    return this.op(async (attempt) => {
      const { res } = await this.call({
        method: 'POST',
        url,
        headers: { 'content-length': '0' },
        scopes: [repositoryScope(repository, 'push')],
        what,
        attempt,
      });
      if (res.statusCode !== 202) return this.fail('POST', url, res, what);
      await discard(res);
      const location = header(res, 'location');
      if (!location) {
        throw new RegistryError(ErrorCodes.REGISTRY_PROTOCOL, `${what}: upload session has no Location`, {
          status: res.statusCode,
          url: redactUrl(url),
        });
      }
      return new URL(location, url);
    });
  }

  /** Best-effort cancel of an upload session so the registry can drop what it received. */
  private async cancelUpload(location: URL, repository: string): Promise<void> {
    try {
      const { res } = await this.call({
        method: 'DELETE',
        url: location,
        scopes: [repositoryScope(repository, 'push')],
        what: 'cancel upload',
      });
      await discard(res);
    } catch {
      // The registry expires abandoned sessions itself.
    }
  }

  /**
   * Uploads a blob: POST an upload session (or reuse one a failed mount opened), then one
   * monolithic PUT `<location>&digest=` with Content-Length = desc.size and the body
   * streamed. The registry commits only when the bytes hash to the digest; if `body` errors
   * (e.g. a VerifyingStream detecting a mismatch), the request is aborted, that error is
   * thrown and the session cancelled. A stream body is sent once (the caller reads the blob
   * again to retry); a Buffer body is retried here, session and all.
   */
  async uploadBlob(repository: string, desc: Descriptor, body: Readable | Buffer): Promise<void> {
    if (Buffer.isBuffer(body)) return this.op((attempt) => this.uploadOnce(repository, desc, body, attempt));
    return this.uploadOnce(repository, desc, body, 0);
  }

  private async uploadOnce(repository: string, desc: Descriptor, body: Readable | Buffer, attempt: number): Promise<void> {
    const what = `upload ${desc.digest} to ${this.host}/${repository}`;
    const key = `${repository}@${desc.digest}`;
    const reused = this.pendingUploads.get(key);
    this.pendingUploads.delete(key);
    const location = reused ?? (await this.startUpload(repository, what));
    const put = new URL(location);
    put.searchParams.set('digest', desc.digest);
    let res: HttpResponse;
    try {
      ({ res } = await this.call({
        method: 'PUT',
        url: put,
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(desc.size) },
        body,
        scopes: [repositoryScope(repository, 'push')],
        what,
        attempt,
      }));
    } catch (err) {
      const failed = Buffer.isBuffer(body) ? null : body.errored;
      await this.cancelUpload(location, repository);
      throw uploadFailure(failed, err);
    }
    if (!Buffer.isBuffer(body) && body.errored) {
      await discard(res);
      await this.cancelUpload(location, repository);
      throw uploadFailure(body.errored, connectionError(this.host, 'PUT', put, body.errored, attempt + 1));
    }
    if (res.statusCode !== 201) {
      const err = responseError('PUT', put, res.statusCode, await readText(res), what, undefined, parseRetryAfter(res.headers['retry-after']));
      await this.cancelUpload(location, repository);
      throw err;
    }
    await discard(res);
    const stored = header(res, 'docker-content-digest');
    if (stored && isDigest(stored) && stored !== desc.digest) {
      throw new AirlockError(ErrorCodes.DIGEST_MISMATCH, `${what}: registry stored ${stored}`, {
        expected: desc.digest,
        actual: stored,
      });
    }
  }

  /**
   * PUT manifest bytes exactly as given under `reference` (tag or digest) and returns their
   * digest. Fails with DIGEST_MISMATCH if the registry reports a different digest (it must
   * not re-serialise), or when `reference` is a digest the bytes do not hash to.
   */
  async putManifest(repository: string, reference: string, bytes: Buffer, mediaType: string): Promise<Digest> {
    const url = this.url(`${repository}/manifests/${reference}`);
    const what = `manifest ${this.host}/${repository}:${reference}`;
    const digest = isDigest(reference) ? reference : digestOf(bytes);
    verifyBytes(bytes, digest, undefined, what);
    return this.op(async (attempt) => {
      const { res } = await this.call({
        method: 'PUT',
        url,
        headers: { 'content-type': mediaType },
        body: bytes,
        scopes: [repositoryScope(repository, 'push')],
        what,
        attempt,
      });
      if (res.statusCode !== 201 && res.statusCode !== 200) return this.fail('PUT', url, res, what);
      await discard(res);
      const stored = header(res, 'docker-content-digest');
      if (stored && isDigest(stored) && digestAlgorithm(stored) === digestAlgorithm(digest) && stored !== digest) {
        throw new AirlockError(ErrorCodes.DIGEST_MISMATCH, `${what}: registry stored ${stored}`, {
          expected: digest,
          actual: stored,
        });
      }
      return digest;
    });
  }

  /**
   * Every tag of a repository, following `Link: <...>; rel="next"` pages. `pageSize` sets
   * `?n=` on the first request. 404 → REGISTRY_NOT_FOUND.
   */
  async listTags(repository: string, options: { pageSize?: number } = {}): Promise<string[]> {
    const url = this.url(`${repository}/tags/list`);
    if (options.pageSize) url.searchParams.set('n', String(options.pageSize));
    return this.listPages(url, 'tags', [repositoryScope(repository, 'pull')], `tags of ${this.host}/${repository}`);
  }

  /**
   * The referrers of `digest` through the OCI 1.1 referrers API (every page), or null when
   * the registry does not offer the API (404 or 400 at the endpoint: the spec's cue to fall
   * back to the tag schema; also 405, 401/403 on this endpoint alone, or an answer that is not
   * an index). Descriptors come as the registry lists them.
   */
  async listReferrers(repository: string, digest: Digest): Promise<Descriptor[] | null> {
    // A registry answers the same way for every image: once it said it has no API, it is not asked again.
    if (this.noReferrersApi) return null;
    let url: URL | undefined = this.url(`${repository}/referrers/${digest}`);
    const what = `referrers of ${this.host}/${repository}@${digest}`;
    const out: Descriptor[] = [];
    const seen = new Set<string>();
    while (url) {
      if (seen.has(url.href)) break;
      seen.add(url.href);
      const page: URL = url;
      const answer = await this.op(async (attempt) => {
        const { res } = await this.call({ method: 'GET', url: page, headers: { accept: MediaTypes.ociIndex }, scopes: [repositoryScope(repository, 'pull')], follow: true, what, attempt });
        if (res.statusCode === 404 || res.statusCode === 400 || res.statusCode === 405) {
          await discard(res);
          return null;
        }
        if (res.statusCode !== 200) return this.fail('GET', page, res, what);
        const type = (header(res, 'content-type') ?? '').split(';')[0]!.trim();
        const next = nextLink(res.headers.link, page);
        let json: { manifests?: unknown };
        try {
          json = JSON.parse((await readManifestBody(res, what)).toString('utf8')) as { manifests?: unknown };
        } catch {
          // A 200 that is not JSON (a catch-all page) means no API, as a 404 does.
          return null;
        }
        if (type !== MediaTypes.ociIndex && !Array.isArray(json.manifests)) return null;
        return { next, json };
      }).catch((err: unknown) => {
        // The image was readable with the same scope: a registry refusing only this endpoint
        // (older proxies and registries guard unknown routes) has no API for us.
        const status = (err as RegistryError).details?.status;
        if (err instanceof RegistryError && (status === 401 || status === 403)) return null;
        throw err;
      });
      if (answer === null) {
        if (out.length > 0) return out;
        this.noReferrersApi = true;
        return null;
      }
      for (const d of Array.isArray(answer.json.manifests) ? answer.json.manifests : []) if (isDescriptorLike(d)) out.push(d);
      url = answer.next;
    }
    return out;
  }

  /**
   * Every repository the registry lists in its `_catalog`, following Link pages.
   * Registries that do not offer the catalog answer 404 (REGISTRY_NOT_FOUND) or 401/403.
   */
  async listRepositories(options: { pageSize?: number } = {}): Promise<string[]> {
    const url = this.url('_catalog');
    if (options.pageSize) url.searchParams.set('n', String(options.pageSize));
    return this.listPages(url, 'repositories', ['registry:catalog:*'], `catalog of ${this.host}`);
  }

  /** GETs a paginated JSON list (`{ [field]: string[] }`), each page retried on its own. */
  private async listPages(first: URL, field: string, scopes: string[], what: string): Promise<string[]> {
    let url: URL | undefined = first;
    const items: string[] = [];
    const seen = new Set<string>();
    while (url) {
      if (seen.has(url.href)) break;
      seen.add(url.href);
      const page: URL = url;
      const { next, json } = await this.op(async (attempt) => {
        const { res } = await this.call({ method: 'GET', url: page, scopes, follow: true, what, attempt });
        if (res.statusCode !== 200) return this.fail('GET', page, res, what);
        const link = nextLink(res.headers.link, page);
        try {
          return { next: link, json: JSON.parse(await readText(res, 16 * 1024 * 1024)) as Record<string, unknown> };
        } catch {
          throw new RegistryError(ErrorCodes.REGISTRY_PROTOCOL, `${what}: response is not JSON`, {
            status: res.statusCode,
            url: redactUrl(page),
          });
        }
      });
      const list = json[field];
      if (Array.isArray(list)) for (const t of list) if (typeof t === 'string') items.push(t);
      url = next;
    }
    return items;
  }

  /** Closes this host's connections. */
  async close(): Promise<void> {
    await this.http.close();
  }
}

/**
 * True for the answer a Go TLS server gives a plain HTTP request: a bare "HTTP/1.0 400" with
 * no headers at all (any real HTTP response has some), or its text when there is a body.
 */
function speaksTlsOnly(status: number, headers: Record<string, unknown>, body: string): boolean {
  if (status !== 400) return false;
  return body.includes('Client sent an HTTP request to an HTTPS server') || Object.keys(headers).length === 0;
}

/**
 * Why an upload failed. The body stream's own error wins when it says something about the
 * data (a digest check, a failing source); when it is only the socket's error passed on to
 * the stream, the request's error (REGISTRY_UNREACHABLE for this host) is the one to report.
 */
function uploadFailure(bodyError: Error | null, requestError: unknown): unknown {
  if (!(bodyError instanceof Error)) return requestError;
  if (bodyError instanceof AirlockError || !isRetryable(bodyError)) return bodyError;
  return requestError;
}

/**
 * `body` as a stream whose errors are mapped by `toError` (so a connection lost mid-blob
 * carries a stable code). Destroying the returned stream releases the response.
 */
function withBodyErrors(body: Readable, toError: (err: unknown) => Error): Readable {
  const out = new PassThrough();
  body.once('error', (err) => out.destroy(toError(err)));
  out.once('close', () => {
    if (!body.destroyed) body.destroy();
  });
  body.pipe(out);
  return out;
}

/** Reads a manifest body, refusing more than MAX_MANIFEST_BYTES whatever Content-Length says. */
async function readManifestBody(res: HttpResponse, what: string): Promise<Buffer> {
  const tooLarge = (n: number | string): AirlockError =>
    new AirlockError(ErrorCodes.MANIFEST_TOO_LARGE, `${what} is ${n} bytes, limit is ${MAX_MANIFEST_BYTES}`, {
      limit: MAX_MANIFEST_BYTES,
    });
  const declared = Number(header(res, 'content-length'));
  if (Number.isFinite(declared) && declared > MAX_MANIFEST_BYTES) {
    res.body.destroy();
    throw tooLarge(declared);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > MAX_MANIFEST_BYTES) {
      res.body.destroy();
      throw tooLarge(`more than ${MAX_MANIFEST_BYTES}`);
    }
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

/** A JSON value shaped like a descriptor (digest, size, media type), as a referrers index lists them. */
function isDescriptorLike(v: unknown): v is Descriptor {
  if (v === null || typeof v !== 'object') return false;
  const d = v as Record<string, unknown>;
  return typeof d.digest === 'string' && isDigest(d.digest) && typeof d.size === 'number' && typeof d.mediaType === 'string';
}
