/**
 * Docker's token flow, served by the registry itself: a request without a token is answered
 * 401 with `WWW-Authenticate: Bearer realm=".../token",service=...,scope=...`; the client asks
 * `/token` (GET with HTTP Basic, or OAuth2's POST password grant) for the scopes it needs and
 * gets a short-lived JWT (HS256) granting the requested actions the user may take, per
 * repository; the token then opens exactly those repositories and actions. Basic credentials
 * are still taken on the API itself, for browsers and scripts.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { AirlockError, ErrorCodes } from '../errors.js';
import { ALLOWED, basicVerdict, REALM, unauthenticated, type AccessPolicy, type Action, type Need, type Users } from './access.js';
import { readBody } from './body.js';
import { sendError } from './errors.js';

/** How long an issued token is good for, in seconds. */
export const TOKEN_TTL_S = 300;
/** The JWT issuer and the `service` (audience) tokens are for. */
export const TOKEN_ISSUER = 'airlock';
export const TOKEN_SERVICE = 'airlock';
/** The path of the token endpoint. */
export const TOKEN_PATH = '/token';

/** One entry of a token's `access` claim. */
export interface ResourceAccess {
  type: string;
  name: string;
  actions: string[];
}

/** Parses one Docker scope (`repository:host:5000/a/b:pull,push`: the name may hold colons); undefined when malformed. */
export function parseScope(scope: string): ResourceAccess | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first <= 0 || last === first) return undefined;
  const actions = scope.slice(last + 1).split(',').filter((a) => a !== '');
  return { type: scope.slice(0, first), name: scope.slice(first + 1, last), actions };
}

/** The scope a challenge names for `need` (writes ask for pull and push together, as clients request them). */
function scopeOf(need: Need): string {
  if (need.type === 'registry') return 'registry:catalog:*';
  return `repository:${need.name}:${need.action === 'push' ? 'pull,push' : need.action}`;
}

/** True when `access` (a token's claim) grants `need`. */
function grants(access: ResourceAccess[], need: Need): boolean {
  return access.some((a) => a.type === need.type && a.name === need.name && (a.actions.includes(need.action) || a.actions.includes('*')));
}

/** Issues and checks tokens for one server. */
export class TokenAuthority {
  private constructor(
    private readonly users: Users,
    private readonly secret: Uint8Array,
  ) {}

  /**
   * Tokens signed with the contents of `secretFile` (at least 32 bytes; replicas sharing it
   * accept each other's tokens), or with a random key made now. USAGE when the file is unfit.
   */
  static async create(users: Users, secretFile?: string): Promise<TokenAuthority> {
    if (secretFile === undefined) return new TokenAuthority(users, randomBytes(32));
    const secret = await readFile(secretFile).catch((err: unknown) => {
      throw new AirlockError(ErrorCodes.USAGE, `--token-secret ${secretFile}: ${(err as Error).message}`);
    });
    if (secret.length < 32) throw new AirlockError(ErrorCodes.USAGE, `--token-secret ${secretFile}: needs at least 32 bytes (head -c 32 /dev/urandom > FILE)`);
    return new TokenAuthority(users, new Uint8Array(secret));
  }

  /** What `user` gets of the requested scopes: each entry cut to the actions the user may take. */
  private granted(user: string | undefined, scopes: string[]): ResourceAccess[] {
    const may = this.users.actionsOf(user);
    const out: ResourceAccess[] = [];
    for (const s of scopes.flatMap((x) => x.split(' ')).filter((x) => x !== '')) {
      const want = parseScope(s);
      if (!want) continue;
      if (want.type === 'registry' && want.name === 'catalog') {
        if (may.has('pull')) out.push({ type: 'registry', name: 'catalog', actions: ['*'] });
      } else if (want.type === 'repository') {
        const actions = want.actions.flatMap((a) => (a === '*' ? [...may] : may.has(a as Action) ? [a] : []));
        out.push({ type: 'repository', name: want.name, actions: [...new Set(actions)] });
      }
    }
    return out;
  }

  /** A signed token for `user` (undefined: anonymous) granting `access`. */
  async issue(user: string | undefined, access: ResourceAccess[], now = Date.now()): Promise<string> {
    const iat = Math.floor(now / 1000);
    return new SignJWT({ access })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(TOKEN_ISSUER)
      .setAudience(TOKEN_SERVICE)
      .setSubject(user ?? '')
      .setIssuedAt(iat)
      .setNotBefore(iat - 1)
      .setExpirationTime(iat + TOKEN_TTL_S)
      .setJti(randomBytes(12).toString('hex'))
      .sign(this.secret);
  }

  /** The `access` claim of a valid token; 'expired' or 'invalid' otherwise. */
  async verify(token: string): Promise<ResourceAccess[] | 'expired' | 'invalid'> {
    try {
      const { payload } = await jwtVerify(token, this.secret, { issuer: TOKEN_ISSUER, audience: TOKEN_SERVICE, algorithms: ['HS256'] });
      return Array.isArray(payload.access) ? (payload.access as ResourceAccess[]) : [];
    } catch (err) {
      return err instanceof joseErrors.JWTExpired ? 'expired' : 'invalid';
    }
  }

  /** The policy of the API: a Bearer token granting the need, Basic credentials, or anonymous pull where allowed. */
  policy(): AccessPolicy {
    return {
      check: async (req, need, base) => {
        const challenge = (error?: string) =>
          `Bearer realm="${base}${TOKEN_PATH}",service="${TOKEN_SERVICE}",scope="${scopeOf(need)}"${error ? `,error="${error}"` : ''}`;
        const authorization = req.headers.authorization ?? '';
        const bearer = /^Bearer\s+(\S+)$/i.exec(authorization);
        if (bearer) {
          const access = await this.verify(bearer[1]!);
          if (access === 'expired' || access === 'invalid') return unauthenticated(challenge('invalid_token'));
          return grants(access, need) ? ALLOWED : { ...unauthenticated(challenge('insufficient_scope')), message: `the token does not grant ${scopeOf(need)}` };
        }
        return basicVerdict(this.users, authorization, need, challenge());
      },
    };
  }

  /**
   * Answers the token endpoint: `GET /token?service=...&scope=...` with HTTP Basic (or none,
   * for an anonymous token), or `POST /token` with an OAuth2 password grant form. Wrong
   * credentials: 401. The token grants what was asked and the user may do, nothing more.
   */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    let user: string | null | undefined;
    let scopes: string[];
    if (req.method === 'POST') {
      const body = await readBody(req, 64 * 1024);
      const form = body && new URLSearchParams(body.toString('utf8'));
      if (!form || form.get('grant_type') !== 'password') return sendError(res, false, 400, 'UNSUPPORTED', 'POST /token takes grant_type=password with username and password');
      const basic = `Basic ${Buffer.from(`${form.get('username') ?? ''}:${form.get('password') ?? ''}`).toString('base64')}`;
      user = await this.users.basicUser(basic);
      scopes = form.getAll('scope');
    } else if (req.method === 'GET') {
      user = await this.users.basicUser(req.headers.authorization);
      scopes = url.searchParams.getAll('scope');
    } else {
      req.resume();
      return sendError(res, false, 405, 'UNSUPPORTED', 'the token endpoint takes GET or POST');
    }
    if (user === null) {
      res.setHeader('www-authenticate', `Basic realm="${REALM}"`);
      return sendError(res, false, 401, 'UNAUTHORIZED', 'wrong user name or password');
    }
    const now = Date.now();
    const token = await this.issue(user, this.granted(user, scopes), now);
    const body = JSON.stringify({ token, access_token: token, expires_in: TOKEN_TTL_S, issued_at: new Date(now).toISOString() });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
    res.end(body);
  }
}
