/**
 * Referrers travel with their images and are checked on the far side. A real Distribution
 * registry (no referrers API) holds signed images in both forms cosign writes: the classic
 * `.sig`/`.att` tags, and sigstore bundles and an SBOM as OCI 1.1 referrers listed in the tag
 * schema's index. resolve lists them in the lock; mirror carries them into `airlock serve`
 * (referrers API) and out again into Distribution (tag schema index written by airlock, read
 * back with skopeo); verify passes wherever they landed; --referrers signatures filters.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { fetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { freePort, startRegistry, type TestRegistry } from '../helpers/registry.js';
import { BUNDLE_TYPE, imageSignatureBundle, pushBundleSignature, pushCosignAttestation, pushCosignSignature, pushReferrer, type Desc } from '../helpers/signatures.js';
import { skopeoManifestBytes } from '../helpers/skopeo.js';
import { makeCliSandbox, PROJECT_ROOT, show, type CliSandbox } from './cli.js';

let sb: CliSandbox;
let R: TestRegistry;
let work: string;
let lockFile: string;
let serveBase: string;
let serveHost: string;
let server: ChildProcess | undefined;
let served: Promise<unknown>;
const ACCEPT = 'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json';
const REPOS: Record<string, string> = { keystone: 'openstack/keystone-api:2024.1', glance: 'openstack/glance-api:2024.1', nova: 'openstack/nova-api:2024.1', ceph: 'ceph/ceph:v18' };
const subjects: Record<string, Desc> = {};
const refs: Record<string, Desc> = {};
const keys = { ec: generateKeyPairSync('ec', { namedCurve: 'P-256' }), rsa: generateKeyPairSync('rsa', { modulusLength: 2048 }) };
const repo = (k: string) => `signed/${REPOS[k]!.split(':')[0]}`;
const hex = (k: string) => subjects[k]!.digest.slice(7);

async function head(url: string): Promise<number> {
  return (await fetch(url, { method: 'HEAD', headers: { accept: ACCEPT } })).status;
}

async function index(url: string): Promise<{ manifests: Desc[] }> {
  const r = await fetch(url, { headers: { accept: ACCEPT } });
  expect(r.status, url).toBe(200);
  return (await r.json()) as { manifests: Desc[] };
}

beforeAll(async () => {
  [sb, R] = await Promise.all([makeCliSandbox(), startRegistry()]);
  work = await mkdtemp(join(tmpdir(), 'airlock-referrers-'));
  const m = await sb.run(['mirror', 'samples/images.txt', '--from', 'oci:samples/layout', '--to', `${R.host}/signed`], { cwd: PROJECT_ROOT });
  expect(m.code, show(m)).toBe(0);
  for (const k of Object.keys(REPOS)) {
    const r = await fetch(`${R.url}/v2/${repo(k)}/manifests/${REPOS[k]!.split(':')[1]}`, { method: 'HEAD', headers: { accept: ACCEPT } });
    subjects[k] = { mediaType: r.headers.get('content-type')!, digest: r.headers.get('docker-content-digest')!, size: Number(r.headers.get('content-length')) };
  }
  refs.sig = await pushCosignSignature(R.url, R.host, repo('keystone'), subjects.keystone!.digest, keys.ec.privateKey);
  refs.att = await pushCosignAttestation(R.url, repo('keystone'), subjects.keystone!.digest, keys.ec.privateKey);
  refs.bundle = await pushBundleSignature(R.url, repo('ceph'), subjects.ceph!, imageSignatureBundle(subjects.ceph!.digest, keys.ec.privateKey));
  refs.sbom = await pushReferrer(R.url, repo('ceph'), subjects.ceph!, 'application/spdx+json', Buffer.from(JSON.stringify({ spdxVersion: 'SPDX-2.3', name: 'ceph' })));
  // glance: a bundle made with the RSA key, so the EC key finds it invalid.
  refs.glance = await pushBundleSignature(R.url, repo('glance'), subjects.glance!, imageSignatureBundle(subjects.glance!.digest, keys.rsa.privateKey));
  await writeFile(join(work, 'ec.pub'), keys.ec.publicKey.export({ type: 'spki', format: 'pem' }));
  const set = join(work, 'images.yaml');
  await writeFile(set, `images:\n${Object.entries(REPOS).map(([k, r]) => `  ${k}: ${R.host}/signed/${r}\n`).join('')}`);
  lockFile = join(work, 'images.lock.yaml');
  const r = await sb.run(['resolve', set, '-o', lockFile]);
  expect(r.code, show(r)).toBe(0);
  const port = await freePort();
  serveHost = `127.0.0.1:${port}`;
  serveBase = `http://${serveHost}`;
  served = sb.run(['serve', '--listen', serveHost, '--store', join(work, 'serve-store')], { onSpawn: (c) => (server = c), timeoutMs: 600_000 });
  for (let i = 0; i < 300 && !(await fetch(`${serveBase}/v2/`).then((x) => x.ok, () => false)); i++) await new Promise((res) => setTimeout(res, 50));
});

afterAll(async () => {
  server?.kill('SIGTERM');
  await served;
  await Promise.all([R?.stop(), sb?.remove(), work && rm(work, { recursive: true, force: true })]);
});

describe('referrers', () => {
  it('the lock lists each image\'s referrers: cosign\'s tags and OCI referrers found through the tag schema', async () => {
    const lock = parse(await readFile(lockFile, 'utf8')) as { images: Record<string, { referrers?: { digest: string; tag?: string; artifactType?: string; predicateType?: string }[] }> };
    expect(lock.images.keystone!.referrers).toEqual([
      expect.objectContaining({ digest: refs.sig!.digest, tag: `sha256-${hex('keystone')}.sig` }),
      expect.objectContaining({ digest: refs.att!.digest, tag: `sha256-${hex('keystone')}.att` }),
    ]);
    expect(lock.images.ceph!.referrers).toEqual([
      expect.objectContaining({ digest: refs.bundle!.digest, artifactType: BUNDLE_TYPE, predicateType: 'https://sigstore.dev/cosign/sign/v1' }),
      expect.objectContaining({ digest: refs.sbom!.digest, artifactType: 'application/spdx+json' }),
    ]);
    expect(lock.images.nova!.referrers).toBeUndefined();
  });

  it('verify checks both forms with the key: a .sig and a sigstore bundle pass; another key\'s bundle is SIGNATURE_INVALID; none is SIGNATURE_MISSING', async () => {
    const r = await sb.run(['verify', lockFile, '--json', '--key', join(work, 'ec.pub')]);
    expect(r.code, show(r)).toBe(1);
    const statuses = Object.fromEntries(r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { key: string; status: string }).map((o) => [o.key, o.status]));
    expect(statuses).toEqual({ ceph: 'signed', glance: 'invalid', keystone: 'signed', nova: 'missing' });
    expect(r.stderr).toMatch(/SIGNATURE_INVALID/);
  });

  it('mirror carries them into airlock serve (referrers API) and out into Distribution (tag schema index), and verify passes at each', async () => {
    const into = await sb.run(['mirror', lockFile, '--to', `${serveHost}/mirror`]);
    expect(into.code, show(into)).toBe(0);
    const listed = await index(`${serveBase}/v2/mirror/signed/ceph/ceph/referrers/${subjects.ceph!.digest}`);
    expect(listed.manifests.map((d) => [d.digest, d.artifactType]).sort()).toEqual([[refs.bundle!.digest, BUNDLE_TYPE], [refs.sbom!.digest, 'application/spdx+json']].sort());
    expect(await head(`${serveBase}/v2/mirror/signed/openstack/keystone-api/manifests/sha256-${hex('keystone')}.sig`)).toBe(200);
    for (const k of ['ceph', 'keystone']) {
      const v = await sb.run(['verify', lockFile, '--only', k, '--key', join(work, 'ec.pub'), '--from', `${serveHost}/mirror`]);
      expect(v.code, show(v)).toBe(0);
    }
    const out = await sb.run(['mirror', lockFile, '--from', `${serveHost}/mirror`, '--to', `${R.host}/back`]);
    expect(out.code, show(out)).toBe(0);
    // Distribution has no referrers API: airlock wrote the tag schema's index, which a real client reads.
    const raw = JSON.parse((await skopeoManifestBytes(`docker://${R.host}/back/signed/ceph/ceph:sha256-${hex('ceph')}`, { tlsVerify: false })).toString('utf8')) as { manifests: Desc[] };
    expect(raw.manifests.map((d) => d.digest).sort()).toEqual([refs.bundle!.digest, refs.sbom!.digest].sort());
    expect(await head(`${R.url}/v2/back/signed/ceph/ceph/manifests/${refs.bundle!.digest}`)).toBe(200);
    for (const k of ['ceph', 'keystone']) {
      const v = await sb.run(['verify', lockFile, '--only', k, '--key', join(work, 'ec.pub'), '--from', `${R.host}/back`]);
      expect(v.code, show(v)).toBe(0);
    }
  });

  it('--referrers signatures carries signatures only: .sig and the signature bundle, not .att or the SBOM', async () => {
    const r = await sb.run(['mirror', lockFile, '--to', `${R.host}/sigs`, '--referrers', 'signatures']);
    expect(r.code, show(r)).toBe(0);
    expect(await head(`${R.url}/v2/sigs/signed/openstack/keystone-api/manifests/sha256-${hex('keystone')}.sig`)).toBe(200);
    expect(await head(`${R.url}/v2/sigs/signed/openstack/keystone-api/manifests/sha256-${hex('keystone')}.att`)).toBe(404);
    const listed = await index(`${R.url}/v2/sigs/signed/ceph/ceph/manifests/sha256-${hex('ceph')}`);
    expect(listed.manifests.map((d) => d.digest)).toEqual([refs.bundle!.digest]);
    expect(await head(`${R.url}/v2/sigs/signed/ceph/ceph/manifests/${refs.sbom!.digest}`)).toBe(404);
  });

  it('a bundle carries them and its lock lists them; bundle verify checks they are there; import and serve --bundle give them back', async () => {
    const bundle = join(work, 'signed.tar');
    const c = await sb.run(['bundle', 'create', lockFile, '-o', bundle]);
    expect(c.code, show(c)).toBe(0);
    const v = await sb.run(['bundle', 'verify', bundle]);
    expect(v.code, show(v)).toBe(0);
    const imp = await sb.run(['bundle', 'import', bundle, '--to', `${R.host}/imported`]);
    expect(imp.code, show(imp)).toBe(0);
    for (const k of ['ceph', 'keystone']) {
      const ok = await sb.run(['verify', lockFile, '--only', k, '--key', join(work, 'ec.pub'), '--from', `${R.host}/imported`]);
      expect(ok.code, show(ok)).toBe(0);
    }
    expect((await index(`${R.url}/v2/imported/signed/ceph/ceph/manifests/sha256-${hex('ceph')}`)).manifests.map((d) => d.digest).sort()).toEqual([refs.bundle!.digest, refs.sbom!.digest].sort());
    expect(await head(`${R.url}/v2/imported/signed/openstack/keystone-api/manifests/sha256-${hex('keystone')}.att`)).toBe(200);
    // Served in place: the referrers API answers from the bundle.
    const port = await freePort();
    let child: ChildProcess | undefined;
    const done = sb.run(['serve', '--bundle', bundle, '--listen', `127.0.0.1:${port}`], { onSpawn: (x) => (child = x), timeoutMs: 120_000 });
    try {
      for (let i = 0; i < 300 && !(await fetch(`http://127.0.0.1:${port}/v2/`).then((x) => x.ok, () => false)); i++) await new Promise((res) => setTimeout(res, 50));
      const repoPath = `${R.host}/signed/ceph/ceph`;
      const listed = await index(`http://127.0.0.1:${port}/v2/${repoPath}/referrers/${subjects.ceph!.digest}`);
      expect(listed.manifests.map((d) => d.digest).sort()).toEqual([refs.bundle!.digest, refs.sbom!.digest].sort());
    } finally {
      child?.kill('SIGTERM');
      await done;
    }
    // Made with --referrers none, the bundle carries none and its lock lists none: still whole.
    const bare = join(work, 'bare.tar');
    const b = await sb.run(['bundle', 'create', lockFile, '-o', bare, '--referrers', 'none', '--from', 'store:']);
    expect(b.code, show(b)).toBe(0);
    expect((await sb.run(['bundle', 'verify', bare])).code).toBe(0);
    const ls = await sb.run(['bundle', 'ls', bare, '--json']);
    expect(ls.stdout).not.toContain('.sig');
  });

  it('verify: in an image set: resolve pins only what the key signed, fails closed naming the image, a rule\'s key wins for its images', async () => {
    await writeFile(join(work, 'rsa.pub'), keys.rsa.publicKey.export({ type: 'spki', format: 'pem' }));
    const images = (ks: string[]) => ks.map((k) => `  ${k}: ${R.host}/signed/${REPOS[k]}\n`).join('');
    const signed = join(work, 'signed.yaml');
    // Keys are relative to the image set; glance's bundle was made with the RSA key, which its rule names.
    await writeFile(signed, `verify: {key: ec.pub}\nimages:\n${images(['ceph', 'glance', 'keystone'])}rules:\n  - includes: [glance]\n    verify: {key: rsa.pub}\n`);
    const out = join(work, 'signed.lock.yaml');
    const ok = await sb.run(['resolve', signed, '-o', out]);
    expect(ok.code, show(ok)).toBe(0);
    expect(Object.keys((parse(await readFile(out, 'utf8')) as { images: object }).images).sort()).toEqual(['ceph', 'glance', 'keystone']);
    const unsigned = join(work, 'unsigned.yaml');
    await writeFile(unsigned, `verify: {key: ec.pub}\nimages:\n${images(['keystone', 'nova'])}`);
    const none = await sb.run(['resolve', unsigned, '-o', join(work, 'unsigned.lock.yaml')]);
    expect(none.code, show(none)).toBe(1);
    expect(none.stderr).toMatch(/SIGNATURE_MISSING/);
    expect(none.stderr).toMatch(/nova/);
    await expect(readFile(join(work, 'unsigned.lock.yaml'))).rejects.toThrow();
    const wrong = join(work, 'wrong.yaml');
    await writeFile(wrong, `verify: {key: ec.pub}\nimages:\n${images(['glance'])}`);
    const invalid = await sb.run(['resolve', wrong]);
    expect(invalid.code, show(invalid)).toBe(1);
    expect(invalid.stderr).toMatch(/SIGNATURE_INVALID/);
    expect(invalid.stdout).toBe('');
    await writeFile(join(work, 'garbage.pub'), 'not a key');
    const garbage = join(work, 'garbage.yaml');
    await writeFile(garbage, `verify: {key: garbage.pub}\nimages:\n${images(['keystone'])}`);
    const bad = await sb.run(['resolve', garbage]);
    expect(bad.code, show(bad)).toBe(2);
    expect(bad.stderr).toMatch(/KEY_INVALID/);
  });

  it('a referrer the lock lists that the source no longer has fails its image, naming it', async () => {
    const lock = parse(await readFile(lockFile, 'utf8')) as { images: Record<string, Record<string, unknown>> };
    const gone = `sha256:${'0'.repeat(64)}`;
    lock.images.nova!.referrers = [{ digest: gone, mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 10, artifactType: 'application/spdx+json' }];
    const edited = join(work, 'gone.lock.yaml');
    await writeFile(edited, JSON.stringify(lock));
    const r = await sb.run(['mirror', edited, '--only', 'nova', '--to', `${R.host}/gone`]);
    expect(r.code, show(r)).not.toBe(0);
    expect(r.stdout + r.stderr).toContain(gone);
  });
});
