import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors.js';
import type { RegistryOptions } from '../../src/transport/registry/options.js';
import { RegistryPool } from '../../src/transport/registry/pool.js';
import { makeImage } from '../helpers/fixtures.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { pushFixture, readAll } from './push.js';

let home: string;

beforeAll(async () => {
  // An empty HOME: the machine's own Docker / podman credentials must not be picked up.
  home = await mkdtemp(join(tmpdir(), 'airlock-auth-home-'));
});

afterAll(async () => {
  await rm(home, { recursive: true, force: true });
});

function poolFor(reg: TestRegistry, creds?: { username: string; password: string }, extra: RegistryOptions = {}): RegistryPool {
  return new RegistryPool({
    env: { HOME: home, PATH: process.env.PATH },
    retryBaseMs: 200,
    ...(creds ? { hosts: { [reg.host]: creds } } : {}),
    ...extra,
  });
}

describe('Basic auth (htpasswd)', () => {
  let reg: TestRegistry;

  beforeAll(async () => {
    reg = await startRegistry({ auth: 'basic' });
  });
  afterAll(async () => {
    await reg?.stop();
  });

  it('pushes and pulls with good credentials, sending them up front after the first challenge', async () => {
    const pool = poolFor(reg, { username: reg.username!, password: reg.password! });
    try {
      const client = pool.client(reg.host);
      const image = makeImage({ seed: 'basic-push' });
      await pushFixture(client, 'basic/app', image, 'v1');
      const before = client.stats().requests;
      expect(await client.headManifest('other/repo', 'v1')).toBeNull();
      expect(client.stats().requests - before).toBe(1);
      expect((await client.getManifest('basic/app', 'v1')).bytes.equals(image.manifest)).toBe(true);
    } finally {
      await pool.close();
    }
  });

  it('fails fast with REGISTRY_UNAUTHORIZED on wrong credentials, without retrying', async () => {
    // Retries allowed and quick: were a 401 retried, the request counts below would show it.
    const pool = poolFor(reg, { username: reg.username!, password: 'wrong' }, { retries: 4, retryBaseMs: 1 });
    try {
      const client = pool.client(reg.host);
      await expect(client.ping()).rejects.toMatchObject({ code: ErrorCodes.REGISTRY_UNAUTHORIZED, status: 401 });
      // The anonymous request that draws the challenge, then one with the credentials.
      expect(client.stats()).toMatchObject({ requests: 2, retries: 0 });
      await expect(client.headManifest('basic/app', 'v1')).rejects.toMatchObject({ code: ErrorCodes.REGISTRY_UNAUTHORIZED });
      // Credentials sent up front; their 401 is final.
      expect(client.stats()).toMatchObject({ requests: 3, retries: 0 });
    } finally {
      await pool.close();
    }
  });

  it('asks for credentials with REGISTRY_UNAUTHORIZED when none are configured', async () => {
    const pool = poolFor(reg);
    try {
      await expect(pool.client(reg.host).ping()).rejects.toMatchObject({ code: ErrorCodes.REGISTRY_UNAUTHORIZED });
    } finally {
      await pool.close();
    }
  });

  it('uses credentials from a Docker config.json and from a credential helper', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'airlock-auth-cfg-'));
    try {
      const fileCfg = join(dir, 'file');
      await mkdir(fileCfg);
      const auth = Buffer.from(`${reg.username}:${reg.password}`).toString('base64');
      await writeFile(join(fileCfg, 'config.json'), JSON.stringify({ auths: { [reg.host]: { auth } } }));
      const p1 = new RegistryPool({ env: { HOME: home, DOCKER_CONFIG: fileCfg } });
      await p1.client(reg.host).ping();
      await p1.close();

      const bin = join(dir, 'bin');
      await mkdir(bin);
      const answer = JSON.stringify({ ServerURL: reg.host, Username: reg.username, Secret: reg.password });
      await writeFile(
        join(bin, 'docker-credential-airlocktest'),
        `#!/bin/sh\nread server\n[ "$server" = "${reg.host}" ] || { echo "credentials not found"; exit 1; }\necho '${answer}'\n`,
      );
      await chmod(join(bin, 'docker-credential-airlocktest'), 0o755);
      const helperCfg = join(dir, 'helper');
      await mkdir(helperCfg);
      await writeFile(join(helperCfg, 'config.json'), JSON.stringify({ credHelpers: { [reg.host]: 'airlocktest' } }));
      const p2 = new RegistryPool({
        env: { HOME: home, DOCKER_CONFIG: helperCfg, PATH: `${bin}${delimiter}${process.env.PATH ?? ''}` },
      });
      await p2.client(reg.host).ping();
      await p2.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('Bearer token auth', () => {
  let reg: TestRegistry;

  beforeAll(async () => {
    reg = await startRegistry({ auth: 'token', anonymousPull: true });
  });
  afterAll(async () => {
    await reg?.stop();
  });

  it('pushes with credentials and pulls anonymously, fetching few tokens', async () => {
    const ts = reg.tokenServer!;
    const startTokens = ts.tokenRequests;
    const pusher = poolFor(reg, { username: reg.username!, password: reg.password! });
    const image = makeImage({ seed: 'token-push', layers: [1000, 2000, 3000] });
    try {
      const client = pusher.client(reg.host);
      for (const repo of ['tok/a', 'tok/b', 'tok/c']) await pushFixture(client, repo, image, 'v1');
      const s = client.stats();
      expect(s.tokenRequests).toBe(ts.tokenRequests - startTokens);
      // One token per repository: every other request reuses it.
      expect(s.tokenRequests).toBeLessThanOrEqual(3);
      expect(s.requests - s.tokenRequests).toBeGreaterThan(5 * s.tokenRequests);
      expect(ts.requests.slice(startTokens).every((r) => r.account === reg.username)).toBe(true);

      // The realm is known now: a new repository costs one token request and no 401 round trip.
      const before = client.stats();
      expect(await client.headManifest('tok/new', 'v1', 'push')).toBeNull();
      const after = client.stats();
      expect(after.requests - before.requests).toBe(2);
      expect(after.tokenRequests - before.tokenRequests).toBe(1);
    } finally {
      await pusher.close();
    }

    const anon = poolFor(reg);
    try {
      const client = anon.client(reg.host);
      const m = await client.getManifest('tok/b', 'v1');
      expect(m.digest).toBe(image.manifestDesc.digest);
      const layer = image.layers[2]!;
      expect((await readAll(await client.getBlob('tok/b', layer.desc.digest))).equals(layer.bytes!)).toBe(true);
      expect(ts.requests.at(-1)!.account).toBeUndefined();
      // Anonymous callers get no push grant.
      await expect(client.uploadBlob('tok/b', layer.desc, layer.bytes!)).rejects.toMatchObject({
        code: ErrorCodes.REGISTRY_UNAUTHORIZED,
      });
    } finally {
      await anon.close();
    }
  });

  it('fails with AUTH_FAILED when the token endpoint rejects the credentials, once per run', async () => {
    const ts = reg.tokenServer!;
    // Retries allowed and quick: were the refusal retried, the counts below would show it.
    const pool = poolFor(reg, { username: reg.username!, password: 'nope' }, { retries: 4, retryBaseMs: 1 });
    try {
      const client = pool.client(reg.host);
      const before = ts.tokenRequests;
      await expect(client.getManifest('tok/a', 'v1')).rejects.toMatchObject({ code: ErrorCodes.AUTH_FAILED, status: 401 });
      // The request that draws the challenge, then one token request, which the token server saw once.
      expect(ts.tokenRequests - before).toBe(1);
      expect(client.stats()).toMatchObject({ requests: 2, tokenRequests: 1, retries: 0 });
      await expect(client.getManifest('tok/b', 'v1')).rejects.toMatchObject({ code: ErrorCodes.AUTH_FAILED });
      // Once per run: the rejected credentials are not tried again, nothing more is sent.
      expect(ts.tokenRequests - before).toBe(1);
      expect(client.stats()).toMatchObject({ requests: 2, tokenRequests: 1, retries: 0 });
    } finally {
      await pool.close();
    }
  });
});

describe('Bearer token expiry', () => {
  let reg: TestRegistry;

  beforeAll(async () => {
    reg = await startRegistry({ auth: 'token', tokenExpiresIn: 2 });
  });
  afterAll(async () => {
    await reg?.stop();
  });

  it('fetches a new token once the cached one expires', async () => {
    const pool = poolFor(reg, { username: reg.username!, password: reg.password! });
    try {
      const client = pool.client(reg.host);
      expect(await client.headManifest('exp/a', 'v1')).toBeNull();
      expect(await client.headManifest('exp/a', 'v2')).toBeNull();
      expect(client.stats().tokenRequests).toBe(1);
      await new Promise((r) => setTimeout(r, 2000));
      expect(await client.headManifest('exp/a', 'v3')).toBeNull();
      expect(client.stats().tokenRequests).toBe(2);
    } finally {
      await pool.close();
    }
  });
});
