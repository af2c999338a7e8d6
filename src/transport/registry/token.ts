import { AirlockError, ErrorCodes } from '../../errors.js';
import type { Credentials } from './credentials/types.js';
import { redactUrl, responseError } from './errors.js';
import { discard, readText, type HostHttp } from './http.js';

/** Where a registry sends clients for Bearer tokens (from its challenge). */
export interface BearerRealm {
  realm: string;
  service?: string;
}

/** A token and when to stop using it. */
export interface IssuedToken {
  token: string;
  /** Epoch milliseconds after which the token is not reused. */
  expiresAt: number;
}

/** Lifetime assumed when the token server gives no `expires_in` (the spec's default). */
export const DEFAULT_TOKEN_LIFETIME_S = 60;

/** Basic authorization header value for credentials (identity token as password when no password). */
export function basicAuthorization(c: Credentials): string {
  const password = c.password || c.identityToken || '';
  return `Basic ${Buffer.from(`${c.username ?? ''}:${password}`, 'utf8').toString('base64')}`;
}

function tokenFromJson(text: string, url: URL, now: number): IssuedToken {
  let json: { token?: unknown; access_token?: unknown; expires_in?: unknown };
  try {
    json = JSON.parse(text) as typeof json;
  } catch {
    throw new AirlockError(ErrorCodes.REGISTRY_PROTOCOL, `token endpoint ${redactUrl(url)} did not answer JSON`, {
      url: redactUrl(url),
    });
  }
  const token = typeof json.token === 'string' && json.token !== '' ? json.token : json.access_token;
  if (typeof token !== 'string' || token === '') {
    throw new AirlockError(ErrorCodes.REGISTRY_PROTOCOL, `token endpoint ${redactUrl(url)} returned no token`, {
      url: redactUrl(url),
    });
  }
  const lifetime =
    typeof json.expires_in === 'number' && json.expires_in > 0 ? json.expires_in : DEFAULT_TOKEN_LIFETIME_S;
  // Stop using a token a little before it lapses, so requests in flight do not get a 401.
  const margin = Math.min(10, lifetime * 0.1);
  return { token, expiresAt: now + (lifetime - margin) * 1000 };
}

async function failure(method: string, url: URL, res: Awaited<ReturnType<HostHttp['send']>>, credentialed: boolean) {
  const body = await readText(res);
  if (res.statusCode === 401 || res.statusCode === 403) {
    // Rejected credentials are AUTH_FAILED; an anonymous refusal means credentials are needed.
    return responseError(
      method,
      url,
      res.statusCode,
      body,
      credentialed ? 'token endpoint rejected the credentials' : 'token endpoint refused anonymous access',
      credentialed ? ErrorCodes.AUTH_FAILED : ErrorCodes.REGISTRY_UNAUTHORIZED,
    );
  }
  return responseError(method, url, res.statusCode, body, 'token request failed');
}

/**
 * Gets a Bearer token for `scopes` from `realm`. With an identity token: the OAuth2
 * refresh-token POST (falling back to GET when the endpoint has no OAuth2, 404/405).
 * Otherwise GET `realm?service=&scope=...`, Basic-authenticated when credentials exist.
 * 401/403 → AUTH_FAILED with credentials, REGISTRY_UNAUTHORIZED without; never retried.
 */
export async function fetchToken(
  http: HostHttp,
  realm: BearerRealm,
  scopes: readonly string[],
  credentials: Credentials | null,
): Promise<IssuedToken> {
  let url: URL;
  try {
    url = new URL(realm.realm);
  } catch {
    throw new AirlockError(ErrorCodes.REGISTRY_PROTOCOL, `registry ${http.endpoint.host} sent an invalid token realm`, {
      host: http.endpoint.host,
    });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new AirlockError(ErrorCodes.REGISTRY_PROTOCOL, `token realm for ${http.endpoint.host} is not HTTP(S)`, {
      host: http.endpoint.host,
    });
  }

  if (credentials?.identityToken) {
    const form = new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: credentials.identityToken,
      client_id: 'airlock',
      ...(realm.service ? { service: realm.service } : {}),
      ...(scopes.length ? { scope: scopes.join(' ') } : {}),
    });
    const res = await http.send({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: Buffer.from(form.toString()),
      token: true,
    });
    if (res.statusCode === 200) return tokenFromJson(await readText(res, 1024 * 1024), url, Date.now());
    if (res.statusCode !== 404 && res.statusCode !== 405) throw await failure('POST', url, res, true);
    await discard(res);
  }

  const get = new URL(url);
  if (realm.service) get.searchParams.set('service', realm.service);
  for (const s of scopes) get.searchParams.append('scope', s);
  if (credentials?.username && credentials.username !== '<token>') get.searchParams.set('account', credentials.username);
  const headers: Record<string, string> = {};
  if (credentials) {
    // An identity token stands in for the password on the token GET (Docker's behaviour).
    const c = credentials.identityToken ? { ...credentials, password: credentials.identityToken } : credentials;
    headers.authorization = basicAuthorization(c);
  }
  const res = await http.send({ method: 'GET', url: get, headers, token: true });
  if (res.statusCode !== 200) throw await failure('GET', get, res, credentials !== null);
  return tokenFromJson(await readText(res, 1024 * 1024), get, Date.now());
}
