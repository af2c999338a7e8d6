import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Agent, fetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaultProxy, type FaultProxy } from './helpers/fault-proxy.js';
import { makeImage, makeImageOnDisk, makeLayer, makeMultiArch, writeOciLayout } from './helpers/fixtures.js';
import { startRegistry, type RegistryAuth, type TestRegistry } from './helpers/registry.js';
import { pushFixtureWithSkopeo, pushLayoutWithSkopeo, skopeoInspect, dockerRef, sideFor } from './helpers/skopeo.js';
import { validateLayout, validateRegistryImage, ValidationError } from './helpers/validate.js';

const sha256 = (b: Uint8Array): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

let work: string;
let layout: string;
const multi = makeMultiArch({ seed: 'harness', labels: { 'airlock.test': 'smoke' } });

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'airlock-harness-'));
  layout = join(work, 'layout');
  await writeOciLayout(layout, [{ name: 'multi:v1', image: multi }]);
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

function access(r: TestRegistry): { url: string; username?: string; password?: string; caFile?: string } {
  return {
    url: r.url,
    ...(r.username ? { username: r.username, password: r.password! } : {}),
    ...(r.caFile ? { caFile: r.caFile } : {}),
  };
}

describe('fixtures', () => {
  it('generates the same bytes for the same seed', () => {
    const a = makeMultiArch({ seed: 'same' });
    const b = makeMultiArch({ seed: 'same' });
    expect(a.manifestDesc.digest).toBe(b.manifestDesc.digest);
    expect(makeMultiArch({ seed: 'other' }).manifestDesc.digest).not.toBe(a.manifestDesc.digest);
  });

  it('shares base layers between the platforms of a multi-arch image', () => {
    const [amd, arm] = multi.images;
    expect(amd!.layers[0]!.desc.digest).toBe(arm!.layers[0]!.desc.digest);
    expect(amd!.layers[1]!.desc.digest).not.toBe(arm!.layers[1]!.desc.digest);
    expect(arm!.platform).toEqual({ os: 'linux', architecture: 'arm64', variant: 'v8' });
    const config = JSON.parse(arm!.config.toString()) as { config: { Labels: Record<string, string> }; rootfs: { diff_ids: string[] } };
    expect(config.config.Labels['airlock.test']).toBe('smoke');
    expect(config.rootfs.diff_ids).toEqual(arm!.layers.map((l) => l.diffId));
  });

  it('writes real gzip tar layers that tar can list', async () => {
    const layer = makeLayer({ seed: 'tar-check', size: 5000, files: 2 });
    const file = join(work, 'layer.tgz');
    await writeFile(file, layer.bytes);
    const { stdout } = await promisify(execFile)('tar', ['-tzf', file]);
    expect(stdout.trim().split('\n')).toEqual(['fixture/', 'fixture/seed.txt', 'fixture/file-0000.bin', 'fixture/file-0001.bin']);
  });

  it('streams layers to disk with the same digests as in memory', async () => {
    const spec = { seed: 'disk', layers: [{ seed: 'disk-layer', size: 300_000 }], format: 'docker' as const };
    const dir = join(work, 'disk-layout');
    const onDisk = await makeImageOnDisk(dir, spec);
    expect(onDisk.manifestDesc.digest).toBe(makeImage(spec).manifestDesc.digest);
    expect(onDisk.layers[0]!.bytes).toBeUndefined();
    await writeOciLayout(dir, [{ name: 'disk', image: onDisk }]);
    const v = await validateLayout(dir, 'disk', { checkDiffIds: true });
    expect(v.digest).toBe(onDisk.manifestDesc.digest);
  });
});

describe('validateLayout', () => {
  it('accepts a written layout and reports every blob', async () => {
    const v = await validateLayout(layout, 'multi:v1', { checkDiffIds: true });
    expect(v.digest).toBe(multi.manifestDesc.digest);
    expect(v.manifests).toHaveLength(3);
    expect(v.blobs).toHaveLength(5); // 2 configs, 1 shared base layer, 2 platform layers
  });

  it('rejects a tampered blob, a missing blob and an unknown name', async () => {
    const copy = join(work, 'tampered');
    await writeOciLayout(copy, [{ name: 'multi:v1', image: multi }]);
    const layer = multi.images[0]!.layers[1]!.desc.digest.slice(7);
    const path = join(copy, 'blobs', 'sha256', layer);
    const bytes = await readFile(path);
    bytes[10] = bytes[10]! ^ 1;
    await writeFile(path, bytes);
    await expect(validateLayout(copy, 'multi:v1')).rejects.toBeInstanceOf(ValidationError);
    await unlink(path);
    await expect(validateLayout(copy, 'multi:v1')).rejects.toBeInstanceOf(ValidationError);
    await expect(validateLayout(layout, 'nope')).rejects.toBeInstanceOf(ValidationError);
  });
});

describe.each<[string, { auth?: RegistryAuth; tls?: boolean }]>([
  ['plain HTTP', {}],
  ['Basic auth', { auth: 'basic' }],
  ['TLS', { tls: true }],
  ['token auth', { auth: 'token' }],
])('a %s registry', (_name, opts) => {
  let reg: TestRegistry;
  beforeAll(async () => {
    reg = await startRegistry(opts);
  });
  afterAll(async () => {
    await reg?.stop();
  });

  it('takes a multi-arch push from skopeo that validates independently', async () => {
    const digest = await pushLayoutWithSkopeo(layout, 'multi:v1', reg, 'smoke/multi:v1');
    expect(digest).toBe(multi.manifestDesc.digest);
    const v = await validateRegistryImage({
      ...access(reg),
      repository: 'smoke/multi',
      reference: 'v1',
      expectDigest: digest,
      checkDiffIds: true,
    });
    expect(v.mediaType).toBe('application/vnd.oci.image.index.v1+json');
    expect(v.manifests).toHaveLength(3);
    expect(v.blobs).toHaveLength(5);
    const raw = (await skopeoInspect(dockerRef(reg, `smoke/multi@${digest}`), { ...sideFor(reg), raw: true })) as {
      manifests: unknown[];
    };
    expect(raw.manifests).toHaveLength(2);
  });

  it('enforces its authentication', async () => {
    // Distribution 2.8 answers 404 for an OCI index unless the client accepts that type.
    const dispatcher = new Agent(reg.caFile ? { connect: { ca: await readFile(reg.caFile) } } : {});
    const res = await fetch(`${reg.url}/v2/smoke/multi/manifests/v1`, {
      dispatcher,
      headers: { accept: 'application/vnd.oci.image.index.v1+json' },
    });
    await res.arrayBuffer();
    await dispatcher.close();
    expect(res.status).toBe(opts.auth ? 401 : 200);
    if (opts.auth === 'token') expect(reg.tokenServer!.tokenRequests).toBeGreaterThan(0);
    if (opts.auth) {
      await expect(
        validateRegistryImage({ ...access(reg), password: 'wrong', repository: 'smoke/multi', reference: 'v1' }),
      ).rejects.toBeInstanceOf(ValidationError);
    }
  });
});

describe('a plain registry with fixtures of every format', () => {
  let reg: TestRegistry;
  beforeAll(async () => {
    reg = await startRegistry();
  });
  afterAll(async () => {
    await reg?.stop();
  });

  it('takes Docker manifest lists and single images through skopeo dir:', async () => {
    const list = makeMultiArch({ seed: 'docker-list', format: 'docker' });
    expect(await pushFixtureWithSkopeo(list, reg, 'fmt/list:v1')).toBe(list.manifestDesc.digest);
    const v = await validateRegistryImage({ url: reg.url, repository: 'fmt/list', reference: list.manifestDesc.digest });
    expect(v.mediaType).toBe('application/vnd.docker.distribution.manifest.list.v2+json');
    const single = makeImage({ seed: 'docker-single', format: 'docker', layers: [2000, 3000] });
    expect(await pushFixtureWithSkopeo(single, reg, 'fmt/single:v1')).toBe(single.manifestDesc.digest);
    expect((await validateRegistryImage({ url: reg.url, repository: 'fmt/single', reference: 'v1' })).blobs).toHaveLength(3);
  });

  it('has a validator that notices a blob corrupted in registry storage', async () => {
    const image = makeImage({ seed: 'to-corrupt', layers: [4096] });
    await pushFixtureWithSkopeo(image, reg, 'fmt/corrupt:v1');
    const hex = image.layers[0]!.desc.digest.slice(7);
    const data = join(reg.dataDir, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
    const bytes = await readFile(data);
    bytes[100] = bytes[100]! ^ 0xff;
    await writeFile(data, bytes);
    await expect(validateRegistryImage({ url: reg.url, repository: 'fmt/corrupt', reference: 'v1' })).rejects.toBeInstanceOf(
      ValidationError,
    );
    await expect(
      validateRegistryImage({ url: reg.url, repository: 'fmt/list', reference: 'v1', expectDigest: image.manifestDesc.digest }),
    ).rejects.toBeInstanceOf(ValidationError);
  });
});

describe('a token registry with anonymous pull', () => {
  it('lets anonymous clients pull but not push', async () => {
    const reg = await startRegistry({ auth: 'token', anonymousPull: true });
    try {
      await pushLayoutWithSkopeo(layout, 'multi:v1', reg, 'anon/multi:v1');
      await validateRegistryImage({ url: reg.url, repository: 'anon/multi', reference: 'v1' });
      const anonymous = { host: reg.host, url: reg.url };
      await expect(pushLayoutWithSkopeo(layout, 'multi:v1', anonymous, 'anon/other:v1')).rejects.toThrow();
      const granted = reg.tokenServer!.requests.filter((r) => r.account === undefined).flatMap((r) => r.granted);
      expect(granted.every((g) => g.actions.join() === 'pull')).toBe(true);
    } finally {
      await reg.stop();
    }
  });
});

describe('the token server', () => {
  it('issues JWTs the registry accepts for a raw push and pull, and refuses bad credentials', async () => {
    const reg = await startRegistry({ auth: 'token' });
    try {
      const ts = reg.tokenServer!;
      const basic = `Basic ${Buffer.from(`${reg.username}:${reg.password}`).toString('base64')}`;
      const scope = 'repository:raw/repo:pull,push';
      const bad = await fetch(`${ts.realm}?service=${ts.service}&scope=${scope}`, {
        headers: { authorization: `Basic ${Buffer.from('nobody:wrong').toString('base64')}` },
      });
      expect(bad.status).toBe(401);
      await bad.arrayBuffer();

      const got = await fetch(`${ts.realm}?service=${ts.service}&scope=${scope}&account=${reg.username}`, {
        headers: { authorization: basic },
      });
      const body = (await got.json()) as { token: string; access_token: string; expires_in: number; issued_at: string };
      expect(body.access_token).toBe(body.token);
      expect(body.expires_in).toBeGreaterThan(0);
      const auth = { authorization: `Bearer ${body.token}` };

      const blob = Buffer.from('raw blob through a token');
      const start = await fetch(`${reg.url}/v2/raw/repo/blobs/uploads/`, { method: 'POST', headers: auth });
      expect(start.status).toBe(202);
      await start.arrayBuffer();
      const put = new URL(start.headers.get('location')!, reg.url);
      put.searchParams.set('digest', sha256(blob));
      const done = await fetch(put, { method: 'PUT', headers: { ...auth, 'content-type': 'application/octet-stream' }, body: blob });
      expect(done.status).toBe(201);
      await done.arrayBuffer();
      const pulled = await fetch(`${reg.url}/v2/raw/repo/blobs/${sha256(blob)}`, { headers: auth });
      expect(Buffer.from(await pulled.arrayBuffer()).equals(blob)).toBe(true);

      // OAuth2 password grant, pull only: the registry refuses an upload with it.
      const form = new URLSearchParams({ grant_type: 'password', username: reg.username!, password: reg.password!, service: ts.service, scope: 'repository:raw/repo:pull' });
      const oauth = (await (await fetch(ts.realm, { method: 'POST', body: form })).json()) as { access_token: string };
      const denied = await fetch(`${reg.url}/v2/raw/repo/blobs/uploads/`, { method: 'POST', headers: { authorization: `Bearer ${oauth.access_token}` } });
      expect(denied.status).toBe(401);
      await denied.arrayBuffer();
      expect(ts.tokenRequests).toBe(3);
      expect(ts.requests.map((r) => r.status)).toEqual([401, 200, 200]);
    } finally {
      await reg.stop();
    }
  });
});

describe('the fault proxy', () => {
  let reg: TestRegistry;
  let proxy: FaultProxy;
  const image = makeImage({ seed: 'proxied', layers: [64 * 1024] });
  const layer = image.layers[0]!.desc;
  const blobPath = `/v2/proxy/img/blobs/${layer.digest}`;

  beforeAll(async () => {
    reg = await startRegistry();
    proxy = await startFaultProxy({ upstream: reg.url });
    // Pushing through the proxy proves upload Locations are rewritten to it.
    expect(await pushFixtureWithSkopeo(image, { host: proxy.host, url: proxy.url }, 'proxy/img:v1')).toBe(
      image.manifestDesc.digest,
    );
  });
  afterAll(async () => {
    await proxy?.stop();
    await reg?.stop();
  });

  it('keeps uploads going through itself and records them', () => {
    expect(proxy.count('PATCH', /\/blobs\/uploads\//) + proxy.count('PUT', /\/blobs\/uploads\//)).toBeGreaterThan(0);
    expect(proxy.count('PUT', /\/manifests\/v1$/)).toBe(1);
  });

  it('injects 500, 429 with Retry-After and 401 with a challenge, then lets requests through', async () => {
    proxy.addRule({ method: 'GET', path: /\/blobs\//, status: 500 });
    proxy.addRule({ method: 'GET', path: /\/blobs\//, status: 429, retryAfter: 3 });
    proxy.addRule({ method: 'GET', path: /\/blobs\//, status: 401 });
    const r1 = await fetch(proxy.url + blobPath);
    expect(r1.status).toBe(500);
    await r1.arrayBuffer();
    const r2 = await fetch(proxy.url + blobPath);
    expect([r2.status, r2.headers.get('retry-after')]).toEqual([429, '3']);
    await r2.arrayBuffer();
    const r3 = await fetch(proxy.url + blobPath);
    expect(r3.status).toBe(401);
    expect(r3.headers.get('www-authenticate')).toMatch(/^Basic /);
    await r3.arrayBuffer();
    const ok = await fetch(proxy.url + blobPath);
    expect(sha256(new Uint8Array(await ok.arrayBuffer()))).toBe(layer.digest);
  });

  it('drops the connection mid-body and resets connections', async () => {
    proxy.addRule({ method: 'GET', path: /\/blobs\//, drop: 1000 });
    const res = await fetch(proxy.url + blobPath);
    expect(res.status).toBe(200);
    await expect(res.arrayBuffer()).rejects.toThrow();
    proxy.addRule({ method: 'HEAD', path: /\/manifests\//, reset: true });
    await expect(fetch(`${proxy.url}/v2/proxy/img/manifests/v1`, { method: 'HEAD' })).rejects.toThrow();
    expect(proxy.requests.filter((r) => r.fault === 'drop' || r.fault === 'reset')).toHaveLength(2);
  });

  it('corrupts a body without changing its length', async () => {
    proxy.addRule({ method: 'GET', path: /\/blobs\//, corrupt: true });
    const bytes = new Uint8Array(await (await fetch(proxy.url + blobPath)).arrayBuffer());
    expect(bytes.length).toBe(layer.size);
    expect(sha256(bytes)).not.toBe(layer.digest);
    proxy.addRule({ method: 'GET', path: /\/blobs\//, corrupt: true });
    await expect(validateRegistryImage({ url: proxy.url, repository: 'proxy/img', reference: 'v1' })).rejects.toBeInstanceOf(
      ValidationError,
    );
  });

  it('delays, skips and counts matching requests', async () => {
    proxy.resetRequests();
    proxy.addRule({ method: 'GET', path: /\/manifests\//, delayMs: 600, skip: 1 });
    const url = `${proxy.url}/v2/proxy/img/manifests/v1`;
    const accept = { accept: 'application/vnd.oci.image.manifest.v1+json' };
    await (await fetch(url, { headers: accept })).arrayBuffer();
    // Skipped: the first matching request went through untouched.
    expect(proxy.requests.map((r) => r.fault)).toEqual([undefined]);
    const t = Date.now();
    await (await fetch(url, { headers: accept })).arrayBuffer();
    // A delay can only be seen in time: a lower bound (never an upper one) proves the proxy held the response.
    expect(Date.now() - t).toBeGreaterThanOrEqual(590);
    expect(proxy.count('GET', /\/manifests\//)).toBe(2);
    expect(proxy.requests.map((r) => r.fault)).toEqual([undefined, 'delay']);
  });
});
