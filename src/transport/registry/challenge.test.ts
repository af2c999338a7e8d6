import { describe, expect, it } from 'vitest';
import { findChallenge, parseChallenges } from './challenge.js';

describe('parseChallenges', () => {
  it('reads a Bearer challenge with realm, service and a scope holding commas', () => {
    const [c] = parseChallenges(
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull,push"',
    );
    expect(c).toEqual({
      scheme: 'bearer',
      params: {
        realm: 'https://auth.docker.io/token',
        service: 'registry.docker.io',
        scope: 'repository:library/nginx:pull,push',
      },
    });
  });

  it('reads a Basic challenge', () => {
    expect(parseChallenges('Basic realm="Registry Realm"')).toEqual([
      { scheme: 'basic', params: { realm: 'Registry Realm' } },
    ]);
  });

  it('splits several challenges in one header and keeps error parameters', () => {
    const cs = parseChallenges(
      'Bearer realm="https://r/t", service="s", error="insufficient_scope", Basic realm="x, y"',
    );
    expect(cs.map((c) => c.scheme)).toEqual(['bearer', 'basic']);
    expect(cs[0]!.params.error).toBe('insufficient_scope');
    expect(findChallenge(cs, 'basic')!.params.realm).toBe('x, y');
  });

  it('accepts unquoted values, escaped quotes, mixed-case names and several header lines', () => {
    const cs = parseChallenges(['BEARER Realm=https://r/t,Service=reg', 'Basic realm="a \\"quoted\\" realm"']);
    expect(cs[0]).toEqual({ scheme: 'bearer', params: { realm: 'https://r/t', service: 'reg' } });
    expect(cs[1]!.params.realm).toBe('a "quoted" realm');
  });

  it('returns nothing for an absent or empty header', () => {
    expect(parseChallenges(undefined)).toEqual([]);
    expect(parseChallenges('')).toEqual([]);
  });
});
