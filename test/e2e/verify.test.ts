/**
 * `airlock verify LOCK --key FILE` against a real Distribution registry holding cosign-format
 * signatures made here (the `sha256-<hex>.sig` manifest: simple-signing payload layers with
 * the signature annotation, cosign's empty config), signed with ECDSA P-256, RSA and Ed25519
 * keys by node:crypto as cosign signs: a good signature passes, another key's, a payload
 * naming another digest and a missing signature are refused with their codes.
 */
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { imageResults, makeCliSandbox, PROJECT_ROOT, show, type CliSandbox } from './cli.js';

let sb: CliSandbox;
let R: TestRegistry;
let work: string;
let lockFile: string;
const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const digests: Record<string, string> = {};
const REPOS: Record<string, string> = { keystone: 'openstack/keystone-api:2024.1', glance: 'openstack/glance-api:2024.1', nova: 'openstack/nova-api:2024.1', ceph: 'ceph/ceph:v18' };

async function pushBlob(repo: string, bytes: Buffer): Promise<void> {
  const start = await fetch(`${R.url}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  expect(start.status).toBe(202);
  const loc = new URL(start.headers.get('location')!, R.url);
  loc.searchParams.set('digest', sha(bytes));
  const put = await fetch(loc, { method: 'PUT', body: bytes, headers: { 'content-type': 'application/octet-stream' } });
  expect(put.status).toBe(201);
}

/** Pushes a cosign signature manifest for `digest` in `repo`: one simple-signing layer per payload, signed with `key`. */
async function pushSignature(repo: string, digest: string, key: KeyObject, payloadDigest = digest): Promise<void> {
  const payload = Buffer.from(JSON.stringify({ critical: { identity: { 'docker-reference': `${R.host}/${repo}` }, image: { 'docker-manifest-digest': payloadDigest }, type: 'cosign container image signature' }, optional: null }));
  const signature = sign(key.asymmetricKeyType === 'ed25519' ? null : 'sha256', payload, key).toString('base64');
  const config = Buffer.from(JSON.stringify({ architecture: '', created: '0001-01-01T00:00:00Z', history: [{ created: '0001-01-01T00:00:00Z' }], os: '', rootfs: { type: 'layers', diff_ids: [sha(payload)] }, config: {} }));
  await pushBlob(repo, payload);
  await pushBlob(repo, config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json', digest: sha(payload), size: payload.length, annotations: { 'dev.cosignproject.cosign/signature': signature } }],
    }),
  );
  const put = await fetch(`${R.url}/v2/${repo}/manifests/sha256-${digest.slice(7)}.sig`, { method: 'PUT', body: manifest, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' } });
  expect(put.status).toBe(201);
}

const keys = {
  ec: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  rsa: generateKeyPairSync('rsa', { modulusLength: 2048 }),
  ed: generateKeyPairSync('ed25519'),
};

beforeAll(async () => {
  [sb, R] = await Promise.all([makeCliSandbox(), startRegistry()]);
  work = await mkdtemp(join(tmpdir(), 'airlock-verify-'));
  const m = await sb.run(['mirror', 'samples/images.txt', '--from', 'oci:samples/layout', '--to', `${R.host}/signed`], { cwd: PROJECT_ROOT });
  expect(m.code, show(m)).toBe(0);
  const set = join(work, 'images.yaml');
  await writeFile(set, `images:\n${Object.entries(REPOS).map(([k, r]) => `  ${k}: ${R.host}/signed/${r}\n`).join('')}`);
  lockFile = join(work, 'images.lock.yaml');
  const r = await sb.run(['resolve', set, '-o', lockFile]);
  expect(r.code, show(r)).toBe(0);
  for (const k of Object.keys(REPOS)) {
    const head = await fetch(`${R.url}/v2/signed/${REPOS[k]!.replace(':', '/manifests/')}`, { method: 'HEAD', headers: { accept: 'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json' } });
    digests[k] = head.headers.get('docker-content-digest')!;
  }
  const repo = (k: string) => `signed/${REPOS[k]!.split(':')[0]}`;
  await pushSignature(repo('keystone'), digests.keystone!, keys.ec.privateKey);
  await pushSignature(repo('glance'), digests.glance!, keys.rsa.privateKey);
  // Signed with the Ed25519 key, but the payload names another image.
  await pushSignature(repo('ceph'), digests.ceph!, keys.ed.privateKey, digests.keystone!);
  for (const [name, pair] of Object.entries(keys)) await writeFile(join(work, `${name}.pub`), pair.publicKey.export({ type: 'spki', format: 'pem' }));
});

afterAll(async () => {
  await Promise.all([R?.stop(), sb?.remove(), work && rm(work, { recursive: true, force: true })]);
});

describe('airlock verify', () => {
  it('passes an image signed with the key (ECDSA P-256, RSA), in cosign\'s format', async () => {
    for (const [image, key] of [['keystone', 'ec'], ['glance', 'rsa']] as const) {
      const r = await sb.run(['verify', lockFile, '--only', image, '--key', join(work, `${key}.pub`)]);
      expect(r.code, show(r)).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^signed\\s+${image}`));
    }
  });

  it('refuses another key\'s signature and a payload naming another digest (SIGNATURE_INVALID), and an unsigned image (SIGNATURE_MISSING)', async () => {
    const wrongKey = await sb.run(['verify', lockFile, '--only', 'keystone', '--key', join(work, 'rsa.pub')]);
    expect(wrongKey.code, show(wrongKey)).toBe(1);
    expect(wrongKey.stderr).toMatch(/SIGNATURE_INVALID/);
    expect(wrongKey.stdout).toMatch(/does not verify with the key/);
    const otherDigest = await sb.run(['verify', lockFile, '--only', 'ceph', '--key', join(work, 'ed.pub')]);
    expect(otherDigest.code, show(otherDigest)).toBe(1);
    expect(otherDigest.stdout).toContain(`names ${digests.keystone}, not ${digests.ceph}`);
    const unsigned = await sb.run(['verify', lockFile, '--only', 'nova', '--key', join(work, 'ec.pub')]);
    expect(unsigned.code, show(unsigned)).toBe(1);
    expect(unsigned.stderr).toMatch(/SIGNATURE_MISSING/);
    const all = await sb.run(['verify', lockFile, '--json', '--key', join(work, 'ec.pub')]);
    expect(all.code).toBe(1);
    const statuses = Object.fromEntries(all.stdout.trim().split('\n').map((l) => JSON.parse(l) as { key: string; status: string }).map((o) => [o.key, o.status]));
    expect(statuses).toEqual({ ceph: 'invalid', glance: 'invalid', keystone: 'signed', nova: 'missing' });
  });

  it('refuses a key file that is not a public key (KEY_INVALID, exit 2)', async () => {
    const bad = join(work, 'not-a-key.pub');
    await writeFile(bad, 'hello');
    const r = await sb.run(['verify', lockFile, '--key', bad]);
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr).toMatch(/KEY_INVALID/);
  });

  it('signatures travel with their images on mirror (--referrers, default all), and verify passes where they landed; --referrers none leaves them behind', async () => {
    const m = await sb.run(['mirror', '--json', lockFile, '--to', `${R.host}/out`]);
    expect(m.code, show(m)).toBe(0);
    // The signature is copied through the same run: its own line beside the image's.
    const sig = imageResults(m.stdout).find((r) => String(r.destination).endsWith(`keystone-api:sha256-${digests.keystone!.slice(7)}.sig`));
    expect(sig).toMatchObject({ status: 'copied' });
    const ok = await sb.run(['verify', lockFile, '--only', 'keystone', '--key', join(work, 'ec.pub'), '--from', `${R.host}/out`]);
    expect(ok.code, show(ok)).toBe(0);
    const bare = await sb.run(['mirror', lockFile, '--to', `${R.host}/bare`, '--referrers', 'none']);
    expect(bare.code, show(bare)).toBe(0);
    const missing = await sb.run(['verify', lockFile, '--only', 'keystone', '--key', join(work, 'ec.pub'), '--from', `${R.host}/bare`]);
    expect(missing.code, show(missing)).toBe(1);
    expect(missing.stderr).toMatch(/SIGNATURE_MISSING/);
    const bad = await sb.run(['mirror', lockFile, '--to', `${R.host}/x`, '--referrers', 'some']);
    expect(bad.code).toBe(2);
  });
});
