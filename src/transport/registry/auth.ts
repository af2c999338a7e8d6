import { hasCode, ErrorCodes, type AirlockError } from '../../errors.js';
import { findChallenge, parseChallenges } from './challenge.js';
import type { CredentialStore } from './credentials/store.js';
import type { Credentials } from './credentials/types.js';
import type { HostHttp } from './http.js';
import { normaliseScopes, scopesCover } from './scope.js';
import { basicAuthorization, fetchToken, type BearerRealm, type IssuedToken } from './token.js';

interface CachedToken extends IssuedToken {
  realmKey: string;
  scopes: string[];
}

/**
 * Authentication state for one registry host, shared by every request to it in a run.
 * Learns the scheme from the first 401 challenge, then authenticates later requests up
 * front (Basic header, or a Bearer token fetched before the request), so a new repository
 * costs a token request but no extra 401 round trip. Tokens are cached by realm, service
 * and scope set until shortly before they expire; concurrent requests share one fetch.
 */
export class HostAuth {
  private scheme: { kind: 'unknown' } | { kind: 'basic' } | { kind: 'bearer'; realm: BearerRealm } = { kind: 'unknown' };
  private readonly tokens: CachedToken[] = [];
  private readonly inflight = new Map<string, Promise<CachedToken>>();
  // Credentials the token endpoint rejected: every later request would fail the same way.
  private rejected: AirlockError | undefined;

  constructor(
    private readonly host: string,
    private readonly http: HostHttp,
    private readonly credentialStore: CredentialStore,
  ) {}

  private async credentials(): Promise<Credentials | null> {
    return (await this.credentialStore.lookup(this.host))?.credentials ?? null;
  }

  /** The Authorization header for a request needing `scopes`, or undefined before any challenge. */
  async authorization(scopes: readonly string[]): Promise<string | undefined> {
    if (this.rejected) throw this.rejected;
    const s = this.scheme;
    if (s.kind === 'basic') {
      const c = await this.credentials();
      return c ? basicAuthorization(c) : undefined;
    }
    if (s.kind === 'bearer') return `Bearer ${(await this.token(s.realm, scopes)).token}`;
    return undefined;
  }

  private async token(realm: BearerRealm, scopes: readonly string[]): Promise<CachedToken> {
    const need = normaliseScopes(scopes);
    const realmKey = `${realm.realm}|${realm.service ?? ''}`;
    const now = Date.now();
    for (let i = this.tokens.length - 1; i >= 0; i--) {
      const t = this.tokens[i]!;
      if (t.expiresAt <= now) this.tokens.splice(i, 1);
      else if (t.realmKey === realmKey && scopesCover(t.scopes, need)) return t;
    }
    const key = `${realmKey}|${need.join(' ')}`;
    let p = this.inflight.get(key);
    if (!p) {
      p = (async () => {
        try {
          const issued = await fetchToken(this.http, realm, need, await this.credentials());
          const cached: CachedToken = { ...issued, realmKey, scopes: need };
          this.tokens.push(cached);
          return cached;
        } catch (err) {
          if (hasCode(err, ErrorCodes.AUTH_FAILED)) this.rejected = err as AirlockError;
          throw err;
        } finally {
          this.inflight.delete(key);
        }
      })();
      this.inflight.set(key, p);
    }
    return p;
  }

  /**
   * Handles a 401 whose request carried `sent` (its Authorization header, if any). Learns
   * the host's scheme and forgets a token that stopped working. Returns the scopes to retry
   * with (the request's plus any the challenge names), or null when a retry cannot help:
   * no usable challenge, Basic credentials already rejected, or none to send.
   */
  async onUnauthorized(
    wwwAuthenticate: string | string[] | undefined,
    scopes: readonly string[],
    sent: string | undefined,
  ): Promise<string[] | null> {
    const challenges = parseChallenges(wwwAuthenticate);
    const bearer = findChallenge(challenges, 'bearer');
    if (bearer?.params.realm) {
      this.scheme = {
        kind: 'bearer',
        realm: { realm: bearer.params.realm, ...(bearer.params.service ? { service: bearer.params.service } : {}) },
      };
      if (sent?.startsWith('Bearer ')) {
        const bad = sent.slice('Bearer '.length);
        for (let i = this.tokens.length - 1; i >= 0; i--) if (this.tokens[i]!.token === bad) this.tokens.splice(i, 1);
      }
      const extra = bearer.params.scope ? bearer.params.scope.split(' ').filter(Boolean) : [];
      return normaliseScopes([...scopes, ...extra]);
    }
    if (findChallenge(challenges, 'basic')) {
      this.scheme = { kind: 'basic' };
      if (sent?.startsWith('Basic ')) return null;
      return (await this.credentials()) ? [...scopes] : null;
    }
    return null;
  }
}
