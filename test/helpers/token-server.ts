import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { importPKCS8, SignJWT } from 'jose';
import { makeSigningCert, pemToX5c } from './openssl.js';

/** One requested or granted scope entry, as in the token's `access` claim. */
export interface ResourceAccess {
  type: string;
  name: string;
  actions: string[];
}

/** What the token endpoint saw and did for one request. */
export interface TokenRequestRecord {
  method: string;
  /** Authenticated user, or undefined for anonymous. */
  account: string | undefined;
  /** The `account` query parameter, when the client sent one. */
  accountParam: string | undefined;
  service: string | undefined;
  requested: ResourceAccess[];
  granted: ResourceAccess[];
  status: number;
}

/** Decides which of the requested actions a caller gets. */
export type Authorizer = (account: string | undefined, scope: ResourceAccess) => string[];

export interface TokenServerOptions {
  /** Directory for the signing certificate and key (must exist). */
  dir: string;
  /** The `service` (JWT audience) the registry is configured with. */
  service?: string;
  /** The JWT issuer the registry trusts. */
  issuer?: string;
  /** Valid Basic credentials, user → password. */
  users?: Record<string, string>;
  /** Grant `pull` to anonymous callers (default false: anonymous callers get an empty grant). */
  anonymousPull?: boolean;
  /** Token lifetime in seconds (default 300). */
  expiresIn?: number;
  /** Overrides the default policy (valid users get what they ask for). */
  authorize?: Authorizer;
}

/** A running Docker token endpoint. */
export interface TokenServer {
  /** `http://127.0.0.1:PORT/token`, the registry's `auth.token.realm`. */
  realm: string;
  service: string;
  issuer: string;
  /** The self-signed signing certificate: the registry's `rootcertbundle`. */
  certFile: string;
  /** Number of token requests answered (any status). */
  readonly tokenRequests: number;
  /** Every token request, oldest first. */
  readonly requests: readonly TokenRequestRecord[];
  stop(): Promise<void>;
}

const KNOWN_ACTIONS = new Set(['pull', 'push', 'delete', '*']);

/** Parses `type:name:a,b` scopes (several may share one parameter, space-separated). */
export function parseScopes(values: string[]): ResourceAccess[] {
  const out: ResourceAccess[] = [];
  for (const value of values) {
    for (const s of value.split(' ').filter(Boolean)) {
      const first = s.indexOf(':');
      const last = s.lastIndexOf(':');
      if (first < 0 || last === first) continue;
      const actions = s.slice(last + 1).split(',').filter(Boolean);
      // `repository(plugin):name` carries a class we do not need.
      const type = s.slice(0, first).replace(/\(.*\)$/, '');
      out.push({ type, name: s.slice(first + 1, last), actions });
    }
  }
  return out;
}

function basicCredentials(req: IncomingMessage): { user: string; password: string } | undefined {
  const h = req.headers.authorization;
  if (!h || !/^basic /i.test(h)) return undefined;
  const decoded = Buffer.from(h.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Starts a Docker token endpoint on a free loopback port: `GET /token?service=&scope=`
 * (Basic credentials optional) and the OAuth2 `POST /token` password grant. Tokens are
 * real ES256 JWTs whose `x5c` header holds the self-signed signing certificate, so a
 * Distribution registry with `rootcertbundle` = `certFile` accepts them. Invalid
 * credentials get 401; anonymous callers get pull when `anonymousPull`, else nothing.
 */
export async function startTokenServer(opts: TokenServerOptions): Promise<TokenServer> {
  const service = opts.service ?? 'test-registry';
  const issuer = opts.issuer ?? 'test-issuer';
  const expiresIn = opts.expiresIn ?? 300;
  const users = opts.users ?? {};
  const signer = await makeSigningCert(opts.dir);
  const x5c = pemToX5c(await readFile(signer.certFile, 'utf8'));
  const key = await importPKCS8(await readFile(signer.keyFile, 'utf8'), 'ES256');
  const records: TokenRequestRecord[] = [];

  const defaultPolicy: Authorizer = (account, scope) => {
    if (account !== undefined) return scope.actions.filter((a) => KNOWN_ACTIONS.has(a));
    return opts.anonymousPull && scope.type === 'repository' && scope.actions.includes('pull') ? ['pull'] : [];
  };
  const authorize = opts.authorize ?? defaultPolicy;

  async function sign(account: string | undefined, granted: ResourceAccess[]): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ access: granted })
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT', x5c })
      .setIssuer(issuer)
      .setSubject(account ?? '')
      .setAudience(service) // a single string: Distribution 2.8 reads `aud` as a string
      .setIssuedAt(now)
      .setNotBefore(now - 10) // small allowance for clock granularity
      .setExpirationTime(now + expiresIn)
      .setJti(randomUUID())
      .sign(key);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const record: TokenRequestRecord = {
      method: req.method ?? 'GET',
      account: undefined,
      accountParam: undefined,
      service: undefined,
      requested: [],
      granted: [],
      status: 200,
    };
    records.push(record);
    const reply = (status: number, body: unknown): void => {
      record.status = status;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname !== '/token') return reply(404, { errors: [{ code: 'NOT_FOUND' }] });

    let params: URLSearchParams;
    let creds: { user: string; password: string } | undefined;
    if (req.method === 'GET') {
      params = url.searchParams;
      creds = basicCredentials(req);
    } else if (req.method === 'POST') {
      params = new URLSearchParams(await readBody(req));
      if (params.get('grant_type') !== 'password') return reply(400, { error: 'unsupported_grant_type' });
      const user = params.get('username');
      creds = user !== null ? { user, password: params.get('password') ?? '' } : undefined;
    } else {
      return reply(405, { errors: [{ code: 'UNSUPPORTED' }] });
    }
    record.service = params.get('service') ?? undefined;
    record.accountParam = params.get('account') ?? undefined;
    if (record.service !== undefined && record.service !== service) {
      return reply(400, { errors: [{ code: 'DENIED', message: `unknown service ${record.service}` }] });
    }
    if (creds) {
      if (!Object.hasOwn(users, creds.user) || users[creds.user] !== creds.password) {
        res.setHeader('www-authenticate', 'Basic realm="token"');
        return reply(401, { errors: [{ code: 'UNAUTHORIZED', message: 'invalid credentials' }] });
      }
      record.account = creds.user;
    }
    record.requested = parseScopes(params.getAll('scope'));
    record.granted = record.requested
      .map((s) => ({ type: s.type, name: s.name, actions: authorize(record.account, s) }))
      .filter((s) => s.actions.length > 0);
    const token = await sign(record.account, record.granted);
    const body = {
      token,
      access_token: token,
      expires_in: expiresIn,
      issued_at: new Date().toISOString(),
    };
    return reply(200, req.method === 'POST' ? { ...body, scope: params.getAll('scope').join(' ') } : body);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(err));
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    certFile: signer.certFile,
    get tokenRequests() {
      return records.length;
    },
    get requests() {
      return records;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
