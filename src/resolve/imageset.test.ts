import { describe, expect, it } from 'vitest';
import { withImageSetCredentials } from './imageset.js';

const set = {
  credentials: {
    'Quay.io': { username: 'robot', password_env: 'QUAY_TOKEN' },
    'registry.local:5000': { username_env: 'REG_USER', password_env: 'REG_PASS' },
  },
};
const env = { QUAY_TOKEN: 'q-secret', REG_USER: 'u', REG_PASS: 'p' };

describe('withImageSetCredentials', () => {
  it('adds the set credentials per host and keeps other host settings', () => {
    const opts = withImageSetCredentials({ retries: 1, hosts: { 'quay.io': { caFile: 'ca.pem', maxConnections: 3 } } }, set, env);
    expect(opts.retries).toBe(1);
    expect(opts.hosts).toEqual({
      'quay.io': { caFile: 'ca.pem', maxConnections: 3, username: 'robot', password: 'q-secret' },
      'registry.local:5000': { username: 'u', password: 'p' },
    });
  });

  it('credentials already given (--creds) win', () => {
    const opts = withImageSetCredentials({ hosts: { 'quay.io': { username: 'me', password: 'mine' } } }, set, env);
    expect(opts.hosts!['quay.io']).toEqual({ username: 'me', password: 'mine' });
  });

  it('a missing variable is CREDENTIALS_INVALID; a set without credentials changes nothing', () => {
    expect(() => withImageSetCredentials({}, set, {})).toThrow(expect.objectContaining({ code: 'CREDENTIALS_INVALID' }));
    const base = { retries: 2 };
    expect(withImageSetCredentials(base, { credentials: {} }, {})).toBe(base);
  });
});
