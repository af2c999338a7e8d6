/**
 * `airlock audit` against a recorded cluster served in the real API's shape (HTTPS, bearer
 * token or client certificate, limit/continue pages). The stand-in is proven faithful by
 * running the real kubectl against it in the same test: it gets the same pods, in pages, and
 * airlock reading kubectl's own output finds exactly what airlock reading the API finds.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeconfig, startKubeApi, type KubeApi } from '../helpers/kube-api.js';
import { makeCa, makeClientCert, makeServerCert } from '../helpers/openssl.js';
import { fakeDigest, podOf } from '../helpers/pods.js';
import { freePort } from '../helpers/registry.js';
import { makeCliSandbox, show, type CliSandbox } from './cli.js';

const REG = 'registry.local:5000/mirror';
const D = {
  keystone: fakeDigest('keystone'),
  entrypoint: fakeDigest('entrypoint'),
  nova: fakeDigest('nova'),
  novaMoved: fakeDigest('nova-moved'),
  coredns: fakeDigest('coredns'),
  glance: fakeDigest('glance'),
  ceph: fakeDigest('ceph-index'),
  cephAmd64: fakeDigest('ceph-amd64'),
  cephArm64: fakeDigest('ceph-arm64'),
};
const LOCK = `version: 1
images:
  ceph:
    source: quay.io/ceph/ceph:v18@${D.ceph}
    tag: v18
    digest: ${D.ceph}
    mediaType: application/vnd.oci.image.index.v1+json
    size: 900
    platforms:
      - {platform: linux/amd64, digest: ${D.cephAmd64}, size: 500, mediaType: application/vnd.oci.image.manifest.v1+json}
      - {platform: linux/arm64, digest: ${D.cephArm64}, size: 500, mediaType: application/vnd.oci.image.manifest.v1+json}
    destination: ${REG}/ceph/ceph:v18
    origin: {template: quay.io/ceph/ceph:v18}
  coredns:
    source: registry.k8s.io/coredns/coredns:v1.11.1@${D.coredns}
    tag: v1.11.1
    digest: ${D.coredns}
    mediaType: application/vnd.oci.image.manifest.v1+json
    size: 700
    destination: ${REG}/coredns/coredns:v1.11.1
    origin: {template: registry.k8s.io/coredns/coredns:v1.11.1}
  entrypoint:
    source: quay.io/airshipit/kubernetes-entrypoint:v1.0.0@${D.entrypoint}
    tag: v1.0.0
    digest: ${D.entrypoint}
    mediaType: application/vnd.oci.image.manifest.v1+json
    size: 700
    destination: ${REG}/airshipit/kubernetes-entrypoint:v1.0.0
    origin: {template: quay.io/airshipit/kubernetes-entrypoint:v1.0.0}
  glance:
    source: quay.io/openstack.kolla/glance-api:2024.1@${D.glance}
    tag: "2024.1"
    digest: ${D.glance}
    mediaType: application/vnd.oci.image.manifest.v1+json
    size: 700
    destination: ${REG}/openstack.kolla/glance-api:2024.1
    origin: {template: quay.io/openstack.kolla/glance-api:2024.1}
  keystone:
    source: quay.io/openstack.kolla/keystone:2024.1@${D.keystone}
    tag: "2024.1"
    digest: ${D.keystone}
    mediaType: application/vnd.oci.image.manifest.v1+json
    size: 700
    destination: ${REG}/openstack.kolla/keystone:2024.1
    origin: {template: quay.io/openstack.kolla/keystone:2024.1}
  nova:
    source: quay.io/openstack.kolla/nova-api:2024.1@${D.nova}
    tag: "2024.1"
    digest: ${D.nova}
    mediaType: application/vnd.oci.image.manifest.v1+json
    size: 700
    destination: ${REG}/openstack.kolla/nova-api:2024.1
    origin: {template: quay.io/openstack.kolla/nova-api:2024.1}
`;

const PODS = [
  // Clean: pinned, running the locked digest, containerd's imageID form; its init container in dockershim's.
  podOf('openstack', 'keystone-api-7d9f8-abcde', [{ name: 'keystone-api', image: `${REG}/openstack.kolla/keystone:2024.1@${D.keystone}`, imageID: `${REG}/openstack.kolla/keystone@${D.keystone}` }], {
    init: [{ name: 'init', image: `${REG}/airshipit/kubernetes-entrypoint:v1.0.0@${D.entrypoint}`, imageID: `docker-pullable://${REG}/airshipit/kubernetes-entrypoint@${D.entrypoint}` }],
  }),
  // By tag only, and the tag moved: tag-only and digest-drift.
  podOf('openstack', 'nova-api-5c6b7-fghij', [{ name: 'nova-api', image: `${REG}/openstack.kolla/nova-api:2024.1`, imageID: `${REG}/openstack.kolla/nova-api@${D.novaMoved}` }]),
  // Still pulling from the internet: registry-not-allowed (the lock knows it: the fix is the mirror's), tag-only.
  podOf('kube-system', 'coredns-76f75df574-x2x9z', [{ name: 'coredns', image: `registry.k8s.io/coredns/coredns:v1.11.1`, imageID: `registry.k8s.io/coredns/coredns@${D.coredns}` }]),
  // Docker Hub short names, an ephemeral debug container: not in the lock, not allowed.
  podOf('default', 'debug', [{ name: 'web', image: 'nginx', imageID: `docker.io/library/nginx@${fakeDigest('nginx')}` }], {
    ephemeral: [{ name: 'debugger-abcd', image: 'busybox:1.36', imageID: `docker.io/library/busybox@${fakeDigest('busybox')}` }],
  }),
  // ContainerCreating: counted, its digest not checked.
  podOf('openstack', 'glance-api-0', [{ name: 'glance-api', image: `${REG}/openstack.kolla/glance-api:2024.1@${D.glance}` }]),
  // Multi-arch: one node reports the platform image's digest (clean), one only an image ID (unverified).
  podOf('ceph', 'ceph-mon-a', [{ name: 'mon', image: `${REG}/ceph/ceph:v18@${D.ceph}`, imageID: `${REG}/ceph/ceph@${D.cephArm64}` }]),
  podOf('ceph', 'ceph-mon-b', [{ name: 'mon', image: `${REG}/ceph/ceph:v18@${D.ceph}`, imageID: fakeDigest('ceph-config') }]),
];

const EXPECTED = [
  ['default', 'debug', 'debugger-abcd', 'not-in-lock'],
  ['default', 'debug', 'debugger-abcd', 'registry-not-allowed'],
  ['default', 'debug', 'web', 'not-in-lock'],
  ['default', 'debug', 'web', 'registry-not-allowed'],
  ['kube-system', 'coredns-76f75df574-x2x9z', 'coredns', 'registry-not-allowed'],
  ['kube-system', 'coredns-76f75df574-x2x9z', 'coredns', 'tag-only'],
  ['openstack', 'nova-api-5c6b7-fghij', 'nova-api', 'digest-drift'],
  ['openstack', 'nova-api-5c6b7-fghij', 'nova-api', 'tag-only'],
];

let sb: CliSandbox;
let work: string;
let api: KubeApi;
let lockFile: string;
let tokenConfig: string;
let certConfig: string;
let expiredConfig: string;
let home: string;

interface AuditJson {
  clean: boolean;
  pods: number;
  containers: number;
  pending: number;
  unverified: number;
  registries: { registry: string; images: number; pods: number; containers: number }[];
  findings: { namespace: string; pod: string; container: string; code: string; fix?: string; kind: string }[];
}

function kubectl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('kubectl', args, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
  });
}

const findings = (j: AuditJson) => j.findings.map((f) => [f.namespace, f.pod, f.container, f.code]);

beforeAll(async () => {
  sb = await makeCliSandbox();
  work = await mkdtemp(join(tmpdir(), 'airlock-audit-'));
  home = join(work, 'home');
  const ca = await makeCa(work);
  const server = await makeServerCert(work, ca);
  const client = await makeClientCert(work, ca, 'kubernetes-admin');
  api = await startKubeApi(PODS, server, { tokens: ['good-token'], clientCa: ca.certFile });
  lockFile = join(work, 'images.lock.yaml');
  await writeFile(lockFile, LOCK);
  tokenConfig = join(work, 'token.kubeconfig');
  certConfig = join(work, 'cert.kubeconfig');
  expiredConfig = join(work, 'expired.kubeconfig');
  await writeFile(tokenConfig, kubeconfig(api.url, ca.certFile, { token: 'good-token' }));
  await writeFile(certConfig, kubeconfig(api.url, ca.certFile, client));
  await writeFile(expiredConfig, kubeconfig(api.url, ca.certFile, { token: 'expired-token' }));
});

afterAll(async () => {
  await Promise.all([api?.stop(), sb?.remove(), work && rm(work, { recursive: true, force: true })]);
});

describe('airlock audit', () => {
  it('the stand-in is faithful: the real kubectl lists the same pods from it, in pages, with a token and with a client certificate', async () => {
    for (const config of [tokenConfig, certConfig]) {
      const before = api.requests.length;
      const r = await kubectl(['--kubeconfig', config, 'get', 'pods', '-A', '-o', 'json', '--chunk-size', '3']);
      expect(r.code, r.stderr).toBe(0);
      const items = (JSON.parse(r.stdout) as { items: { metadata: { namespace: string; name: string } }[] }).items;
      expect(items.map((p) => `${p.metadata.namespace}/${p.metadata.name}`)).toEqual(PODS.map((p) => `${(p.metadata as { namespace: string }).namespace}/${(p.metadata as { name: string }).name}`));
      // Three pages of three: kubectl followed `continue` as airlock does.
      expect(api.requests.slice(before).filter((q) => q.startsWith('/api/v1/pods'))).toEqual(['/api/v1/pods?limit=3', '/api/v1/pods?continue=3&limit=3', '/api/v1/pods?continue=6&limit=3']);
    }
    const denied = await kubectl(['--kubeconfig', expiredConfig, 'get', 'pods', '-A', '-o', 'json']);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toMatch(/Unauthorized|provide credentials/i);
  });

  it('finds what drifted, by namespace, pod and container, with the pinned reference to use; the same from the API and from kubectl\'s output', async () => {
    const live = await sb.run(['audit', '--lock', lockFile, '--kubeconfig', tokenConfig, '--json']);
    expect(live.code, show(live)).toBe(1);
    const j = JSON.parse(live.stdout) as AuditJson;
    expect(findings(j)).toEqual(EXPECTED);
    expect(j).toMatchObject({ clean: false, pods: 7, containers: 9, pending: 1, unverified: 1 });
    expect(j.findings.find((f) => f.pod.startsWith('coredns') && f.code === 'registry-not-allowed')!.fix).toBe(`${REG}/coredns/coredns:v1.11.1@${D.coredns}`);
    expect(j.findings.find((f) => f.code === 'digest-drift')!.fix).toBe(`${REG}/openstack.kolla/nova-api:2024.1@${D.nova}`);
    expect(j.findings.find((f) => f.container === 'debugger-abcd')!.kind).toBe('ephemeral');
    expect(j.registries).toContainEqual({ registry: 'docker.io', images: 2, pods: 1, containers: 2 });
    expect(j.registries).toContainEqual({ registry: 'registry.local:5000', images: 5, pods: 5, containers: 6 });
    // The one-liner's input, through kubectl, gives the same answer.
    const listed = await kubectl(['--kubeconfig', certConfig, 'get', 'pods', '-A', '-o', 'json']);
    const pods = join(work, 'pods.json');
    await writeFile(pods, listed.stdout);
    const fromFile = await sb.run(['audit', '--lock', lockFile, '-f', pods, '--json']);
    expect(findings(JSON.parse(fromFile.stdout) as AuditJson)).toEqual(EXPECTED);
    const viaCert = await sb.run(['audit', '--lock', lockFile, '--kubeconfig', certConfig, '--json']);
    expect(findings(JSON.parse(viaCert.stdout) as AuditJson)).toEqual(EXPECTED);
  });

  it('prints the per-registry summary and a findings table; JUnit XML for CI; exit 0 when clean', async () => {
    const text = await sb.run(['audit', '--lock', lockFile, '--kubeconfig', tokenConfig]);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/^7 pods, 9 containers, 1 not running yet, 1 reporting only an image ID/);
    expect(text.stdout).toMatch(/REGISTRY\s+IMAGES\s+PODS\s+CONTAINERS/);
    expect(text.stdout).toMatch(/nova-api-5c6b7-fghij\s+nova-api\s+digest-drift/);
    const junit = await sb.run(['audit', '--lock', lockFile, '--kubeconfig', tokenConfig, '--format', 'junit']);
    expect(junit.stdout).toContain('<testsuite name="airlock audit" tests="5" failures="4"');
    expect(junit.stdout).toContain('<failure type="digest-drift"');
    // Only the clean pods, and --allowed-registry naming the mirror: exit 0.
    const clean = join(work, 'clean.json');
    await writeFile(clean, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [PODS[0], PODS[4], PODS[5]] }));
    const ok = await sb.run(['audit', '--lock', lockFile, '-f', clean, '--allowed-registry', REG]);
    expect(ok.code, show(ok)).toBe(0);
    expect(ok.stdout).toContain('no findings');
  });

  it('bad input: an expired token exits 4, a kubeconfig pointing nowhere exits 2 at once, a pods file that is not JSON or a lock that is not a lock exit 2', async () => {
    const expired = await sb.run(['audit', '--lock', lockFile, '--kubeconfig', expiredConfig]);
    expect(expired.code, show(expired)).toBe(4);
    expect(expired.stderr).toMatch(/KUBE_API_UNAUTHORIZED/);
    const nowhere = join(work, 'nowhere.kubeconfig');
    await writeFile(nowhere, kubeconfig(`https://127.0.0.1:${await freePort()}`, join(work, 'ca.pem'), { token: 'good-token' }));
    const started = Date.now();
    const down = await sb.run(['audit', '--lock', lockFile, '--kubeconfig', nowhere, '--timeout', '5']);
    expect(down.code, show(down)).toBe(2);
    expect(down.stderr).toMatch(/KUBE_API_FAILED/);
    expect(Date.now() - started).toBeLessThan(5000);
    const notJson = join(work, 'not.json');
    await writeFile(notJson, 'NAME READY STATUS\nkeystone 1/1 Running\n');
    const bad = await sb.run(['audit', '--lock', lockFile, '-f', notJson]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/AUDIT_INPUT_INVALID/);
    const notLock = join(work, 'not.lock.yaml');
    await writeFile(notLock, 'images: [1, 2]\n');
    const badLock = await sb.run(['audit', '--lock', notLock, '-f', join(work, 'pods.json')]);
    expect(badLock.code).toBe(2);
    expect(badLock.stderr).toMatch(/LOCK_INVALID/);
    const noLock = await sb.run(['audit', '-f', join(work, 'pods.json')]);
    expect(noLock.code).toBe(2);
  });
});
