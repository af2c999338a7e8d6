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
import { referrersOf, type Referrers } from '../transport/layout/referrers.js';
import { Repositories, storeLinksDir } from './repositories.js';
import { listPage, sendListPage } from './list-page.js';
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
  push?: Omit<PushTarget, 'repos'>;
  /** Where the store keeps which repository holds content pushed into it (see repositories.ts; default: the pushed store's); absent for a bundle. */
  linksDir?: string;
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

/** What one server keeps across requests. */
interface ServerState {
  metrics: ServeMetrics;
  referrers: Referrers;
  repos: Repositories;
  html: string;
  /** Where pushes go, with the repositories' membership; absent when read-only. */
  push?: PushTarget;
}

async function handle(opts: RegistryServerOptions, ctx: ServerState, req: IncomingMessage, res: ServerResponse): Promise<void> {
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
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(ctx.html), 'cache-control': 'no-cache', 'content-security-policy': "default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'" });
    return void res.end(head ? undefined : ctx.html);
  }
  if (url.pathname === '/metrics') {
    const text = await ctx.metrics.text();
    res.writeHead(200, { 'content-type': ctx.metrics.registry.contentType, 'content-length': Buffer.byteLength(text) });
    return void res.end(head ? undefined : text);
  }
  const deletes = method === 'DELETE' && opts.deletes === true;
  const writes = route.kind === 'upload' || (route.kind === 'manifest' && (method === 'PUT' || deletes)) || (route.kind === 'blob' && deletes);
  if (ctx.push && writes) {
    if (!validName(route.name)) {
      req.resume();
      return sendError(res, head, 400, 'NAME_INVALID', `invalid repository name: ${JSON.stringify(route.name.slice(0, 300))}`);
    }
    if (route.kind === 'upload') return handleUpload(ctx.push, req, res, url, route.name, route.id);
    if (route.kind === 'manifest' && method === 'DELETE') return handleManifestDelete(ctx.push, res, route.name, route.reference);
    if (route.kind === 'blob') {
      if (!isDigest(route.digest)) return sendError(res, false, 400, 'DIGEST_INVALID', `invalid digest: ${JSON.stringify(route.digest.slice(0, 200))}`);
      return handleBlobDelete(ctx.push, res, route.name, route.digest);
    }
    if (route.kind === 'manifest') return handleManifestPut(ctx.push, req, res, route.name, route.reference);
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
    const p = listPage((await layout.refs.repositories()).filter((r) => r !== ''), url);
    if (p === 'invalid') return sendError(res, head, 400, 'UNSUPPORTED', 'n must be a whole number');
    return sendListPage(res, head, url, { repositories: p.items }, p);
  }
  if (route.kind === 'upload') {
    res.setHeader('allow', 'GET, HEAD');
    return sendError(res, head, 405, 'UNSUPPORTED', 'uploads are not served: this registry is read-only');
  }
  if (!validName(route.name)) return sendError(res, head, 400, 'NAME_INVALID', `invalid repository name: ${JSON.stringify(route.name.slice(0, 300))}`);
  const name = await storeRepository(layout, route.name, opts.namespaces ?? []);
  if (route.kind === 'tags') {
    if (!(await ctx.repos.exists(name))) return sendError(res, head, 404, 'NAME_UNKNOWN', `repository ${name} is not known`);
    const p = listPage(await layout.refs.tags(name), url);
    if (p === 'invalid') return sendError(res, head, 400, 'UNSUPPORTED', 'n must be a whole number');
    return sendListPage(res, head, url, { name, tags: p.items }, p);
  }
  if (route.kind === 'referrers') {
    if (!isDigest(route.digest)) return sendError(res, head, 400, 'DIGEST_INVALID', `invalid digest: ${JSON.stringify(route.digest.slice(0, 200))}`);
    const artifactType = url.searchParams.get('artifactType') ?? undefined;
    const manifests = await ctx.referrers.of(route.digest, artifactType, (entry) => ctx.repos.entryIn(name, entry));
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
    // By digest, only what this repository holds (a tag names what it holds by definition).
    if (!m || (isDigest(ref) && !(await ctx.repos.holds(name, m.digest)))) return sendError(res, head, 404, 'MANIFEST_UNKNOWN', `manifest unknown: ${name}:${ref}`);
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
  if (!(await ctx.repos.holds(name, route.digest))) return sendError(res, head, 404, 'BLOB_UNKNOWN', `blob unknown to ${name}: ${route.digest}`);
  return sendBlob(layout, req, res, head, route.digest);
}

/** An HTTP (or, with `opts.tls`, HTTPS) server answering the distribution API from `opts.layout`; call `listen` on it. */
export function createRegistryServer(opts: RegistryServerOptions): Server {
  const repos = new Repositories(opts.layout, opts.linksDir ?? (opts.push ? storeLinksDir(opts.push.layout) : undefined));
  const ctx: ServerState = {
    metrics: new ServeMetrics(),
    referrers: referrersOf(opts.layout),
    repos,
    html: registryPage(opts.title ?? opts.layout.dir),
    ...(opts.push ? { push: { ...opts.push, repos } } : {}),
  };
  const { metrics } = ctx;
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
    handle(opts, ctx, req, res).catch((err: unknown) => {
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
