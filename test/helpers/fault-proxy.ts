import { readFile } from 'node:fs/promises';
import { Agent as HttpAgent, createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';

/** What to do to a matched request. Exactly one kind per rule. */
export type FaultAction =
  /** Forward, send the headers and `drop` body bytes, then destroy the socket. */
  | { drop: number }
  /** Destroy the client socket without any response (connection reset). */
  | { reset: true }
  /** Answer with this status without forwarding (429 may carry Retry-After seconds; 401 a challenge). */
  | { status: number; retryAfter?: number; wwwAuthenticate?: string }
  /** Wait, then forward normally. */
  | { delayMs: number }
  /** Forward, but flip one body byte (offset `at`, default the middle); the length stays. */
  | { corrupt: true; at?: number };

export type FaultRule = FaultAction & {
  /** Method to match (default: any). */
  method?: string | RegExp;
  /** Matched against the request path without the query string. */
  path: RegExp | string;
  /** How many matching requests get the fault (default 1; Infinity for all). */
  times?: number;
  /** Let this many matching requests through untouched first (default 0). */
  skip?: number;
};

/** One request the proxy handled. */
export interface ProxiedRequest {
  method: string;
  /** Path and query as the client sent them. */
  path: string;
  /** Status the client saw; 0 when the connection was cut before headers. */
  status: number;
  /** Which fault was applied, if any: 'drop', 'reset', 'status', 'delay', 'corrupt'. */
  fault?: string;
  /** When the request arrived (Date.now()), to check waits between retries. */
  at: number;
}

export interface FaultProxyOptions {
  /** Upstream base URL, e.g. a TestRegistry's `url`. */
  upstream: string;
  /** CA PEM file for an HTTPS upstream. */
  caFile?: string;
}

/** A running fault-injecting reverse proxy (plain HTTP on loopback). */
export interface FaultProxy {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** `127.0.0.1:PORT`. */
  host: string;
  upstream: string;
  /** Adds a rule; rules are tried in insertion order, the first live match wins. */
  addRule(rule: FaultRule): void;
  /** Removes every rule. */
  clearRules(): void;
  /** Every request so far, oldest first. */
  readonly requests: readonly ProxiedRequest[];
  /** Requests matching method and path regex (both optional). */
  count(method?: string, path?: RegExp): number;
  /** Forgets recorded requests (rules stay). */
  resetRequests(): void;
  stop(): Promise<void>;
}

interface LiveRule {
  rule: FaultRule;
  seen: number;
  applied: number;
}

const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade',
]);

function endToEnd(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
  return out;
}

function faultKind(r: FaultRule): string {
  if ('drop' in r) return 'drop';
  if ('reset' in r) return 'reset';
  if ('status' in r) return 'status';
  if ('delayMs' in r) return 'delay';
  return 'corrupt';
}

const ERROR_CODES: Record<number, string> = {
  401: 'UNAUTHORIZED',
  403: 'DENIED',
  404: 'NAME_UNKNOWN',
  429: 'TOOMANYREQUESTS',
};

/**
 * Starts a reverse proxy on a free loopback port in front of `upstream` that injects
 * faults into requests matched by method and path: dropped connections mid-body, resets,
 * error statuses (500, 503, 429 + Retry-After, 401 with a challenge), delays and corrupted
 * bodies. Location headers pointing at the upstream are rewritten to the proxy, so
 * uploads keep going through it. Every request is recorded.
 */
export async function startFaultProxy(opts: FaultProxyOptions): Promise<FaultProxy> {
  const upstream = new URL(opts.upstream);
  const upstreamOrigin = upstream.origin;
  const https = upstream.protocol === 'https:';
  const ca = opts.caFile ? await readFile(opts.caFile, 'utf8') : undefined;
  const agent = https ? new HttpsAgent({ keepAlive: true, ...(ca ? { ca } : {}) }) : new HttpAgent({ keepAlive: true });
  const doRequest = https ? httpsRequest : httpRequest;
  const rules: LiveRule[] = [];
  const records: ProxiedRequest[] = [];
  let proxyOrigin = '';
  let upstreamChallenge: Promise<string | undefined> | undefined;

  function match(method: string, path: string): FaultRule | undefined {
    for (const live of rules) {
      const { rule } = live;
      if (rule.method !== undefined) {
        const ok = typeof rule.method === 'string' ? rule.method.toUpperCase() === method : rule.method.test(method);
        if (!ok) continue;
      }
      const ok = typeof rule.path === 'string' ? path === rule.path : rule.path.test(path);
      if (!ok) continue;
      const times = rule.times ?? 1;
      if (live.applied >= times) continue;
      live.seen++;
      if (live.seen <= (rule.skip ?? 0)) return undefined;
      live.applied++;
      return rule;
    }
    return undefined;
  }

  // A real challenge makes an injected 401 look like an expired token to the client.
  function probeChallenge(): Promise<string | undefined> {
    upstreamChallenge ??= new Promise((resolve) => {
      const req = doRequest(new URL('/v2/', upstreamOrigin), { method: 'GET', agent }, (res) => {
        res.resume();
        resolve(res.headers['www-authenticate']);
      });
      req.on('error', () => resolve(undefined));
      req.end();
    });
    return upstreamChallenge;
  }

  async function challengeFor(method: string, path: string): Promise<string> {
    const base = await probeChallenge();
    if (!base) return 'Basic realm="fault-proxy"';
    const m = /^\/v2\/(.+?)\/(manifests|blobs|tags)\//.exec(path);
    if (/^bearer /i.test(base) && m && !/scope=/.test(base)) {
      const actions = method === 'GET' || method === 'HEAD' ? 'pull' : 'pull,push';
      return `${base},scope="repository:${m[1]}:${actions}"`;
    }
    return base;
  }

  function rewriteLocation(headers: OutgoingHttpHeaders): void {
    const loc = headers.location;
    if (typeof loc === 'string' && loc.startsWith(upstreamOrigin)) headers.location = proxyOrigin + loc.slice(upstreamOrigin.length);
  }

  function forward(
    req: IncomingMessage,
    res: ServerResponse,
    record: ProxiedRequest,
    fault?: FaultRule,
  ): void {
    const headers = endToEnd(req.headers);
    headers.host = upstream.host;
    const up = doRequest(
      new URL(req.url ?? '/', upstreamOrigin),
      { method: req.method, headers, agent },
      (upRes) => {
        const status = upRes.statusCode ?? 502;
        const outHeaders = endToEnd(upRes.headers);
        rewriteLocation(outHeaders);
        const hasBody = req.method !== 'HEAD' && status !== 204 && status !== 304;
        const length = Number(upRes.headers['content-length'] ?? NaN);

        if (fault && 'drop' in fault) {
          if (!hasBody) {
            record.status = 0;
            upRes.destroy();
            req.socket.destroy();
            return;
          }
          // Never let the whole body through: the client must see a truncated response.
          const limit = Number.isFinite(length) ? Math.min(fault.drop, Math.max(0, length - 1)) : fault.drop;
          record.status = status;
          res.writeHead(status, outHeaders);
          res.flushHeaders();
          let sent = 0;
          const cut = (): void => {
            upRes.destroy();
            res.socket?.destroy();
          };
          if (limit === 0) {
            setImmediate(cut);
            return;
          }
          upRes.on('data', (chunk: Buffer) => {
            if (sent >= limit) return;
            const part = chunk.subarray(0, limit - sent);
            sent += part.length;
            if (sent >= limit) {
              upRes.pause();
              res.write(part, () => setImmediate(cut));
            } else {
              res.write(part);
            }
          });
          upRes.on('end', () => {
            // Shorter than the limit with unknown length: cut at the end anyway.
            if (sent < limit) cut();
          });
          return;
        }

        record.status = status;
        res.writeHead(status, outHeaders);
        if (fault && 'corrupt' in fault && hasBody) {
          const at = fault.at ?? (Number.isFinite(length) ? Math.floor(length / 2) : 0);
          let offset = 0;
          upRes.on('data', (chunk: Buffer) => {
            if (at >= offset && at < offset + chunk.length) {
              const copy = Buffer.from(chunk);
              copy[at - offset] = (copy[at - offset] ?? 0) ^ 0xff;
              chunk = copy;
            }
            offset += chunk.length;
            if (!res.write(chunk)) {
              upRes.pause();
              res.once('drain', () => upRes.resume());
            }
          });
          upRes.on('end', () => res.end());
          upRes.on('error', () => res.socket?.destroy());
          return;
        }
        upRes.pipe(res);
        upRes.on('error', () => res.socket?.destroy());
      },
    );
    up.on('error', () => {
      if (!res.headersSent) {
        record.status = 502;
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ code: 'UNKNOWN', message: 'fault proxy: upstream unreachable' }] }));
      } else {
        res.socket?.destroy();
      }
    });
    req.pipe(up);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const path = req.url ?? '/';
    const record: ProxiedRequest = { method, path, status: 0, at: Date.now() };
    records.push(record);
    const fault = match(method, path.split('?')[0] ?? path);
    if (fault) record.fault = faultKind(fault);

    if (fault && 'reset' in fault) {
      req.socket.destroy();
      return;
    }
    if (fault && 'status' in fault) {
      req.resume(); // discard any upload body
      const headers: OutgoingHttpHeaders = { 'content-type': 'application/json' };
      if (fault.retryAfter !== undefined) headers['retry-after'] = String(fault.retryAfter);
      if (fault.status === 401) headers['www-authenticate'] = fault.wwwAuthenticate ?? (await challengeFor(method, path));
      const body = JSON.stringify({
        errors: [{ code: ERROR_CODES[fault.status] ?? 'UNKNOWN', message: `injected fault: HTTP ${fault.status}` }],
      });
      headers['content-length'] = Buffer.byteLength(body);
      record.status = fault.status;
      res.writeHead(fault.status, headers);
      res.end(method === 'HEAD' ? undefined : body);
      return;
    }
    if (fault && 'delayMs' in fault) await new Promise((r) => setTimeout(r, fault.delayMs));
    forward(req, res, record, fault);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.socket?.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  proxyOrigin = `http://127.0.0.1:${port}`;

  return {
    url: proxyOrigin,
    host: `127.0.0.1:${port}`,
    upstream: upstreamOrigin,
    addRule(rule) {
      rules.push({ rule, seen: 0, applied: 0 });
    },
    clearRules() {
      rules.length = 0;
    },
    get requests() {
      return records;
    },
    count(method, path) {
      return records.filter(
        (r) => (method === undefined || r.method === method.toUpperCase()) && (path === undefined || path.test(r.path)),
      ).length;
    },
    resetRequests() {
      records.length = 0;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
