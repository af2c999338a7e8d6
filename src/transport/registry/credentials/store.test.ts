import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AirlockError, ErrorCodes } from '../../../errors.js';
import { credentialFilePaths, normaliseAuthKey } from './files.js';
import { CredentialStore } from './store.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

// A real credential helper: answers per server URL, logs every call, fails for "broken.example".
const HELPER = `#!/bin/sh
server=$(cat)
echo "$server" >> "$HELPER_LOG"
case "$server" in
  helped.example:5000) echo '{"ServerURL":"helped.example:5000","Username":"helper-user","Secret":"helper-secret"}' ;;
  token.example) echo '{"ServerURL":"token.example","Username":"<token>","Secret":"refresh-xyz"}' ;;
  https://index.docker.io/v1/) echo '{"ServerURL":"https://index.docker.io/v1/","Username":"hub-user","Secret":"hub-secret"}' ;;
  broken.example) echo "leaked-secret-123" >&2; exit 3 ;;
  *) echo "credentials not found in native keychain"; exit 1 ;;
esac
`;

describe('CredentialStore', () => {
  let dir: string;
  let binDir: string;
  let helperLog: string;
  let baseEnv: Record<string, string | undefined>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'airlock-creds-'));
    binDir = join(dir, 'bin');
    await mkdir(binDir);
    await writeFile(join(binDir, 'docker-credential-test'), HELPER);
    await chmod(join(binDir, 'docker-credential-test'), 0o755);
    helperLog = join(dir, 'helper.log');
    // HOME points into the temp dir so the machine's own files are never read.
    baseEnv = { HOME: join(dir, 'home'), PATH: `${binDir}${delimiter}${process.env.PATH ?? ''}`, HELPER_LOG: helperLog };
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function dockerConfig(name: string, json: unknown): Promise<string> {
    const d = join(dir, name);
    await mkdir(d, { recursive: true });
    await writeFile(join(d, 'config.json'), JSON.stringify(json));
    return d;
  }

  async function helperCalls(): Promise<string[]> {
    return (await readFile(helperLog, 'utf8').catch(() => '')).split('\n').filter(Boolean);
  }

  it('prefers explicit per-host credentials over every file', async () => {
    const cfg = await dockerConfig('explicit', { auths: { 'reg.example': { auth: b64('file:pw') } } });
    const store = new CredentialStore({
      hosts: { 'reg.example': { username: 'opt', password: 'optpw' } },
      env: { ...baseEnv, DOCKER_CONFIG: cfg },
    });
    expect(await store.lookup('reg.example')).toEqual({
      credentials: { username: 'opt', password: 'optpw' },
      source: 'options',
    });
  });

  it('reads base64 auth, username/password and identitytoken from $DOCKER_CONFIG/config.json', async () => {
    const cfg = await dockerConfig('docker', {
      auths: {
        'reg.example:5000': { auth: b64('alice:pa:ss') },
        'https://other.example/v1/': { username: 'bob', password: 'pw' },
        'id.example': { auth: b64('carol:'), identitytoken: 'idtok' },
      },
    });
    const store = new CredentialStore({ env: { ...baseEnv, DOCKER_CONFIG: cfg } });
    expect((await store.lookup('reg.example:5000'))?.credentials).toEqual({ username: 'alice', password: 'pa:ss' });
    expect((await store.lookup('other.example'))?.credentials).toEqual({ username: 'bob', password: 'pw' });
    expect((await store.lookup('id.example'))?.credentials).toEqual({
      username: 'carol',
      password: '',
      identityToken: 'idtok',
    });
    expect(await store.lookup('unknown.example')).toBeNull();
  });

  it('finds Docker Hub credentials under any of its keys', async () => {
    for (const key of ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io']) {
      const cfg = await dockerConfig(`hub-${key.length}`, { auths: { [key]: { auth: b64('hub:pw') } } });
      const store = new CredentialStore({ env: { ...baseEnv, DOCKER_CONFIG: cfg } });
      expect((await store.lookup('docker.io'))?.credentials).toEqual({ username: 'hub', password: 'pw' });
    }
  });

  it('reads $REGISTRY_AUTH_FILE before Docker config.json', async () => {
    const authFile = join(dir, 'auth.json');
    await writeFile(authFile, JSON.stringify({ auths: { 'reg.example': { auth: b64('podman:pw') } } }));
    const cfg = await dockerConfig('both', { auths: { 'reg.example': { auth: b64('docker:pw') } } });
    const store = new CredentialStore({ env: { ...baseEnv, DOCKER_CONFIG: cfg, REGISTRY_AUTH_FILE: authFile } });
    const found = await store.lookup('reg.example');
    expect(found?.credentials.username).toBe('podman');
    expect(found?.source).toBe(`file:${authFile}`);
  });

  it('reads $XDG_RUNTIME_DIR/containers/auth.json when no auth file is named', async () => {
    const runtime = join(dir, 'runtime');
    await mkdir(join(runtime, 'containers'), { recursive: true });
    await writeFile(join(runtime, 'containers', 'auth.json'), JSON.stringify({ auths: { 'x.example': { auth: b64('xdg:pw') } } }));
    const store = new CredentialStore({ env: { ...baseEnv, XDG_RUNTIME_DIR: runtime } });
    expect((await store.lookup('x.example'))?.credentials.username).toBe('xdg');
    expect(credentialFilePaths({ HOME: '/h', XDG_RUNTIME_DIR: '/run/u' })).toEqual([
      '/run/u/containers/auth.json',
      '/h/.config/containers/auth.json',
      '/h/.docker/config.json',
    ]);
  });

  it('runs credHelpers[host] with the host on stdin, once per host per store', async () => {
    await rm(helperLog, { force: true });
    const cfg = await dockerConfig('helpers', {
      credHelpers: { 'helped.example:5000': 'test', 'token.example': 'test' },
    });
    const store = new CredentialStore({ env: { ...baseEnv, DOCKER_CONFIG: cfg } });
    const [a, b] = await Promise.all([store.lookup('helped.example:5000'), store.lookup('helped.example:5000')]);
    expect(a).toEqual({ credentials: { username: 'helper-user', password: 'helper-secret' }, source: 'helper:test' });
    expect(b).toEqual(a);
    expect(await store.lookup('helped.example:5000')).toEqual(a);
    expect((await store.lookup('token.example'))?.credentials).toEqual({ identityToken: 'refresh-xyz' });
    expect(await helperCalls()).toEqual(['helped.example:5000', 'token.example']);
  });

  it('asks credsStore for Docker Hub with its v1 server URL, and treats "not found" as anonymous', async () => {
    await rm(helperLog, { force: true });
    const cfg = await dockerConfig('store', { credsStore: 'test', auths: { 'https://index.docker.io/v1/': {} } });
    const store = new CredentialStore({ env: { ...baseEnv, DOCKER_CONFIG: cfg } });
    expect((await store.lookup('docker.io'))?.credentials).toEqual({ username: 'hub-user', password: 'hub-secret' });
    expect(await store.lookup('nothing.example')).toBeNull();
    expect(await helperCalls()).toEqual(['https://index.docker.io/v1/', 'nothing.example']);
  });

  it('fails with CREDENTIAL_HELPER_FAILED naming the helper but not its output', async () => {
    const cfg = await dockerConfig('broken', {
      credHelpers: { 'broken.example': 'test', 'missing.example': 'does-not-exist' },
    });
    const store = new CredentialStore({ env: { ...baseEnv, DOCKER_CONFIG: cfg } });
    const err = await store.lookup('broken.example').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AirlockError);
    expect((err as AirlockError).code).toBe(ErrorCodes.CREDENTIAL_HELPER_FAILED);
    expect((err as AirlockError).details.helper).toBe('docker-credential-test');
    expect(JSON.stringify({ m: (err as Error).message, d: (err as AirlockError).details })).not.toContain('leaked-secret');
    await expect(store.lookup('missing.example')).rejects.toMatchObject({ code: ErrorCodes.CREDENTIAL_HELPER_FAILED });
  });

  it('rejects malformed files with CREDENTIALS_INVALID', async () => {
    const bad = join(dir, 'bad');
    await mkdir(bad, { recursive: true });
    await writeFile(join(bad, 'config.json'), '{not json');
    await expect(new CredentialStore({ env: { ...baseEnv, DOCKER_CONFIG: bad } }).lookup('a.example')).rejects.toMatchObject({
      code: ErrorCodes.CREDENTIALS_INVALID,
    });
    const cfg = await dockerConfig('badauth', { auths: { 'a.example': { auth: b64('no-colon') } } });
    await expect(new CredentialStore({ env: { ...baseEnv, DOCKER_CONFIG: cfg } }).lookup('a.example')).rejects.toMatchObject({
      code: ErrorCodes.CREDENTIALS_INVALID,
    });
  });

  it('uses explicit file paths from the options', async () => {
    const cfg = await dockerConfig('explicit-path', { auths: { 'p.example': { auth: b64('path:pw') } } });
    const store = new CredentialStore({ dockerConfigPath: join(cfg, 'config.json'), env: baseEnv });
    expect((await store.lookup('p.example'))?.credentials.username).toBe('path');
  });
});

describe('normaliseAuthKey', () => {
  it('strips scheme and path the way Docker does, and maps Docker Hub aliases', () => {
    expect(normaliseAuthKey('https://index.docker.io/v1/')).toBe('docker.io');
    expect(normaliseAuthKey('registry-1.docker.io')).toBe('docker.io');
    expect(normaliseAuthKey('http://Reg.Example:5000/v2/')).toBe('reg.example:5000');
    expect(normaliseAuthKey('reg.example:5000')).toBe('reg.example:5000');
    expect(normaliseAuthKey('quay.io/some-org')).toBeNull();
  });
});
