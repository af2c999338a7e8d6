/**
 * End to end: `airlock resolve`, `airlock diff` and `airlock mirror LOCK|IMAGESET` as child
 * processes against real Distribution registries, with labelled images pushed by skopeo.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { makeImage, makeMultiArch, type FixtureImage } from '../helpers/fixtures.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { freePort, startRegistry, type TestRegistry } from '../helpers/registry.js';
import { pushFixtureWithSkopeo } from '../helpers/skopeo.js';
import { validateRegistryImage } from '../helpers/validate.js';
import { makeCliSandbox, show, type CliSandbox } from './cli.js';
import { catalog, manifestStatus } from './registry-probe.js';

const TRIPLEO_LABELS = { version: '1.2.3', release: '4', rdo_version: '1.2.3-4' };
const nova = makeImage({ seed: 'e2e-resolve/nova', format: 'docker', labels: TRIPLEO_LABELS });
const keystone = makeImage({ seed: 'e2e-resolve/keystone', labels: TRIPLEO_LABELS });
const ceph = makeMultiArch({ seed: 'e2e-resolve/ceph', platforms: ['linux/amd64', 'linux/arm64/v8', 'linux/ppc64le'] });
const unlabelled = makeImage({ seed: 'e2e-resolve/unlabelled' });
const heat = (release: string): FixtureImage => makeImage({ seed: `e2e-resolve/heat-${release}`, labels: { version: '2.0.0', release } });

let A: TestRegistry;
let B: TestRegistry;
let sb: CliSandbox;
let work: string;
let setFile: string;
let lockFile: string;

/** The main image set: TripleO-style templates with a label rule, a Ceph switch, a push destination. */
function mainSet(): string {
  return `# e2e image set
parameters:
  namespace: ${A.host}/tripleo
  name_prefix: openstack-
  name_suffix: ""
  tag: current-tripleo
  ceph_images: true
images:
  nova_api: "{namespace}/{name_prefix}nova-api{name_suffix}:{tag}"
  keystone: "{namespace}/{name_prefix}keystone{name_suffix}:{tag}"
  ceph:
    ref: ${A.host}/ceph/ceph:v18
    enabled_by: ceph_images
rules:
  - name: tripleo labels
    includes: [tripleo]
    tag_from_label: "{version}-{release}"
  - name: mirror
    push_destination: ${B.host}/mirror
`;
}

async function write(name: string, text: string): Promise<string> {
  const file = join(work, name);
  await writeFile(file, text);
  return file;
}

/** The lock file as data. */
async function readLockData(file: string): Promise<{ version: number; images: Record<string, any> }> {
  return parse(await readFile(file, 'utf8')) as { version: number; images: Record<string, any> };
}

const platformOf = (i: FixtureImage) => [i.platform.os, i.platform.architecture, i.platform.variant].filter(Boolean).join('/');

beforeAll(async () => {
  [A, B, sb, work] = await Promise.all([startRegistry(), startRegistry(), makeCliSandbox(), mkdtemp(join(tmpdir(), 'airlock-e2e-resolve-'))]);
  const pushes: Array<[string, Parameters<typeof pushFixtureWithSkopeo>[0]]> = [
    ['tripleo/openstack-nova-api:current-tripleo', nova],
    ['tripleo/openstack-nova-api:1.2.3-4', nova],
    ['tripleo/openstack-keystone:current-tripleo', keystone],
    ['tripleo/openstack-keystone:1.2.3-4', keystone],
    ['ceph/ceph:v18', ceph],
    ['plain/unlabelled:1', unlabelled],
    ['check/openstack-heat:current-tripleo', heat('1')],
    ['check/openstack-heat:2.0.0-1', heat('1')],
  ];
  for (const [ref, fixture] of pushes) expect(await pushFixtureWithSkopeo(fixture, A, ref)).toBe(fixture.manifestDesc.digest);
  setFile = await write('images.yaml', mainSet());
  lockFile = join(work, 'images.lock.yaml');
});

afterAll(async () => {
  await Promise.all([A?.stop(), B?.stop(), sb?.remove(), work && rm(work, { recursive: true, force: true })]);
});

describe('airlock resolve', () => {
  it('pins every image: label-discovered tags, multi-arch children, destinations, origins', async () => {
    const r = await sb.run(['resolve', setFile, '-o', lockFile]);
    expect(r.code, show(r)).toBe(0);
    const lock = await readLockData(lockFile);
    expect(lock.version).toBe(1);
    expect(Object.keys(lock.images)).toEqual(['ceph', 'keystone', 'nova_api']);

    const n = lock.images.nova_api;
    expect(n.tag).toBe('1.2.3-4');
    expect(n.digest).toBe(nova.manifestDesc.digest);
    expect(n.source).toBe(`${A.host}/tripleo/openstack-nova-api:1.2.3-4@${nova.manifestDesc.digest}`);
    expect(n.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
    expect(n.size).toBe(nova.manifestDesc.size);
    expect(n.destination).toBe(`${B.host}/mirror/tripleo/openstack-nova-api:1.2.3-4`);
    expect(n.origin).toEqual({
      template: '{namespace}/{name_prefix}nova-api{name_suffix}:{tag}',
      rules: [{ index: 0, name: 'tripleo labels' }, { index: 1, name: 'mirror' }],
      tag_from_label: { template: '{version}-{release}', from_tag: 'current-tripleo', labels: { release: '4', version: '1.2.3' }, rule: 0 },
    });
    expect(lock.images.keystone.digest).toBe(keystone.manifestDesc.digest);

    const c = lock.images.ceph;
    expect(c.tag).toBe('v18');
    expect(c.digest).toBe(ceph.manifestDesc.digest);
    expect(c.mediaType).toBe('application/vnd.oci.image.index.v1+json');
    expect(c.platforms).toEqual(
      ceph.images.map((i) => ({ platform: platformOf(i), digest: i.manifestDesc.digest, size: i.manifestDesc.size, mediaType: i.manifestDesc.mediaType })),
    );
    expect(c.origin.rules).toEqual([{ index: 1, name: 'mirror' }]);
    expect(c.origin.tag_from_label).toBeUndefined();
  });

  it('re-resolving gives a byte-identical lock; without -o it prints the same bytes', async () => {
    const before = await readFile(lockFile, 'utf8');
    const again = join(work, 'again.lock.yaml');
    const r = await sb.run(['resolve', setFile, '-o', again, '--jobs', '1']);
    expect(r.code, show(r)).toBe(0);
    expect(await readFile(again, 'utf8')).toBe(before);
    const out = await sb.run(['resolve', setFile]);
    expect(out.code, show(out)).toBe(0);
    expect(out.stdout).toBe(before);
  });

  it('--set overrides parameters: ceph_images=false leaves Ceph out', async () => {
    const r = await sb.run(['resolve', setFile, '--set', 'ceph_images=false']);
    expect(r.code, show(r)).toBe(0);
    expect(Object.keys((parse(r.stdout) as { images: object }).images)).toEqual(['keystone', 'nova_api']);
  });

  it('--check exits 0 on an unchanged set and non-zero with the diff after a push moves a tag', async () => {
    const set = await write(
      'check.yaml',
      `images:\n  heat_api: ${A.host}/check/openstack-heat:current-tripleo\nrules:\n  - tag_from_label: "{version}-{release}"\n`,
    );
    const lock = join(work, 'check.lock.yaml');
    expect((await sb.run(['resolve', set, '-o', lock])).code).toBe(0);
    const written = await readFile(lock, 'utf8');
    const same = await sb.run(['resolve', set, '-o', lock, '--check']);
    expect(same.code, show(same)).toBe(0);
    expect(same.stdout).toBe('');

    const next = heat('2');
    await pushFixtureWithSkopeo(next, A, 'check/openstack-heat:current-tripleo');
    await pushFixtureWithSkopeo(next, A, 'check/openstack-heat:2.0.0-2');
    const stale = await sb.run(['resolve', set, '-o', lock, '--check']);
    expect(stale.code, show(stale)).toBe(1);
    expect(stale.stderr).toContain('[LOCK_STALE]');
    expect(stale.stdout).toContain(`~ heat_api: tag 2.0.0-1 -> 2.0.0-2, digest ${heat('1').manifestDesc.digest} -> ${next.manifestDesc.digest}`);
    // --check never writes.
    expect(await readFile(lock, 'utf8')).toBe(written);

    // airlock diff shows the same change and says so in its exit code.
    const fresh = join(work, 'check-new.lock.yaml');
    expect((await sb.run(['resolve', set, '-o', fresh])).code).toBe(0);
    const d = await sb.run(['diff', lock, fresh]);
    expect(d.code, show(d)).toBe(1);
    expect(d.stdout.split('\n')[0]).toMatch(/^~ heat_api: tag 2\.0\.0-1 -> 2\.0\.0-2, digest /);
    const none = await sb.run(['diff', fresh, fresh]);
    expect(none.code, show(none)).toBe(0);
    expect(none.stdout).toBe('');
    // A lock that is missing is stale too.
    const missing = await sb.run(['resolve', set, '-o', join(work, 'nope.lock.yaml'), '--check']);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain('+ heat_api ');
  });

  it('a missing label and a missing image are both reported, each with its code', async () => {
    const set = await write(
      'broken.yaml',
      `images:
  unlabelled: ${A.host}/plain/unlabelled:1
  absent: ${A.host}/plain/absent:1
  nova_api: ${A.host}/tripleo/openstack-nova-api:current-tripleo
rules:
  - tag_from_label: rdo_version
    includes: [unlabelled, nova]
`,
    );
    const r = await sb.run(['resolve', set, '-o', join(work, 'broken.lock.yaml')]);
    expect(r.code, show(r)).toBe(1);
    expect(r.stderr).toContain('[LABEL_MISSING]');
    expect(r.stderr).toContain('[REGISTRY_NOT_FOUND]');
    expect(r.stderr).toMatch(/unlabelled: .*rdo_version/);
    expect(r.stderr).toMatch(/absent: /);
  });

  it('a missing label alone fails with LABEL_MISSING naming image and label', async () => {
    const set = await write('nolabel.yaml', `images:\n  unlabelled: ${A.host}/plain/unlabelled:1\nrules:\n  - tag_from_label: "{version}-{release}"\n`);
    const r = await sb.run(['resolve', set]);
    expect(r.code, show(r)).toBe(1);
    expect(r.stderr).toMatch(/error \[LABEL_MISSING\]: unlabelled: .*"version"/);
    expect(r.stdout).toBe('');
  });

  it('an unreachable registry fails with REGISTRY_UNREACHABLE after one attempt with --retries 0', async () => {
    // Nothing listening (connection refused) gives the code.
    const port = await freePort();
    const set = await write('gone.yaml', `images:\n  gone: 127.0.0.1:${port}/x/y:1\n`);
    const r = await sb.run(['resolve', set, '--retries', '0']);
    expect(r.code, show(r)).toBe(1);
    expect(r.stderr).toContain('[REGISTRY_UNREACHABLE]');
    // A host that resets every connection counts the attempts: exactly one, no retry.
    let connections = 0;
    const dead = createServer((socket) => {
      connections++;
      socket.resetAndDestroy();
    });
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', () => resolve()));
    try {
      const deadPort = (dead.address() as AddressInfo).port;
      const reset = await sb.run(['resolve', await write('dead.yaml', `images:\n  dead: 127.0.0.1:${deadPort}/x/y:1\n`), '--retries', '0']);
      expect(reset.code, show(reset)).toBe(1);
      expect(reset.stderr).toContain('[REGISTRY_UNREACHABLE]');
      expect(connections).toBe(1);
    } finally {
      await new Promise<void>((resolve) => dead.close(() => resolve()));
    }
  });

  it('credentials come from the image set (environment variable), never into the lock', async () => {
    const C = await startRegistry({ auth: 'basic' });
    try {
      await pushFixtureWithSkopeo(unlabelled, C, 'private/img:1');
      const set = await write(
        'auth.yaml',
        `images:\n  private: ${C.host}/private/img:1\ncredentials:\n  "${C.host}":\n    username: ${C.username}\n    password_env: E2E_REG_PASSWORD\n`,
      );
      const ok = await sb.run(['resolve', set], { env: { E2E_REG_PASSWORD: C.password! } });
      expect(ok.code, show(ok)).toBe(0);
      expect((parse(ok.stdout) as { images: Record<string, { digest: string }> }).images.private!.digest).toBe(unlabelled.manifestDesc.digest);
      expect(ok.stdout).not.toContain(C.password!);
      const unset = await sb.run(['resolve', set]);
      expect(unset.code, show(unset)).toBe(4);
      expect(unset.stderr).toContain('[CREDENTIALS_INVALID]');
      const wrong = await sb.run(['resolve', set], { env: { E2E_REG_PASSWORD: 'wrong' } });
      expect(wrong.code, show(wrong)).toBe(4);
      // A Basic registry: its own 401 to the credentialed request (AUTH_FAILED is for token endpoints).
      expect(wrong.stderr).toContain('[REGISTRY_UNAUTHORIZED]');
      expect(wrong.stderr).not.toContain('[AUTH_FAILED]');
    } finally {
      await C.stop();
    }
  });

  it('bad YAML is IMAGESET_INVALID with exit 2; a bad lock for diff is LOCK_INVALID with exit 2', async () => {
    const set = await write('bad.yaml', 'images:\n  nova: [unclosed\n');
    const r = await sb.run(['resolve', set]);
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr).toContain('[IMAGESET_INVALID]');
    const d = await sb.run(['diff', set, lockFile]);
    expect(d.code, show(d)).toBe(2);
    expect(d.stderr).toContain('[LOCK_INVALID]');
  });
});

describe('airlock mirror LOCK | IMAGESET', () => {
  it('copies every locked digest to its push_destination', async () => {
    const r = await sb.run(['mirror', lockFile]);
    expect(r.code, show(r)).toBe(0);
    const lock = await readLockData(lockFile);
    for (const [key, image] of Object.entries(lock.images)) {
      const dest = image.destination as string;
      const path = dest.slice(dest.indexOf('/') + 1);
      const repository = path.slice(0, path.lastIndexOf(':'));
      const v = await validateRegistryImage({ url: B.url, repository, reference: image.tag, expectDigest: image.digest });
      expect(v.digest, key).toBe(image.digest);
    }
    // The multi-arch image arrived whole.
    const c = await validateRegistryImage({ url: B.url, repository: 'mirror/ceph/ceph', reference: 'v18' });
    expect(c.manifests).toHaveLength(1 + ceph.images.length);
    // Nothing is left to do the second time.
    const again = await sb.run(['mirror', lockFile, '--json']);
    expect(again.code, show(again)).toBe(0);
    expect(again.stdout).toContain('"upToDate":3');
  });

  it('a lock already in place costs one request per image: the destination HEAD, nothing at the source', async () => {
    const [PA, PB] = await Promise.all([startFaultProxy({ upstream: A.url }), startFaultProxy({ upstream: B.url })]);
    try {
      const set = await write(
        'pinned.yaml',
        `images:\n  ceph: ${PA.host}/ceph/ceph:v18\n  keystone: ${PA.host}/tripleo/openstack-keystone:1.2.3-4\n  arm: ${PA.host}/ceph/ceph:18\n` +
          `rules:\n  - includes: [arm]\n    platforms: [linux/arm64]\n  - push_destination: ${PB.host}/pinned\n`,
      );
      await pushFixtureWithSkopeo(ceph, A, 'ceph/ceph:18');
      const lock = join(work, 'pinned.lock.yaml');
      const resolved = await sb.run(['resolve', set, '-o', lock]);
      expect(resolved.code, show(resolved)).toBe(0);
      const first = await sb.run(['mirror', lock, '--json']);
      expect(first.code, show(first)).toBe(0);
      expect(first.stdout).toContain('"copied":3');
      PA.resetRequests();
      PB.resetRequests();
      const again = await sb.run(['mirror', lock, '--json']);
      expect(again.code, show(again)).toBe(0);
      expect(again.stdout).toContain('"upToDate":3');
      expect(PA.requests).toEqual([]);
      expect(PB.requests.map((q) => `${q.method} ${q.path}`).sort()).toEqual(
        ['HEAD /v2/pinned/ceph/ceph/manifests/18', 'HEAD /v2/pinned/ceph/ceph/manifests/v18', 'HEAD /v2/pinned/tripleo/openstack-keystone/manifests/1.2.3-4'],
      );
    } finally {
      await Promise.all([PA.stop(), PB.stop()]);
    }
  });

  it('--only KEY copies one image; --to overrides the destination', async () => {
    const r = await sb.run(['mirror', lockFile, '--only', 'keystone', '--to', `${B.host}/only`]);
    expect(r.code, show(r)).toBe(0);
    expect((await catalog(B)).filter((repo) => repo.startsWith('only/'))).toEqual(['only/tripleo/openstack-keystone']);
    expect(await manifestStatus(B, 'only/tripleo/openstack-keystone', '1.2.3-4')).toBe(200);
    const unknown = await sb.run(['mirror', lockFile, '--only', 'keys']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('[USAGE]');
  });

  it('a lock entry without destination needs --to', async () => {
    const set = await write('nodest.yaml', `images:\n  unlabelled: ${A.host}/plain/unlabelled:1\n`);
    const lock = join(work, 'nodest.lock.yaml');
    expect((await sb.run(['resolve', set, '-o', lock])).code).toBe(0);
    const r = await sb.run(['mirror', lock]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('[USAGE]');
    const ok = await sb.run(['mirror', lock, '--to', `${B.host}/nodest`]);
    expect(ok.code, show(ok)).toBe(0);
    await validateRegistryImage({ url: B.url, repository: 'nodest/plain/unlabelled', reference: '1', expectDigest: unlabelled.manifestDesc.digest });
  });

  it('mirror IMAGESET resolves first; platforms keep only the chosen children', async () => {
    const set = await write(
      'platforms.yaml',
      `images:\n  ceph: ${A.host}/ceph/ceph:v18\n  keystone: ${A.host}/tripleo/openstack-keystone:1.2.3-4\nrules:\n  - includes: [ceph]\n    platforms: [linux/arm64]\n    push_destination: ${B.host}/arm\n`,
    );
    const r = await sb.run(['mirror', set, '--only', 'ceph']);
    expect(r.code, show(r)).toBe(0);
    const v = await validateRegistryImage({ url: B.url, repository: 'arm/ceph/ceph', reference: 'v18' });
    // The filtered index and its one arm64 child.
    expect(v.manifests).toHaveLength(2);
    const arm = ceph.images.find((i) => i.platform.architecture === 'arm64')!;
    expect(v.manifests[1]!.digest).toBe(arm.manifestDesc.digest);
    expect(await manifestStatus(B, 'arm/tripleo/openstack-keystone', '1.2.3-4')).toBe(404);
    // The lock pins the filtered index exactly as mirroring wrote it, so renderers can pin it too.
    const lock = await sb.run(['resolve', set]);
    expect(lock.code, show(lock)).toBe(0);
    expect(lock.stdout).toContain(`filtered_digest: ${v.digest}`);
    const list = await write('platforms.lock.yaml', lock.stdout);
    const rendered = await sb.run(['render', list, '--format', 'list']);
    expect(rendered.stdout).toContain(`${B.host}/arm/ceph/ceph:v18@${v.digest}`);
  });
});
