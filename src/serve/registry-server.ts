/**
 * An OCI Distribution v1.1 registry over an image layout read in place: the store (its full
 * references are the repository names: `registry.example.org/openstack/nova-api`), or a
 * bundle. Pull: manifests by tag and digest, blobs with Range, tag lists and the catalog with
 * `n`/`last` pagination, the referrers API, HEAD everywhere; a web page at `/`. Push into the
 * store (push.ts) unless read-only, and untagging by DELETE unless switched off. `/healthz`,
 * `/readyz` and Prometheus `/metrics`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { isDigest } from '../oci/digest.js';
import type { LayoutContent } from '../transport/layout/content.js';
import { OPEN_ACCESS, REALM, type AccessPolicy, type Need } from './access.js';
import { sendError } from './errors.js';
import { ServeMetrics } from './metrics.js';
import { registryPage } from './page.js';
import { Referrers } from './referrers.js';
import { sendBlob } from './blobs.js';
import { readManifest } from './manifests.js';
import { storeRepository, type ServedNamespace } from './names.js';
import { handleBlobDelete, handleManifestDelete } from './deletes.js';
import { handleManifestPut, handleUpload, type PushTarget } from './push.js';
import { API_VERSION, routeOf, TAG_PATTERN, validName } from './routes.js';
import { TOKEN_PATH, type TokenAuthority } from './token.js';

/** What the server serves and how. */
export interface RegistryServerOptions {
  /** The layout read (the store, a bundle). */
  layout: LayoutContent;
  /** Where pushes go (the same store); absent: read-only, writes answer 405. */
  push?: PushTarget;
  /** Untag manifests on DELETE (off: 405). */
  deletes?: boolean;
  /** What the web page says is served (default: the layout's path). */
  title?: string;
  /** Who may pull and push (default: everyone). */
  access?: AccessPolicy;
  /** The names this registry is known by (`--registry-name`), for names the lock's destinations give. */
  namespaces?: ServedNamespace[];
  /** Serves the token endpoint (Docker's token flow) when given. */
  tokens?: TokenAuthority;
  /** Serve HTTPS with this PEM certificate (chain) and key. */
  tls?: { cert: Buffer; key: Buffer };
  /** Called once per request when it is answered (an access log). */
  onRequest?: (entry: { method: string; path: string; status: number; bytes: number; ms: number }) => void;
}

/** `n` and `last` of a paginated list: the page after `last`, at most `n` long, and whether more follow. */
function page(all: string[], url: URL): { items: string[]; more: boolean; n?: number } | 'invalid' {
  const nText = url.searchParams.get('n');
  const last = url.searchParams.get('last');
  const n = nText === null ? undefined : Number(nText);
  if (n !== undefined && (!Number.isInteger(n) || n < 0)) return 'invalid';
  const after = last === null ? all : all.filter((x) => x > last);
  const items = n === undefined ? after : after.slice(0, n);
  return { items, more: items.length < after.length, ...(n !== undefined ? { n } : {}) };
}

/** Sends a JSON list page, with the spec's `Link` header when more follow. */
function sendPage(res: ServerResponse, head: boolean, url: URL, body: object, p: { items: string[]; more: boolean; n?: number }): void {
  const text = JSON.stringify(body);
  const headers: Record<string, string | number> = { ...API_VERSION, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) };
  if (p.more && p.n !== undefined) {
    const next = new URL(url.pathname, 'http://x');
    next.searchParams.set('n', String(p.n));
    next.searchParams.set('last', p.items.at(-1)!);
    headers.link = `<${next.pathname}${next.search}>; rel="next"`;
  }
  res.writeHead(200, headers);
  res.end(head ? undefined : text);
}

/**
 * What a request needs, by the name the client sent (before `ns=` mapping: token scopes name
 * the repository as the client sees it): pull for reads, delete for DELETE, push for other
 * writes; the catalog, the page and the base endpoint need pull of `registry:catalog`.
 */
function needOf(path: string, method: string): Need {
  const route = routeOf(path);
  const action = method === 'GET' || method === 'HEAD' ? 'pull' : method === 'DELETE' ? 'delete' : 'push';
  if ('name' in route) return { type: 'repository', name: route.name, action };
  return { type: 'registry', name: 'catalog', action };
}

async function handle(opts: RegistryServerOptions, metrics: ServeMetrics, referrers: Referrers, html: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const method = req.method ?? 'GET';
  const head = method === 'HEAD';
  // URL parsing would fold `..` away: a name trying to climb is refused as it was sent.
  const rawPath = (req.url ?? '/').split('?')[0]!;
  if (/(^|\/)(\.|%2e){2}(\/|$)/i.test(rawPath)) return sendError(res, head, 400, 'NAME_INVALID', 'a repository name may not contain ..');
  const url = new URL(req.url ?? '/', 'http://x');
  const route = routeOf(url.pathname, url.searchParams.get('ns'));
  const { layout } = opts;
  if (url.pathname === '/healthz' || url.pathname === '/readyz') {
    // Alive once it answers; ready once the layout's index reads. Open to all, for orchestrators.
    if (url.pathname === '/readyz') await layout.readIndex();
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 3 });
    return void res.end(head ? undefined : 'ok\n');
  }
  if (url.pathname === TOKEN_PATH && opts.tokens) return opts.tokens.handle(req, res, url);
  const isPage = url.pathname === '/' || url.pathname === '/index.html';
  const verdict = await (opts.access ?? OPEN_ACCESS).check(req, needOf(rawPath, method), `${opts.tls ? 'https' : 'http'}://${req.headers.host ?? 'localhost'}`);
  if (!verdict.ok) {
    req.resume();
    // A browser answers only a Basic challenge with a login prompt; the page's API calls then reuse it.
    if (verdict.challenge) res.setHeader('www-authenticate', isPage ? `Basic realm="${REALM}"` : verdict.challenge);
    return sendError(res, head, verdict.status, verdict.code, verdict.message);
  }
  if (isPage && (method === 'GET' || method === 'HEAD')) {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(html), 'cache-control': 'no-cache', 'content-security-policy': "default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'" });
    return void res.end(head ? undefined : html);
  }
  if (url.pathname === '/metrics') {
    const text = await metrics.text();
    res.writeHead(200, { 'content-type': metrics.registry.contentType, 'content-length': Buffer.byteLength(text) });
    return void res.end(head ? undefined : text);
  }
  const deletes = method === 'DELETE' && opts.deletes === true;
  const writes = route.kind === 'upload' || (route.kind === 'manifest' && (method === 'PUT' || deletes)) || (route.kind === 'blob' && deletes);
  if (opts.push && writes) {
    if (!validName(route.name)) {
      req.resume();
      return sendError(res, head, 400, 'NAME_INVALID', `invalid repository name: ${JSON.stringify(route.name.slice(0, 300))}`);
    }
    if (route.kind === 'upload') return handleUpload(opts.push, req, res, url, route.name, route.id);
    if (route.kind === 'manifest' && method === 'DELETE') return handleManifestDelete(opts.push, res, route.name, route.reference);
    if (route.kind === 'blob') {
      if (!isDigest(route.digest)) return sendError(res, false, 400, 'DIGEST_INVALID', `invalid digest: ${JSON.stringify(route.digest.slice(0, 200))}`);
      return handleBlobDelete(opts.push, res, route.digest);
    }
    if (route.kind === 'manifest') return handleManifestPut(opts.push, req, res, route.name, route.reference);
  }
  if (method !== 'GET' && method !== 'HEAD') {
    req.resume();
    if (route.kind === 'unknown') return sendError(res, false, 404, 'NAME_UNKNOWN', 'no such endpoint');
    res.setHeader('allow', 'GET, HEAD');
    return sendError(res, false, 405, 'UNSUPPORTED', `${method} is not served here${opts.push ? '' : ': this registry is read-only'}`);
  }
  if (route.kind === 'unknown') return sendError(res, head, 404, 'NAME_UNKNOWN', 'no such endpoint');
  if (route.kind === 'base') {
    res.writeHead(200, { ...API_VERSION, 'content-type': 'application/json', 'content-length': 2 });
    return void res.end(head ? undefined : '{}');
  }
  if (route.kind === 'catalog') {
    const p = page((await layout.refs.repositories()).filter((r) => r !== '').sort(), url);
    if (p === 'invalid') return sendError(res, head, 400, 'PAGINATION_NUMBER_INVALID', 'n must be a whole number');
    return sendPage(res, head, url, { repositories: p.items }, p);
  }
  if (route.kind === 'upload') {
    res.setHeader('allow', 'GET, HEAD');
    return sendError(res, head, 405, 'UNSUPPORTED', 'uploads are not served: this registry is read-only');
  }
  if (!validName(route.name)) return sendError(res, head, 400, 'NAME_INVALID', `invalid repository name: ${JSON.stringify(route.name.slice(0, 300))}`);
  const name = await storeRepository(layout, route.name, opts.namespaces ?? []);
  if (route.kind === 'tags') {
    const tags = (await layout.refs.tags(name)).sort();
    if (tags.length === 0 && !(await layout.refs.repositories()).includes(name)) return sendError(res, head, 404, 'NAME_UNKNOWN', `repository ${name} is not known`);
    const p = page(tags, url);
    if (p === 'invalid') return sendError(res, head, 400, 'PAGINATION_NUMBER_INVALID', 'n must be a whole number');
    return sendPage(res, head, url, { name, tags: p.items }, p);
  }
  if (route.kind === 'referrers') {
    if (!isDigest(route.digest)) return sendError(res, head, 400, 'DIGEST_INVALID', `invalid digest: ${JSON.stringify(route.digest.slice(0, 200))}`);
    const artifactType = url.searchParams.get('artifactType') ?? undefined;
    const manifests = await referrers.of(route.digest, artifactType);
    const body = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests });
    res.writeHead(200, {
      ...API_VERSION,
      'content-type': 'application/vnd.oci.image.index.v1+json',
      'content-length': Buffer.byteLength(body),
      ...(artifactType !== undefined ? { 'oci-filters-applied': 'artifactType' } : {}),
    });
    return void res.end(head ? undefined : body);
  }
  if (route.kind === 'manifest') {
    const ref = route.reference;
    if (!isDigest(ref) && !TAG_PATTERN.test(ref)) return sendError(res, head, 400, 'MANIFEST_INVALID', `invalid reference: ${JSON.stringify(ref.slice(0, 200))}`);
    const m = await readManifest(layout, name, ref);
    if (!m) return sendError(res, head, 404, 'MANIFEST_UNKNOWN', `manifest unknown: ${name}:${ref}`);
    res.writeHead(200, {
      ...API_VERSION,
      'content-type': m.mediaType,
      'content-length': m.bytes.length,
      'docker-content-digest': m.digest,
      etag: `"${m.digest}"`,
    });
    return void res.end(head ? undefined : m.bytes);
  }
  // Blobs: by digest, from the layout's one blob store.
  if (!isDigest(route.digest)) return sendError(res, head, 400, 'DIGEST_INVALID', `invalid digest: ${JSON.stringify(route.digest.slice(0, 200))}`);
  return sendBlob(layout, req, res, head, route.digest);
}

/** An HTTP (or, with `opts.tls`, HTTPS) server answering the distribution API from `opts.layout`; call `listen` on it. */
export function createRegistryServer(opts: RegistryServerOptions): Server {
  const metrics = new ServeMetrics();
  const referrers = new Referrers(opts.layout);
  const html = registryPage(opts.title ?? opts.layout.dir);
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const started = Date.now();
    let bytes = 0;
    // Body bytes as written (headers set by writeHead are not readable back).
    const count = (chunk: unknown) => {
      if (chunk && typeof chunk !== 'function') bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : (chunk as Uint8Array).length;
    };
    const write = res.write.bind(res);
    const end = res.end.bind(res);
    res.write = ((chunk: unknown, ...rest: unknown[]) => (count(chunk), write(chunk as never, ...(rest as never[])))) as typeof res.write;
    res.end = ((chunk?: unknown, ...rest: unknown[]) => (count(chunk), end(chunk as never, ...(rest as never[])))) as typeof res.end;
    res.once('finish', () => {
      const ms = Date.now() - started;
      const path = (req.url ?? '').split('?')[0]!;
      // A bounded set of route labels, whatever clients send.
      const route = path.startsWith('/v2') ? routeOf(path).kind : ['/metrics', '/healthz', '/readyz'].includes(path) ? path.slice(1) : path === '/' ? 'page' : 'other';
      metrics.observe(route, req.method ?? '', res.statusCode, bytes, ms);
      opts.onRequest?.({ method: req.method ?? '', path: req.url ?? '', status: res.statusCode, bytes, ms });
    });
    handle(opts, metrics, referrers, html, req, res).catch((err: unknown) => {
      if (res.headersSent) res.destroy(err as Error);
      else {
        const body = JSON.stringify({ errors: [{ code: 'UNKNOWN', message: (err as Error).message }] });
        res.writeHead(500, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      }
    });
  };
  return opts.tls ? createHttpsServer(opts.tls, listener) : createServer(listener);
}
