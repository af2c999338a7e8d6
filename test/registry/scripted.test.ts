import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { AirlockError, ErrorCodes, RegistryError } from '../../src/errors.js';
import { digestOf } from '../../src/oci/digest.js';
import { MAX_MANIFEST_BYTES } from '../../src/oci/manifest.js';
import { MediaTypes } from '../../src/oci/mediatypes.js';
import { RegistryPool } from '../../src/transport/registry/pool.js';
import { freePort } from '../helpers/registry.js';
import { readAll } from './push.js';

// Real HTTP servers that script registry answers the real registry cannot be made to give
// (oversized manifests, 5xx, 429, resets, redirects to another host, paginated tags).

interface Seen {
  body: string;
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
}

interface Scripted {
  host: string;
  origin: string;
  seen: Seen[];
  close(): Promise<void>;
}

const servers: Scripted[] = [];
const pools: RegistryPool[] = [];

afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse, n: number) => void | Promise<void>): Promise<Scripted> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const entry: Seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: '' };
    seen.push(entry);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    req.on('end', () => {
      entry.body = Buffer.concat(chunks).toString('utf8');
      Promise.resolve(handler(req, res, seen.length)).catch(() => res.destroy());
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  const s: Scripted = {
    host,
    origin: `http://${host}`,
    seen,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
  servers.push(s);
  return s;
}

function pool(opts: ConstructorParameters<typeof RegistryPool>[0] = {}): RegistryPool {
  const p = new RegistryPool({ retries: 2, retryBaseMs: 5, env: { HOME: '/nonexistent' }, ...opts });
  pools.push(p);
  return p;
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

describe('manifest size limit', () => {
  it('refuses a manifest over 4 MiB by Content-Length and while reading a chunked body', async () => {
    const big = Buffer.alloc(MAX_MANIFEST_BYTES + 1, 0x20);
    const srv = await serve((req, res) => {
      if (req.url?.includes('/chunked')) {
        res.writeHead(200, { 'content-type': MediaTypes.ociManifest });
        res.write(big.subarray(0, 1 << 20));
        res.end(big.subarray(1 << 20));
        return;
      }
      if (req.url?.includes('/exact')) {
        res.writeHead(200, { 'content-type': MediaTypes.ociManifest, 'content-length': String(MAX_MANIFEST_BYTES) });
        res.end(big.subarray(0, MAX_MANIFEST_BYTES));
        return;
      }
      res.writeHead(200, { 'content-type': MediaTypes.ociManifest, 'content-length': String(big.length) });
      res.end(big);
    });
    const client = pool().client(srv.host);
    await expect(client.getManifest('big/sized', 'v1')).rejects.toMatchObject({ code: ErrorCodes.MANIFEST_TOO_LARGE });
    await expect(client.getManifest('big/chunked', 'v1')).rejects.toMatchObject({ code: ErrorCodes.MANIFEST_TOO_LARGE });
    const exact = await client.getManifest('big/exact', 'v1');
    expect(exact.bytes.length).toBe(MAX_MANIFEST_BYTES);
    expect(exact.digest).toBe(digestOf(exact.bytes));
  });

  it('refuses a manifest whose bytes do not match Docker-Content-Digest', async () => {
    const srv = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': MediaTypes.ociManifest, 'docker-content-digest': digestOf('other') });
      res.end('{"schemaVersion":2}');
    });
    await expect(pool().client(srv.host).getManifest('a', 'v1')).rejects.toMatchObject({ code: ErrorCodes.DIGEST_MISMATCH });
  });
});

describe('manifest HEAD', () => {
  it('takes a referrers endpoint that is refused (403), answers a page that is not JSON, or 404s as a registry without the API; one that lists gives the descriptors', async () => {
    const d = digestOf(Buffer.from('subject'));
    const listed = { mediaType: MediaTypes.ociManifest, digest: `sha256:${'b'.repeat(64)}`, size: 10, artifactType: 'application/spdx+json' };
    for (const [status, body, type, want] of [
      [403, '{"errors":[{"code":"DENIED","message":"no"}]}', 'application/json', null],
      [200, '<html>registry</html>', 'text/html', null],
      [404, '', 'text/plain', null],
      [200, JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [listed] }), MediaTypes.ociIndex, [listed]],
    ] as const) {
      const srv = await serve((_req, res) => {
        res.writeHead(status, { 'content-type': type });
        res.end(body);
      });
      expect(await pool().client(srv.host).listReferrers('a', d)).toEqual(want);
    }
  });

  it('falls back to GET when HEAD gives no digest', async () => {
    const body = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [] }));
    const srv = await serve((req, res) => {
      res.writeHead(200, { 'content-type': MediaTypes.ociIndex, 'content-length': String(body.length) });
      res.end(req.method === 'HEAD' ? undefined : body);
    });
    const desc = await pool().client(srv.host).headManifest('a', 'v1');
    expect(desc).toEqual({ mediaType: MediaTypes.ociIndex, digest: digestOf(body), size: body.length });
    expect(srv.seen.map((s) => s.method)).toEqual(['HEAD', 'GET']);
    expect(srv.seen[1]!.headers.accept).toContain(MediaTypes.dockerManifestList);
  });
});

describe('retries', () => {
  it('retries 503 and succeeds, counting the retries', async () => {
    const srv = await serve((_req, res, n) => (n <= 2 ? json(res, 503, {}) : json(res, 200, {})));
    const client = pool().client(srv.host);
    await client.ping();
    expect(client.stats()).toMatchObject({ requests: 3, retries: 2 });
  });

  it('waits as long as Retry-After says', async () => {
    const srv = await serve((_req, res, n) => (n === 1 ? json(res, 429, {}, { 'retry-after': '1' }) : json(res, 200, {})));
    const started = Date.now();
    await pool({ retryBaseMs: 1 }).client(srv.host).ping();
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('gives up on 429 with REGISTRY_RATE_LIMITED and on 5xx with REGISTRY_ERROR and the spec errors', async () => {
    const srv = await serve((req, res) =>
      req.url?.includes('/limited/')
        ? json(res, 429, { errors: [{ code: 'TOOMANYREQUESTS', message: 'slow down' }] }, { 'retry-after': '0' })
        : json(res, 500, { errors: [{ code: 'UNKNOWN', message: 'disk full', detail: { x: 1 } }] }),
    );
    const client = pool().client(srv.host);
    await expect(client.headBlob('limited/a', digestOf('x'))).rejects.toMatchObject({
      code: ErrorCodes.REGISTRY_RATE_LIMITED,
      status: 429,
    });
    expect(srv.seen).toHaveLength(3);
    const err = await client.getManifest('broken/a', 'v1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect((err as RegistryError).code).toBe(ErrorCodes.REGISTRY_ERROR);
    expect((err as RegistryError).errors).toEqual([{ code: 'UNKNOWN', message: 'disk full', detail: { x: 1 } }]);
    expect(srv.seen).toHaveLength(6);
  });

  it('does not retry other 4xx', async () => {
    const srv = await serve((_req, res) => json(res, 403, { errors: [{ code: 'DENIED' }] }));
    const client = pool().client(srv.host);
    await expect(client.getManifest('a', 'v1')).rejects.toMatchObject({ code: ErrorCodes.REGISTRY_DENIED, status: 403 });
    expect(srv.seen).toHaveLength(1);
  });

  it('retries a reset connection', async () => {
    const srv = await serve((req, res, n) => {
      if (n === 1) {
        req.socket.destroy();
        return;
      }
      json(res, 200, {});
    });
    const client = pool().client(srv.host);
    await client.ping();
    expect(client.stats().retries).toBe(1);
  });

  it('reports REGISTRY_UNREACHABLE after retrying a refused connection', async () => {
    const port = await freePort();
    const client = pool().client(`127.0.0.1:${port}`);
    const err = await client.ping().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AirlockError);
    expect((err as AirlockError).code).toBe(ErrorCodes.REGISTRY_UNREACHABLE);
    expect((err as AirlockError).details.attempts).toBe(3);
    expect(client.stats().requests).toBe(3);
  });

  it('does not retry a streamed upload body', async () => {
    const srv = await serve((req, res) => {
      if (req.method === 'POST') {
        res.writeHead(202, { location: '/v2/up/blobs/uploads/1?_state=abc' });
        res.end();
        return;
      }
      json(res, 503, {});
    });
    const bytes = Buffer.from('layer');
    const desc = { mediaType: MediaTypes.ociLayer, digest: digestOf(bytes), size: bytes.length };
    await expect(pool().client(srv.host).uploadBlob('up', desc, Readable.from([bytes]))).rejects.toMatchObject({
      code: ErrorCodes.REGISTRY_ERROR,
      status: 503,
    });
    expect(srv.seen.filter((s) => s.method === 'PUT')).toHaveLength(1);
    const put = new URL(srv.seen.find((s) => s.method === 'PUT')!.url, srv.origin);
    expect(put.searchParams.get('_state')).toBe('abc');
    expect(put.searchParams.get('digest')).toBe(desc.digest);
    // The failed session is cancelled.
    expect(srv.seen.at(-1)!.method).toBe('DELETE');
  });
});

describe('redirects and pagination', () => {
  it('follows a blob redirect to another host without sending it the Authorization header', async () => {
    const blob = Buffer.from('blob bytes from object storage');
    const storage = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(blob);
    });
    const registry = await serve((req, res) => {
      if (!req.headers.authorization) return json(res, 401, {}, { 'www-authenticate': 'Basic realm="r"' });
      res.writeHead(307, { location: `${storage.origin}/bucket/data?X-Amz-Signature=secret` });
      res.end();
    });
    const client = pool({ hosts: { [registry.host]: { username: 'u', password: 'p' } } }).client(registry.host);
    expect((await readAll(await client.getBlob('r', digestOf(blob)))).equals(blob)).toBe(true);
    expect(registry.seen.at(-1)!.headers.authorization).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
    expect(storage.seen).toHaveLength(1);
    expect(storage.seen[0]!.headers.authorization).toBeUndefined();
  });

  it('follows relative and absolute Link pages', async () => {
    const srv = await serve((req, res) => {
      const u = new URL(req.url!, 'http://x');
      const last = u.searchParams.get('last');
      if (!last) return json(res, 200, { tags: ['a', 'b'] }, { link: '</v2/p/tags/list?last=b&n=2>; rel="next"' });
      if (last === 'b') {
        return json(res, 200, { tags: ['c', 'd'] }, { link: `<http://${req.headers.host}/v2/p/tags/list?last=d&n=2>; rel="next"` });
      }
      return json(res, 200, { tags: ['e'] });
    });
    expect(await pool().client(srv.host).listTags('p', { pageSize: 2 })).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(srv.seen.map((s) => s.url)).toEqual([
      '/v2/p/tags/list?n=2',
      '/v2/p/tags/list?last=b&n=2',
      '/v2/p/tags/list?last=d&n=2',
    ]);
  });
});

describe('Bearer tokens from a scripted realm', () => {
  it('sends service, scopes and Basic credentials, caches an access_token without expires_in, and never prints it', async () => {
    const realm = await serve((_req, res) => json(res, 200, { access_token: 'secret-token-xyz' }));
    const srv = await serve((req, res) => {
      if (req.headers.authorization !== 'Bearer secret-token-xyz') {
        return json(res, 401, {}, {
          'www-authenticate': `Bearer realm="${realm.origin}/token",service="svc",scope="repository:r/a:pull"`,
        });
      }
      if (req.url?.includes('/denied/')) return json(res, 403, { errors: [{ code: 'DENIED', message: 'no' }] });
      json(res, 404, { errors: [{ code: 'MANIFEST_UNKNOWN' }] });
    });
    const client = pool({ hosts: { [srv.host]: { username: 'bob', password: 'hunter2' } } }).client(srv.host);
    expect(await client.headManifest('r/a', 'v1')).toBeNull();
    expect(await client.headManifest('r/a', 'v2')).toBeNull();
    expect(await client.headManifest('r/a', 'v3')).toBeNull();
    expect(realm.seen).toHaveLength(1);
    const tokenUrl = new URL(realm.seen[0]!.url, realm.origin);
    expect(tokenUrl.searchParams.get('service')).toBe('svc');
    expect(tokenUrl.searchParams.getAll('scope')).toEqual(['repository:r/a:pull']);
    expect(realm.seen[0]!.headers.authorization).toBe(`Basic ${Buffer.from('bob:hunter2').toString('base64')}`);
    expect(client.stats()).toMatchObject({ requests: 5, tokenRequests: 1 });

    const err = await client.getManifest('denied/a', 'v1').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ErrorCodes.REGISTRY_DENIED });
    const printed = JSON.stringify({ message: (err as Error).message, details: (err as AirlockError).details });
    expect(printed).not.toContain('secret-token-xyz');
    expect(printed).not.toContain('hunter2');
  });
});

describe('concurrent requests', () => {
  it('share one token fetch per scope set', async () => {
    const realm = await serve(async (_req, res) => {
      await new Promise((r) => setTimeout(r, 50));
      json(res, 200, { token: 'tok', expires_in: 300 });
    });
    const srv = await serve((req, res) => {
      if (req.headers.authorization !== 'Bearer tok') {
        return json(res, 401, {}, { 'www-authenticate': `Bearer realm="${realm.origin}/token",service="svc"` });
      }
      json(res, 404, {});
    });
    const client = pool().client(srv.host);
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => client.headManifest('c/r', `t${i}`)));
    expect(results.every((r) => r === null)).toBe(true);
    expect(realm.seen).toHaveLength(1);
  });
});

describe('identity tokens', () => {
  it('trades an identity token for an access token with the OAuth2 refresh grant, falling back to GET on 404', async () => {
    let oauth = true;
    const realm = await serve((req, res) => {
      if (req.method === 'POST') {
        if (!oauth) return json(res, 404, {});
        return json(res, 200, { access_token: 'from-oauth', expires_in: 300 });
      }
      json(res, 200, { token: 'from-get' });
    });
    const srv = await serve((req, res) => {
      const ok = req.headers.authorization === 'Bearer from-oauth' || req.headers.authorization === 'Bearer from-get';
      if (!ok) return json(res, 401, {}, { 'www-authenticate': `Bearer realm="${realm.origin}/token",service="svc"` });
      json(res, 200, {});
    });
    const dir = await mkdtemp(join(tmpdir(), 'airlock-idtoken-'));
    try {
      await writeFile(
        join(dir, 'config.json'),
        JSON.stringify({ auths: { [srv.host]: { auth: Buffer.from('me:').toString('base64'), identitytoken: 'refresh-123' } } }),
      );
      await pool({ env: { HOME: '/nonexistent', DOCKER_CONFIG: dir } }).client(srv.host).ping();
      expect(realm.seen.map((s) => s.method)).toEqual(['POST']);
      expect(realm.seen[0]!.headers['content-type']).toBe('application/x-www-form-urlencoded');
      const form = new URLSearchParams(realm.seen[0]!.body);
      expect(Object.fromEntries(form)).toMatchObject({ grant_type: 'refresh_token', refresh_token: 'refresh-123', service: 'svc' });

      oauth = false;
      await pool({ env: { HOME: '/nonexistent', DOCKER_CONFIG: dir } }).client(srv.host).ping();
      expect(realm.seen.map((s) => s.method)).toEqual(['POST', 'POST', 'GET']);
      // The GET fallback authenticates with the identity token as password.
      expect(realm.seen[2]!.headers.authorization).toBe(`Basic ${Buffer.from('me:refresh-123').toString('base64')}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
