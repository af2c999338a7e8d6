/**
 * `airlock serve` (read-only, pull) with real clients: skopeo copies a multi-arch image out
 * of it into a real Distribution registry with every digest kept, airlock's own client copies
 * out of it, a containerd-style mirror request (ns=) finds an image by its upstream name, and
 * a bundle is served in place. Errors come in the spec's JSON with its codes and statuses.
 */
import { type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { get as httpsGet } from 'node:https';
import { join } from 'node:path';
import { hashSync } from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containerdImages, startContainerd } from '../helpers/containerd.js';
import { makeCa, makeServerCert } from '../helpers/openssl.js';
import { freePort, startRegistry, type TestRegistry } from '../helpers/registry.js';
import { sideFor, skopeoCopy } from '../helpers/skopeo.js';
import { validateRegistryImage } from '../helpers/validate.js';
import { makeCliSandbox, PROJECT_ROOT, show, type CliResult, type CliSandbox } from './cli.js';

let sb: CliSandbox;
let B: TestRegistry;
const digests = new Map<string, string>();
const servers: { child?: ChildProcess; done: Promise<CliResult> }[] = [];

/** True once `url` answers 200 (over HTTPS trusting `ca` when given). */
function answers(url: string, ca?: Buffer): Promise<boolean> {
  if (!ca) return fetch(url).then((r) => r.status === 200, () => false);
  return new Promise((resolve) => {
    httpsGet(url, { ca }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    }).once('error', () => resolve(false));
  });
}

/** Starts `airlock serve ...args` on a free port; resolves once it answers. */
async function serve(args: string[], ca?: () => Promise<Buffer>): Promise<{ base: string; host: string; server: (typeof servers)[number] }> {
  const port = await freePort();
  const server: (typeof servers)[number] = { done: Promise.resolve({ code: 0, stdout: '', stderr: '' }) };
  server.done = sb.run(['serve', '--listen', `127.0.0.1:${port}`, ...args], { onSpawn: (c) => (server.child = c), timeoutMs: 120_000 });
  servers.push(server);
  const base = `${ca ? 'https' : 'http'}://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    const ok = await answers(`${base}/healthz`, ca ? await ca().catch(() => undefined) : undefined);
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`serve did not answer: ${show(await Promise.race([server.done, new Promise<CliResult>((r) => setTimeout(() => r({ code: -1, stdout: '', stderr: 'still running' }), 100))]))}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { base, host: `127.0.0.1:${port}`, server };
}

const ACCEPT = 'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json';

let base: string;
let host: string;

beforeAll(async () => {
  [sb, B] = await Promise.all([makeCliSandbox(), startRegistry()]);
  const r = await sb.run(['mirror', 'samples/images.txt', '--from', 'oci:samples/layout', '--to', 'store:'], { cwd: PROJECT_ROOT });
  expect(r.code, show(r)).toBe(0);
  const index = JSON.parse(await readFile(join(PROJECT_ROOT, 'samples/layout/index.json'), 'utf8')) as { manifests: { digest: string; annotations: Record<string, string> }[] };
  for (const m of index.manifests) digests.set(m.annotations['org.opencontainers.image.ref.name']!, m.digest);
  ({ base, host } = await serve([]));
});

afterAll(async () => {
  for (const s of servers) if (s.child && s.child.exitCode === null) s.child.kill('SIGKILL');
  await Promise.all([B?.stop(), sb?.remove()]);
});

describe('airlock serve', () => {
  it('is pulled by skopeo: a multi-arch image copied whole into a real registry, every digest kept', async () => {
    const name = 'registry.example.org/openstack/keystone-api:2024.1';
    await skopeoCopy(`docker://${host}/${name}`, `docker://${B.host}/copied/keystone-api:2024.1`, { all: true, src: { tlsVerify: false }, dest: sideFor(B) });
    await validateRegistryImage({ url: B.url, repository: 'copied/keystone-api', reference: '2024.1', expectDigest: digests.get(name)!, checkDiffIds: true });
  });

  it("is pulled by airlock's own client, digest for digest", async () => {
    const name = 'registry.example.org/openstack/nova-api:2024.1';
    const r = await sb.run(['copy', `docker://${host}/${name}`, `docker://${B.host}/by-airlock/nova-api:2024.1`]);
    expect(r.code, show(r)).toBe(0);
    await validateRegistryImage({ url: B.url, repository: 'by-airlock/nova-api', reference: '2024.1', expectDigest: digests.get(name)!, checkDiffIds: true });
  });

  it('answers manifests by tag and digest with their type and digest, HEAD without a body; a mirror request (ns=) by upstream name', async () => {
    const d = digests.get('registry.example.org/ceph/ceph:v18')!;
    const byTag = await fetch(`${base}/v2/registry.example.org/ceph/ceph/manifests/v18`, { headers: { accept: ACCEPT } });
    expect(byTag.status).toBe(200);
    expect(byTag.headers.get('docker-content-digest')).toBe(d);
    expect(byTag.headers.get('content-type')).toBe('application/vnd.oci.image.manifest.v1+json');
    const bytes = Buffer.from(await byTag.arrayBuffer());
    expect(`sha256:${createHash('sha256').update(bytes).digest('hex')}`).toBe(d);
    const byDigest = await fetch(`${base}/v2/registry.example.org/ceph/ceph/manifests/${d}`, { method: 'HEAD' });
    expect(byDigest.status).toBe(200);
    expect(byDigest.headers.get('content-length')).toBe(String(bytes.length));
    expect((await byDigest.arrayBuffer()).byteLength).toBe(0);
    // A name without its source registry (what a lock's destination on this registry names) finds the one image it can mean.
    const short = await fetch(`${base}/v2/ceph/ceph/manifests/v18`, { headers: { accept: ACCEPT } });
    expect(short.headers.get('docker-content-digest')).toBe(d);
    // containerd's mirror request: the path without the registry, the registry in ns=.
    const mirrored = await fetch(`${base}/v2/ceph/ceph/manifests/v18?ns=registry.example.org`, { headers: { accept: ACCEPT } });
    expect(mirrored.status).toBe(200);
    expect(mirrored.headers.get('docker-content-digest')).toBe(d);
  });

  it('serves blobs whole and by Range; lists tags and the catalog with n/last pagination', async () => {
    const manifest = (await (await fetch(`${base}/v2/registry.example.org/ceph/ceph/manifests/v18`, { headers: { accept: ACCEPT } })).json()) as { layers: { digest: string; size: number }[] };
    const layer = manifest.layers[0]!;
    const whole = Buffer.from(await (await fetch(`${base}/v2/registry.example.org/ceph/ceph/blobs/${layer.digest}`)).arrayBuffer());
    expect(whole.length).toBe(layer.size);
    const part = await fetch(`${base}/v2/registry.example.org/ceph/ceph/blobs/${layer.digest}`, { headers: { range: 'bytes=10-19' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 10-19/${layer.size}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(whole.subarray(10, 20))).toBe(true);
    expect((await fetch(`${base}/v2/registry.example.org/ceph/ceph/blobs/${layer.digest}`, { headers: { range: `bytes=${layer.size}-` } })).status).toBe(416);
    const tags = (await (await fetch(`${base}/v2/registry.example.org/ceph/ceph/tags/list`)).json()) as { name: string; tags: string[] };
    expect(tags).toEqual({ name: 'registry.example.org/ceph/ceph', tags: ['v18'] });
    const page1 = await fetch(`${base}/v2/_catalog?n=2`);
    expect(((await page1.json()) as { repositories: string[] }).repositories).toEqual(['registry.example.org/ceph/ceph', 'registry.example.org/openstack/glance-api']);
    const next = /<([^>]+)>; rel="next"/.exec(page1.headers.get('link') ?? '')?.[1];
    expect(next).toBeDefined();
    const page2 = (await (await fetch(`${base}${next}`)).json()) as { repositories: string[] };
    expect(page2.repositories).toEqual(['registry.example.org/openstack/keystone-api', 'registry.example.org/openstack/nova-api']);
  });

  it("answers what it cannot with the spec's error codes and statuses", async () => {
    const expectError = async (path: string, init: RequestInit, status: number, code: string) => {
      const r = await fetch(`${base}${path}`, init);
      expect(r.status, path).toBe(status);
      expect(((await r.json()) as { errors: { code: string }[] }).errors[0]!.code, path).toBe(code);
    };
    await expectError('/v2/registry.example.org/ceph/ceph/manifests/nope', {}, 404, 'MANIFEST_UNKNOWN');
    await expectError(`/v2/registry.example.org/ceph/ceph/blobs/sha256:${'0'.repeat(64)}`, {}, 404, 'BLOB_UNKNOWN');
    await expectError('/v2/registry.example.org/ceph/ceph/blobs/sha256:xyz', {}, 400, 'DIGEST_INVALID');
    await expectError('/v2/Registry/UPPER/tags/list', {}, 400, 'NAME_INVALID');
    // Sent as it is (fetch would fold the .. away first).
    for (const climb of ['/v2/a/../b/tags/list', '/v2/a/%2e%2e/b/manifests/x']) {
      const raw = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port: Number(host.split(':')[1]), path: climb }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end();
      });
      expect(raw.status, climb).toBe(400);
      expect((JSON.parse(raw.body) as { errors: { code: string }[] }).errors[0]!.code).toBe('NAME_INVALID');
    }
    await expectError(`/v2/${'a'.repeat(300)}/tags/list`, {}, 400, 'NAME_INVALID');
    await expectError('/v2/nothing/here/tags/list', {}, 404, 'NAME_UNKNOWN');
    // A layer's digest is not a manifest.
    const manifest = (await (await fetch(`${base}/v2/registry.example.org/ceph/ceph/manifests/v18`, { headers: { accept: ACCEPT } })).json()) as { layers: { digest: string }[] };
    await expectError(`/v2/registry.example.org/ceph/ceph/manifests/${manifest.layers[0]!.digest}`, {}, 404, 'MANIFEST_UNKNOWN');
    // A blob an image uses is not deleted.
    await expectError(`/v2/registry.example.org/ceph/ceph/blobs/${manifest.layers[0]!.digest}`, { method: 'DELETE' }, 405, 'UNSUPPORTED');
    expect(await (await fetch(`${base}/healthz`)).text()).toBe('ok\n');
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/airlock_serve_requests_total\{route="manifest",method="GET",status="200"\} [1-9]/);
    expect(metrics).toMatch(/airlock_serve_requests_total\{route="blob",method="GET",status="404"\} [1-9]/);
    expect(metrics).toMatch(/airlock_serve_response_bytes_total\{route="blob"\} [1-9]/);
  });

  it('takes pushes from skopeo (multi-arch, --all) and airlock, every digest kept and served back', async () => {
    await skopeoCopy(`docker://${B.host}/copied/keystone-api:2024.1`, `docker://${host}/pushed/keystone-api:1`, { all: true, src: sideFor(B), dest: { tlsVerify: false } });
    await validateRegistryImage({ url: base, repository: 'pushed/keystone-api', reference: '1', expectDigest: digests.get('registry.example.org/openstack/keystone-api:2024.1')!, checkDiffIds: true });
    const r = await sb.run(['copy', `docker://${B.host}/by-airlock/nova-api:2024.1`, `docker://${host}/pushed/nova-api:1`]);
    expect(r.code, show(r)).toBe(0);
    await validateRegistryImage({ url: base, repository: 'pushed/nova-api', reference: '1', expectDigest: digests.get('registry.example.org/openstack/nova-api:2024.1')!, checkDiffIds: true });
  });

  it('takes airlock mirror into it, and airlock mirror out of it into a real registry, every digest kept', async () => {
    const into = await sb.run(['mirror', 'samples/images.txt', '--from', 'oci:samples/layout', '--to', `${host}/mirrored`], { cwd: PROJECT_ROOT });
    expect(into.code, show(into)).toBe(0);
    const out = await sb.run(['mirror', 'samples/images.txt', '--from', `${host}/mirrored`, '--to', `${B.host}/mirrored-out`], { cwd: PROJECT_ROOT });
    expect(out.code, show(out)).toBe(0);
    for (const [ref, digest] of digests) {
      const { repository, tag } = /^[^/]+\/(?<repository>.+):(?<tag>[^:]+)$/.exec(ref)!.groups!;
      await validateRegistryImage({ url: B.url, repository: `mirrored-out/${repository}`, reference: tag!, expectDigest: digest });
    }
  });

  it('untags by DELETE, by tag or by digest; an unknown one is MANIFEST_UNKNOWN', async () => {
    expect((await fetch(`${base}/v2/pushed/nova-api/manifests/1`, { method: 'DELETE' })).status).toBe(202);
    expect((await fetch(`${base}/v2/pushed/nova-api/manifests/1`)).status).toBe(404);
    const d = digests.get('registry.example.org/openstack/keystone-api:2024.1')!;
    expect((await fetch(`${base}/v2/pushed/keystone-api/manifests/${d}`, { method: 'DELETE' })).status).toBe(202);
    expect((await fetch(`${base}/v2/pushed/keystone-api/manifests/1`)).status).toBe(404);
    const again = await fetch(`${base}/v2/pushed/keystone-api/manifests/1`, { method: 'DELETE' });
    expect(again.status).toBe(404);
    expect(((await again.json()) as { errors: { code: string }[] }).errors[0]!.code).toBe('MANIFEST_UNKNOWN');
    // The store's own images are untouched.
    expect((await fetch(`${base}/v2/registry.example.org/openstack/keystone-api/manifests/2024.1`, { method: 'HEAD' })).status).toBe(200);
  });

  it('deletes an image\'s manifest by digest and then its blobs, which 404 afterwards', async () => {
    const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
    const put = async (b: Buffer) => {
      const r = await fetch(`${base}/v2/deletable/x/blobs/uploads/?digest=${sha(b)}`, { method: 'POST', body: b, headers: { 'content-type': 'application/octet-stream' } });
      expect(r.status).toBe(201);
    };
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, nonce: Math.random() }));
    const layer = Buffer.from(`layer ${Math.random()}`);
    await Promise.all([put(config), put(layer)]);
    const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length }, layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha(layer), size: layer.length }] }));
    expect((await fetch(`${base}/v2/deletable/x/manifests/1`, { method: 'PUT', body: manifest, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' } })).status).toBe(201);
    const blobUrl = `${base}/v2/deletable/x/blobs/${sha(layer)}`;
    expect((await fetch(blobUrl, { method: 'DELETE' })).status).toBe(405);
    expect((await fetch(`${base}/v2/deletable/x/manifests/${sha(manifest)}`, { method: 'DELETE' })).status).toBe(202);
    expect((await fetch(`${base}/v2/deletable/x/manifests/${sha(manifest)}`)).status).toBe(404);
    expect((await fetch(`${base}/v2/deletable/x/manifests/1`)).status).toBe(404);
    expect((await fetch(blobUrl, { method: 'DELETE' })).status).toBe(202);
    const gone = await fetch(blobUrl);
    expect(gone.status).toBe(404);
    expect(((await gone.json()) as { errors: { code: string }[] }).errors[0]!.code).toBe('BLOB_UNKNOWN');
    expect((await fetch(blobUrl, { method: 'DELETE' })).status).toBe(404);
  });

  it('takes chunked uploads in order, refuses chunks out of order and bytes that are not their digest, and mounts what it holds', async () => {
    const data = Buffer.from(Array.from({ length: 300 }, (_, i) => i % 251));
    const digest = `sha256:${createHash('sha256').update(data).digest('hex')}`;
    const start = async () => {
      const r = await fetch(`${base}/v2/chunks/blob/blobs/uploads/`, { method: 'POST' });
      expect(r.status).toBe(202);
      return r.headers.get('location')!;
    };
    let loc = await start();
    let r = await fetch(`${base}${loc}`, { method: 'PATCH', body: data.subarray(0, 100), headers: { 'content-range': '0-99', 'content-type': 'application/octet-stream' } });
    expect(r.status).toBe(202);
    expect(r.headers.get('range')).toBe('0-99');
    r = await fetch(`${base}${loc}`, { method: 'PATCH', body: data.subarray(150, 200), headers: { 'content-range': '150-199' } });
    expect(r.status).toBe(416);
    r = await fetch(`${base}${loc}`);
    expect(r.status).toBe(204);
    expect(r.headers.get('range')).toBe('0-99');
    // The rest with a digest it is not: refused, nothing stored under either digest.
    const wrong = `sha256:${'1'.repeat(64)}`;
    r = await fetch(`${base}${loc}?digest=${wrong}`, { method: 'PUT', body: data.subarray(100), headers: { 'content-range': '100-299' } });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { errors: { code: string }[] }).errors[0]!.code).toBe('DIGEST_INVALID');
    expect((await fetch(`${base}/v2/chunks/blob/blobs/${wrong}`, { method: 'HEAD' })).status).toBe(404);
    expect((await fetch(`${base}/v2/chunks/blob/blobs/${digest}`, { method: 'HEAD' })).status).toBe(404);
    expect((await fetch(`${base}${loc}`)).status).toBe(404);
    // Again, right.
    loc = await start();
    await fetch(`${base}${loc}`, { method: 'PATCH', body: data.subarray(0, 100), headers: { 'content-range': '0-99' } });
    r = await fetch(`${base}${loc}?digest=${digest}`, { method: 'PUT', body: data.subarray(100) });
    expect(r.status).toBe(201);
    expect(r.headers.get('docker-content-digest')).toBe(digest);
    expect(Buffer.from(await (await fetch(`${base}/v2/chunks/blob/blobs/${digest}`)).arrayBuffer()).equals(data)).toBe(true);
    // A single POST with the digest; a mount of a blob the store holds, with and without from.
    const small = Buffer.from('one request');
    const smallDigest = `sha256:${createHash('sha256').update(small).digest('hex')}`;
    expect((await fetch(`${base}/v2/chunks/single/blobs/uploads/?digest=${smallDigest}`, { method: 'POST', body: small })).status).toBe(201);
    expect((await fetch(`${base}/v2/chunks/other/blobs/uploads/?mount=${digest}&from=chunks/blob`, { method: 'POST' })).status).toBe(201);
    expect((await fetch(`${base}/v2/chunks/other/blobs/uploads/?mount=${digest}`, { method: 'POST' })).status).toBe(201);
    expect((await fetch(`${base}/v2/chunks/other/blobs/uploads/?mount=${wrong}&from=chunks/blob`, { method: 'POST' })).status).toBe(202);
    const cancel = await start();
    expect((await fetch(`${base}${cancel}`, { method: 'DELETE' })).status).toBe(204);
    expect((await fetch(`${base}${cancel}`)).status).toBe(404);
  });

  it('answers the referrers API: a signature pushed with a subject is listed, filtered by artifactType', async () => {
    const upload = async (bytes: Buffer) => {
      const d = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
      expect((await fetch(`${base}/v2/registry.example.org/ceph/ceph/blobs/uploads/?digest=${d}`, { method: 'POST', body: bytes })).status).toBe(201);
      return { digest: d, size: bytes.length };
    };
    const empty = await upload(Buffer.from('{}'));
    const sig = await upload(Buffer.from('a signature'));
    const subject = digests.get('registry.example.org/ceph/ceph:v18')!;
    const subjectSize = Number((await fetch(`${base}/v2/registry.example.org/ceph/ceph/manifests/${subject}`, { method: 'HEAD' })).headers.get('content-length'));
    const artifact = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        artifactType: 'application/vnd.example.signature',
        config: { mediaType: 'application/vnd.oci.empty.v1+json', ...empty },
        layers: [{ mediaType: 'application/vnd.example.sig', ...sig }],
        subject: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: subject, size: subjectSize },
        annotations: { 'org.example.kind': 'signature' },
      }),
    );
    const artifactDigest = `sha256:${createHash('sha256').update(artifact).digest('hex')}`;
    const put = await fetch(`${base}/v2/registry.example.org/ceph/ceph/manifests/${artifactDigest}`, { method: 'PUT', body: artifact, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' } });
    expect(put.status).toBe(201);
    expect(put.headers.get('oci-subject')).toBe(subject);
    const all = await fetch(`${base}/v2/registry.example.org/ceph/ceph/referrers/${subject}`);
    expect(all.status).toBe(200);
    expect(all.headers.get('content-type')).toBe('application/vnd.oci.image.index.v1+json');
    expect(((await all.json()) as { manifests: unknown[] }).manifests).toEqual([
      { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: artifactDigest, size: artifact.length, artifactType: 'application/vnd.example.signature', annotations: { 'org.example.kind': 'signature' } },
    ]);
    const filtered = await fetch(`${base}/v2/registry.example.org/ceph/ceph/referrers/${subject}?artifactType=application/vnd.example.sbom`);
    expect(filtered.headers.get('oci-filters-applied')).toBe('artifactType');
    expect(((await filtered.json()) as { manifests: unknown[] }).manifests).toEqual([]);
    const none = await fetch(`${base}/v2/registry.example.org/ceph/ceph/referrers/sha256:${'4'.repeat(64)}`);
    expect([none.status, ((await none.json()) as { manifests: unknown[] }).manifests]).toEqual([200, []]);
  });

  it('refuses manifests that are malformed, too large, not their digest, or name blobs it does not hold', async () => {
    const put = (ref: string, body: string | Buffer, type = 'application/vnd.oci.image.manifest.v1+json') =>
      fetch(`${base}/v2/bad/manifests/${ref}`, { method: 'PUT', body, headers: { 'content-type': type } });
    const code = async (r: Response) => ((await r.json()) as { errors: { code: string }[] }).errors[0]!.code;
    let r = await put('x', '{not json');
    expect([r.status, await code(r)]).toEqual([400, 'MANIFEST_INVALID']);
    const missing = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${'2'.repeat(64)}`, size: 10 },
      layers: [],
    });
    r = await put('x', missing);
    expect([r.status, await code(r)]).toEqual([400, 'MANIFEST_BLOB_UNKNOWN']);
    r = await put(`sha256:${'3'.repeat(64)}`, missing);
    expect([r.status, await code(r)]).toEqual([400, 'DIGEST_INVALID']);
    r = await put('x', Buffer.alloc(4 * 1024 * 1024 + 1, 0x20));
    expect([r.status, await code(r)]).toEqual([413, 'SIZE_INVALID']);
    expect((await fetch(`${base}/v2/bad/manifests/x`)).status).toBe(404);
  });

  it("is pulled by containerd's ctr: over plain HTTP by its own name, and as the mirror of the upstream registry (hosts.toml, ns=)", async () => {
    const C = await startContainerd();
    try {
      const name = 'registry.example.org/openstack/keystone-api:2024.1';
      await C.ctr(['images', 'pull', '--plain-http', '--all-platforms', `${host}/${name}`], { namespace: 'direct' });
      expect((await containerdImages(C, 'direct')).get(`${host}/${name}`)).toBe(digests.get(name));
      // A node whose containerd mirrors registry.example.org to airlock serve pulls by the upstream name.
      const hostsDir = join(sb.dir, 'certs.d');
      await mkdir(join(hostsDir, 'registry.example.org'), { recursive: true });
      await writeFile(join(hostsDir, 'registry.example.org', 'hosts.toml'), `server = "https://registry.example.org"\n\n[host."http://${host}"]\n  capabilities = ["pull", "resolve"]\n`);
      const ceph = 'registry.example.org/ceph/ceph:v18';
      await C.ctr(['images', 'pull', '--hosts-dir', hostsDir, ceph], { namespace: 'mirrored' });
      expect((await containerdImages(C, 'mirrored')).get(ceph)).toBe(digests.get(ceph));
    } finally {
      await C.stop();
    }
  });

  it('forgets uploads abandoned for an hour; airlock gc removes blobs nothing reaches while it serves', async () => {
    const first = (await fetch(`${base}/v2/gc/x/blobs/uploads/`, { method: 'POST' })).headers.get('location')!;
    const id = first.split('/').pop()!;
    const old = new Date(Date.now() - 2 * 3600_000);
    await utimes(join(sb.store, '.airlock', 'uploads', id), old, old);
    expect((await fetch(`${base}/v2/gc/x/blobs/uploads/`, { method: 'POST' })).status).toBe(202);
    expect((await fetch(`${base}${first}`)).status).toBe(404);
    // An unreferenced blob goes; every served image stays whole.
    const loose = Buffer.from('nothing names me');
    const looseDigest = `sha256:${createHash('sha256').update(loose).digest('hex')}`;
    expect((await fetch(`${base}/v2/gc/x/blobs/uploads/?digest=${looseDigest}`, { method: 'POST', body: loose })).status).toBe(201);
    const r = await sb.run(['gc', '--grace', '0', '--json']);
    expect(r.code, show(r)).toBe(0);
    expect((JSON.parse(r.stdout) as { blobs: { digest: string }[] }).blobs.map((b) => b.digest)).toContain(looseDigest);
    expect((await fetch(`${base}/v2/gc/x/blobs/${looseDigest}`, { method: 'HEAD' })).status).toBe(404);
    for (const [name, digest] of digests) {
      const [repo, tag] = [name.slice(0, name.lastIndexOf(':')), name.slice(name.lastIndexOf(':') + 1)];
      await validateRegistryImage({ url: base, repository: repo, reference: tag, expectDigest: digest });
    }
  });

  it('serves a bundle in place; stops within a second of SIGTERM', async () => {
    const bundle = join(sb.dir, 'samples.tar');
    const b = await sb.run(['bundle', 'create', 'samples/images.txt', '--from', 'store:', '-o', bundle], { cwd: PROJECT_ROOT });
    expect(b.code, show(b)).toBe(0);
    const s = await serve(['--bundle', bundle]);
    // A bundle is served read-only.
    const put = await fetch(`http://${s.host}/v2/registry.example.org/ceph/ceph/blobs/uploads/`, { method: 'POST' });
    expect(put.status).toBe(405);
    expect(((await put.json()) as { errors: { code: string }[] }).errors[0]!.code).toBe('UNSUPPORTED');
    const name = 'registry.example.org/openstack/glance-api:2024.1';
    await skopeoCopy(`docker://${s.host}/${name}`, `docker://${B.host}/from-bundle/glance-api:2024.1`, { src: { tlsVerify: false }, dest: sideFor(B) });
    await validateRegistryImage({ url: B.url, repository: 'from-bundle/glance-api', reference: '2024.1', expectDigest: digests.get(name)!, checkDiffIds: true });
    const started = Date.now();
    s.server.child!.kill('SIGTERM');
    const r = await s.server.done;
    expect(Date.now() - started).toBeLessThan(1500);
    expect(r.stderr).toContain('serving bundle');
    await rm(bundle, { force: true });
  });
});

describe('airlock serve: shutdown and replicas', () => {
  it('on SIGTERM finishes the request in flight, takes no new connection, and exits within a second', async () => {
    const s = await serve([]);
    const data = Buffer.alloc(1 << 20, 7);
    const loc = (await fetch(`${s.base}/v2/drain/x/blobs/uploads/`, { method: 'POST' })).headers.get('location')!;
    let killedAt = 0;
    let refused: unknown;
    const answer = new Promise<{ status: number; range: unknown }>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: Number(s.host.split(':')[1]), path: loc, method: 'PATCH', headers: { 'content-type': 'application/octet-stream', 'content-length': data.length } }, (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0, range: res.headers.range });
      });
      req.on('error', reject);
      req.write(data.subarray(0, 1000));
      setTimeout(() => {
        killedAt = Date.now();
        s.server.child!.kill('SIGTERM');
        setTimeout(() => {
          // A new connection after the signal is refused, while the upload goes on.
          fetch(`${s.base}/healthz`).then(
            (r) => (refused = r.status),
            (err: unknown) => (refused = err),
          );
          setTimeout(() => req.end(data.subarray(1000)), 200);
        }, 100);
      }, 100);
    });
    expect(await answer).toEqual({ status: 202, range: `0-${data.length - 1}` });
    const r = await s.server.done;
    expect(Date.now() - killedAt).toBeLessThan(1200);
    expect(r.stderr, show(r)).toMatch(/stopped\n$/);
    expect(refused).toBeInstanceOf(Error);
  });

  it('replicas over one store stay consistent: the same tag pushed through two at once, served by a third at once; a delete through one is seen by all', async () => {
    const dir = join(sb.dir, 'shared-store');
    const [w1, w2, reader] = await Promise.all([serve(['--store', dir]), serve(['--store', dir]), serve(['--store', dir, '--read-only'])]);
    const name = 'registry.example.org/openstack/keystone-api:2024.1';
    const want = digests.get(name)!;
    await Promise.all([w1, w2].map((w) => skopeoCopy(`docker://${host}/${name}`, `docker://${w.host}/shared/keystone-api:1`, { all: true, src: { tlsVerify: false }, dest: { tlsVerify: false } })));
    await validateRegistryImage({ url: reader.base, repository: 'shared/keystone-api', reference: '1', expectDigest: want, checkDiffIds: true });
    await skopeoCopy(`docker://${host}/registry.example.org/ceph/ceph:v18`, `docker://${w2.host}/shared/ceph:v18`, { all: true, src: { tlsVerify: false }, dest: { tlsVerify: false } });
    for (const s of [w1, reader]) {
      const got = await fetch(`${s.base}/v2/shared/ceph/manifests/v18`, { method: 'HEAD', headers: { accept: ACCEPT } });
      expect(got.headers.get('docker-content-digest')).toBe(digests.get('registry.example.org/ceph/ceph:v18'));
    }
    expect((await fetch(`${w1.base}/v2/shared/ceph/manifests/v18`, { method: 'DELETE' })).status).toBe(202);
    for (const s of [w2, reader]) expect((await fetch(`${s.base}/v2/shared/ceph/manifests/v18`, { method: 'HEAD' })).status).toBe(404);
    const tags = (await (await fetch(`${reader.base}/v2/shared/keystone-api/tags/list`)).json()) as { tags: string[] };
    expect(tags.tags).toEqual(['1']);
    const v = await sb.run(['store', 'verify', '--store', dir]);
    expect(v.code, show(v)).toBe(0);
  });
});

describe('airlock serve --registry-name', () => {
  it('answers the names the lock\'s destinations give (HOST/PREFIX/path): skopeo by path, ctr as the mirror of that host (ns=)', async () => {
    const s = await serve(['--registry-name', 'registry.local:5000/mirror', '--read-only']);
    const want = digests.get('registry.example.org/ceph/ceph:v18')!;
    await skopeoCopy(`docker://${s.host}/mirror/ceph/ceph:v18`, `docker://${B.host}/by-destination/ceph:v18`, { all: true, src: { tlsVerify: false }, dest: sideFor(B) });
    await validateRegistryImage({ url: B.url, repository: 'by-destination/ceph', reference: 'v18', expectDigest: want });
    // Not under the prefix: unknown.
    expect((await fetch(`${s.base}/v2/ceph/ceph/manifests/v18`, { method: 'HEAD' })).status).toBe(404);
    const C = await startContainerd();
    try {
      const hostsDir = join(sb.dir, 'certs.d-registry-name');
      await mkdir(join(hostsDir, 'registry.local:5000'), { recursive: true });
      await writeFile(join(hostsDir, 'registry.local:5000', 'hosts.toml'), `server = "http://registry.local:5000"\n\n[host."http://${s.host}"]\n  capabilities = ["pull", "resolve"]\n`);
      await C.ctr(['images', 'pull', '--hosts-dir', hostsDir, 'registry.local:5000/mirror/ceph/ceph:v18'], { namespace: 'by-destination' });
      expect((await containerdImages(C, 'by-destination')).get('registry.local:5000/mirror/ceph/ceph:v18')).toBe(want);
    } finally {
      await C.stop();
    }
  });
});

describe('airlock serve --htpasswd', () => {
  let auth: { base: string; host: string };
  let anon: { base: string; host: string };
  const basic = (u: string, p: string) => ({ authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });

  beforeAll(async () => {
    const file = join(sb.dir, 'htpasswd');
    await writeFile(file, `reader:${hashSync('rpass', 4)}\nwriter:${hashSync('wpass', 4)}\n`);
    auth = await serve(['--htpasswd', file, '--push-user', 'writer']);
    anon = await serve(['--htpasswd', file, '--push-user', 'writer', '--anonymous-pull']);
  });

  it('asks for credentials (401, Basic), takes a reader for pulls, refuses a reader push (403), takes a writer push', async () => {
    const none = await fetch(`${auth.base}/v2/`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Basic realm="airlock"');
    expect(((await none.json()) as { errors: { code: string }[] }).errors[0]!.code).toBe('UNAUTHORIZED');
    expect((await fetch(`${auth.base}/v2/`, { headers: basic('reader', 'wrong') })).status).toBe(401);
    expect((await fetch(`${auth.base}/healthz`)).status).toBe(200);
    const name = 'registry.example.org/openstack/nova-api:2024.1';
    await skopeoCopy(`docker://${auth.host}/${name}`, `docker://${B.host}/auth-pulled/nova-api:1`, { src: { tlsVerify: false, creds: { username: 'reader', password: 'rpass' } }, dest: sideFor(B) });
    await validateRegistryImage({ url: B.url, repository: 'auth-pulled/nova-api', reference: '1', expectDigest: digests.get(name)! });
    const denied = await fetch(`${auth.base}/v2/auth/x/blobs/uploads/`, { method: 'POST', headers: basic('reader', 'rpass') });
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as { errors: { code: string }[] }).errors[0]!.code).toBe('DENIED');
    await skopeoCopy(`docker://${B.host}/auth-pulled/nova-api:1`, `docker://${auth.host}/auth/nova-api:1`, { src: sideFor(B), dest: { tlsVerify: false, creds: { username: 'writer', password: 'wpass' } } });
    const got = await fetch(`${auth.base}/v2/auth/nova-api/manifests/1`, { method: 'HEAD', headers: basic('reader', 'rpass') });
    expect(got.headers.get('docker-content-digest')).toBe(digests.get(name));
  });

  it('with --anonymous-pull, pulls need no credentials and pushes still do', async () => {
    expect((await fetch(`${anon.base}/v2/registry.example.org/ceph/ceph/tags/list`)).status).toBe(200);
    expect((await fetch(`${anon.base}/v2/anon/x/blobs/uploads/`, { method: 'POST' })).status).toBe(401);
    expect((await fetch(`${anon.base}/v2/anon/x/blobs/uploads/`, { method: 'POST', headers: basic('writer', 'wpass') })).status).toBe(202);
  });
});

describe('airlock serve --token-auth (Docker token flow)', () => {
  let t: { base: string; host: string };
  const basic = (u: string, p: string) => ({ authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });
  const tokenFor = async (scope: string, headers: Record<string, string> = {}) => {
    const r = await fetch(`${t.base}/token?service=airlock&scope=${encodeURIComponent(scope)}`, { headers });
    expect(r.status).toBe(200);
    const body = (await r.json()) as { token: string; access_token: string; expires_in: number };
    expect(body.access_token).toBe(body.token);
    expect(body.expires_in).toBe(300);
    return body.token;
  };
  const claims = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as { access: { type: string; name: string; actions: string[] }[]; sub: string };
  const codeOf = async (r: Response) => ((await r.json()) as { errors: { code: string }[] }).errors[0]!.code;

  beforeAll(async () => {
    const file = join(sb.dir, 'htpasswd-token');
    await writeFile(file, `reader:${hashSync('rpass', 4)}\nwriter:${hashSync('wpass', 4)}\n`);
    t = await serve(['--htpasswd', file, '--push-user', 'writer', '--token-auth']);
  });

  it('challenges with Bearer naming its /token realm, the service and the scope the request needs', async () => {
    const r = await fetch(`${t.base}/v2/registry.example.org/ceph/ceph/manifests/v18`);
    expect(r.status).toBe(401);
    expect(await codeOf(r)).toBe('UNAUTHORIZED');
    expect(r.headers.get('www-authenticate')).toBe(`Bearer realm="${t.base}/token",service="airlock",scope="repository:registry.example.org/ceph/ceph:pull"`);
    const w = await fetch(`${t.base}/v2/pushed/x/blobs/uploads/`, { method: 'POST' });
    expect(w.headers.get('www-authenticate')).toContain('scope="repository:pushed/x:pull,push"');
    // The page asks with Basic, so a browser prompts.
    expect((await fetch(`${t.base}/`)).headers.get('www-authenticate')).toBe('Basic realm="airlock"');
  });

  it('issues tokens granting only what the user may do; wrong credentials get no token', async () => {
    const reader = claims(await tokenFor('repository:a/b:pull,push', basic('reader', 'rpass')));
    expect(reader.sub).toBe('reader');
    expect(reader.access).toEqual([{ type: 'repository', name: 'a/b', actions: ['pull'] }]);
    const writer = claims(await tokenFor('repository:a/b:pull,push', basic('writer', 'wpass')));
    expect(writer.access).toEqual([{ type: 'repository', name: 'a/b', actions: ['pull', 'push'] }]);
    expect(claims(await tokenFor('repository:a/b:pull')).access).toEqual([{ type: 'repository', name: 'a/b', actions: [] }]);
    expect((await fetch(`${t.base}/token?service=airlock&scope=repository:a/b:pull`, { headers: basic('reader', 'nope') })).status).toBe(401);
    // OAuth2's password grant, as containerd sends it.
    const form = new URLSearchParams({ grant_type: 'password', username: 'writer', password: 'wpass', service: 'airlock', scope: 'repository:a/b:push' });
    const posted = await fetch(`${t.base}/token`, { method: 'POST', body: form });
    expect(claims(((await posted.json()) as { access_token: string }).access_token).access).toEqual([{ type: 'repository', name: 'a/b', actions: ['push'] }]);
  });

  it('a token opens its repository and action only: another repository, a missing action, a forged or garbled token are 401', async () => {
    const name = 'registry.example.org/ceph/ceph';
    const token = await tokenFor(`repository:${name}:pull`, basic('reader', 'rpass'));
    const ok = await fetch(`${t.base}/v2/${name}/manifests/v18`, { method: 'HEAD', headers: { authorization: `Bearer ${token}`, accept: ACCEPT } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('docker-content-digest')).toBe(digests.get(`${name}:v18`));
    const other = await fetch(`${t.base}/v2/registry.example.org/openstack/nova-api/manifests/2024.1`, { headers: { authorization: `Bearer ${token}` } });
    expect(other.status).toBe(401);
    expect(await codeOf(other)).toBe('UNAUTHORIZED');
    expect(other.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    const push = await fetch(`${t.base}/v2/${name}/blobs/uploads/`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(push.status).toBe(401);
    const [h, , sig] = token.split('.');
    const forgedBody = Buffer.from(JSON.stringify({ ...claims(token), access: [{ type: 'repository', name: 'registry.example.org/openstack/nova-api', actions: ['pull'] }] })).toString('base64url');
    for (const bad of [`${h}.${forgedBody}.${sig}`, 'not-a-token']) {
      const r = await fetch(`${t.base}/v2/${name}/manifests/v18`, { headers: { authorization: `Bearer ${bad}` } });
      expect(r.status).toBe(401);
      expect(r.headers.get('www-authenticate')).toContain('error="invalid_token"');
    }
  });

  it('skopeo and airlock go through the flow: a reader pulls, a writer pushes, a reader push fails', async () => {
    const name = 'registry.example.org/openstack/nova-api:2024.1';
    await skopeoCopy(`docker://${t.host}/${name}`, `docker://${B.host}/token-pulled/nova-api:1`, { src: { tlsVerify: false, creds: { username: 'reader', password: 'rpass' } }, dest: sideFor(B) });
    await validateRegistryImage({ url: B.url, repository: 'token-pulled/nova-api', reference: '1', expectDigest: digests.get(name)! });
    await skopeoCopy(`docker://${B.host}/token-pulled/nova-api:1`, `docker://${t.host}/token/nova-api:1`, { src: sideFor(B), dest: { tlsVerify: false, creds: { username: 'writer', password: 'wpass' } } });
    await expect(
      skopeoCopy(`docker://${B.host}/token-pulled/nova-api:1`, `docker://${t.host}/token/refused:1`, { src: sideFor(B), dest: { tlsVerify: false, creds: { username: 'reader', password: 'rpass' } } }),
    ).rejects.toThrow(/401|unauthorized|authentication required/i);
    const r = await sb.run(['copy', `${t.host}/token/nova-api:1`, `${t.host}/token/by-airlock:1`, '--creds', `${t.host}=writer:wpass`]);
    expect(r.code, show(r)).toBe(0);
    const token = await tokenFor('repository:token/by-airlock:pull', basic('reader', 'rpass'));
    const got = await fetch(`${t.base}/v2/token/by-airlock/manifests/1`, { method: 'HEAD', headers: { authorization: `Bearer ${token}`, accept: ACCEPT } });
    expect(got.headers.get('docker-content-digest')).toBe(digests.get(name));
  });
});

describe('airlock serve over TLS', () => {
  it('--tls-self-signed makes a CA nodes trust: skopeo and ctr pull over HTTPS with it', async () => {
    const dir = join(sb.dir, 'tls');
    const caFile = join(dir, 'ca.pem');
    const s = await serve(['--tls-self-signed', dir], () => readFile(caFile));
    expect(s.base.startsWith('https://')).toBe(true);
    const name = 'registry.example.org/openstack/glance-api:2024.1';
    await skopeoCopy(`docker://${s.host}/${name}`, `docker://${B.host}/over-tls/glance-api:1`, { src: { caFile }, dest: sideFor(B) });
    await validateRegistryImage({ url: B.url, repository: 'over-tls/glance-api', reference: '1', expectDigest: digests.get(name)! });
    // Without the CA, a client refuses it.
    await expect(skopeoCopy(`docker://${s.host}/${name}`, `docker://${B.host}/over-tls/x:1`, { dest: sideFor(B) })).rejects.toThrow(/certificate/);
    const C = await startContainerd();
    try {
      const hostsDir = join(sb.dir, 'certs.d-tls');
      await mkdir(join(hostsDir, s.host), { recursive: true });
      await writeFile(join(hostsDir, s.host, 'hosts.toml'), `server = "https://${s.host}"\n\n[host."https://${s.host}"]\n  capabilities = ["pull", "resolve"]\n  ca = "${caFile}"\n`);
      await C.ctr(['images', 'pull', '--hosts-dir', hostsDir, `${s.host}/registry.example.org/ceph/ceph:v18`], { namespace: 'tls' });
      expect((await containerdImages(C, 'tls')).get(`${s.host}/registry.example.org/ceph/ceph:v18`)).toBe(digests.get('registry.example.org/ceph/ceph:v18'));
    } finally {
      await C.stop();
    }
    s.server.child!.kill('SIGTERM');
    expect((await s.server.done).stderr).toContain(`clients trust the CA ${caFile}`);
  });

  it('--tls-cert/--tls-key serve a given pair; airlock pulls with --registry-ca', async () => {
    const dir = join(sb.dir, 'given');
    await mkdir(dir, { recursive: true });
    const ca = await makeCa(dir);
    const cert = await makeServerCert(dir, ca);
    const s = await serve(['--tls-cert', cert.certFile, '--tls-key', cert.keyFile], () => readFile(ca.certFile));
    const name = 'registry.example.org/openstack/nova-api:2024.1';
    const r = await sb.run(['copy', `docker://${s.host}/${name}`, `docker://${B.host}/given-tls/nova-api:1`, '--registry-ca', `${s.host}=${ca.certFile}`]);
    expect(r.code, show(r)).toBe(0);
    await validateRegistryImage({ url: B.url, repository: 'given-tls/nova-api', reference: '1', expectDigest: digests.get(name)! });
    const bad = await sb.run(['serve', '--tls-cert', cert.certFile, '--listen', '127.0.0.1:0']);
    expect(bad.code).toBe(2);
  });
});
