import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostOptions } from '../transport/registry/options.js';
import { registryCredentials } from './credentials.js';
import { parseImageSet } from './load.js';
import { thrown } from '../../test/helpers/codes.js';


describe('registryCredentials', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'airlock-creds-'));
    await writeFile(join(dir, 'token'), 's3cret-file\n');
    await writeFile(join(dir, 'empty'), '\n');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const setIn = (yaml: string) => parseImageSet(`images: {}\ncredentials:\n${yaml}`, join(dir, 'images.yaml'));

  it('reads user names and passwords from the environment and from files relative to the set', () => {
    const set = setIn(
      '  quay.io: {username_env: QUAY_USER, password_env: QUAY_TOKEN}\n' +
        '  "Registry.Local:8787": {username: admin, password_file: token}\n' +
        '  index.docker.io: {username: me, password_env: HUB_TOKEN}\n',
    );
    const creds = registryCredentials(set, { QUAY_USER: 'robot', QUAY_TOKEN: 's3cret-env', HUB_TOKEN: 'hub' });
    expect(creds).toEqual({
      'quay.io': { username: 'robot', password: 's3cret-env' },
      'registry.local:8787': { username: 'admin', password: 's3cret-file' },
      'docker.io': { username: 'me', password: 'hub' },
    });
    // Plugs straight into RegistryOptions.hosts.
    expect(hostOptions({ hosts: creds }, 'registry.local:8787')).toEqual({ username: 'admin', password: 's3cret-file' });
  });

  it('names the registry and the variable when a variable is not set, never a secret', () => {
    const set = setIn('  quay.io: {username_env: QUAY_USER, password_env: QUAY_TOKEN}\n');
    const err = thrown(() => registryCredentials(set, { QUAY_USER: 'robot-user-name' }));
    expect(err.code).toBe('CREDENTIALS_INVALID');
    expect(err.details).toEqual({ registry: 'quay.io', variable: 'QUAY_TOKEN' });
    const user = thrown(() => registryCredentials(set, { QUAY_TOKEN: 'tok', QUAY_USER: '' }));
    expect(user.details).toEqual({ registry: 'quay.io', variable: 'QUAY_USER' });
  });

  it('names the registry and the file when the password file is missing or empty', () => {
    const missing = thrown(() => registryCredentials(setIn('  quay.io: {username: a, password_file: nope}\n'), {}));
    expect(missing.code).toBe('CREDENTIALS_INVALID');
    expect(missing.details).toEqual({ registry: 'quay.io', file: 'nope' });
    const empty = thrown(() => registryCredentials(setIn('  quay.io: {username: a, password_file: empty}\n'), {}));
    expect(empty.code).toBe('CREDENTIALS_INVALID');
    expect(empty.details).toEqual({ registry: 'quay.io', file: 'empty' });
  });

  it('uses the given file reader and returns nothing for a set without credentials', () => {
    const set = setIn('  quay.io: {username: a, password_file: /run/secrets/quay}\n');
    expect(registryCredentials(set, {}, (p) => (p === '/run/secrets/quay' ? 'x\r\n' : ''))).toEqual({
      'quay.io': { username: 'a', password: 'x' },
    });
    expect(registryCredentials(parseImageSet('images: {}\n'), {})).toEqual({});
  });
});
