/**
 * Differential bundles end to end with real registries: the air-gapped registry's inventory
 * carried back, a bundle made against it that leaves out what it holds, and an import that
 * checks the left-out blobs are there (mounting them across repositories) before it writes
 * anything, and refuses a bundle made against an inventory that lies.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureBlobs, makeImage, makeMultiArch, type Fixture } from '../helpers/fixtures.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { pushFixtureWithSkopeo } from '../helpers/skopeo.js';
import { validateRegistryImage } from '../helpers/validate.js';
import { imageResults, show, type CliSandbox, makeCliSandbox } from './cli.js';
import { failureCode } from './leftovers.js';

const base = { seed: 'e2e-diff/base', size: 60_000 };
const app1 = makeImage({ seed: 'e2e-diff-app1', format: 'docker', layers: [base, { seed: 'e2e-diff/app1', size: 20_000 }] });
const multi = makeMultiArch({ seed: 'e2e-diff-multi', baseLayers: [base], platformLayers: [15_000] });
// The update: a new image in a new repository, on the same base layer.
const app2 = makeImage({ seed: 'e2e-diff-app2', layers: [base, { seed: 'e2e-diff/app2', size: 25_000 }] });

let A: TestRegistry;
let B: TestRegistry;
let sb: CliSandbox;
let work: string;
const ref = (r: string) => `${A.host}/${r}`;
const head = (reg: TestRegistry, repo: string, tag: string) =>
  fetch(`${reg.url}/v2/${repo}/manifests/${tag}`, { method: 'HEAD', headers: { accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.index.v1+json' } }).then((r) => r.status);

async function lockOf(name: string, images: Record<string, string>): Promise<string> {
  const set = join(work, `${name}.yaml`);
  await writeFile(set, `images:\n${Object.entries(images).map(([k, v]) => `  ${k}: ${ref(v)}`).join('\n')}\n`);
  const lock = join(work, `${name}.lock.yaml`);
  const r = await sb.run(['resolve', set, '-o', lock]);
  expect(r.code, show(r)).toBe(0);
  return lock;
}

const blobBytes = (f: Fixture, only?: (d: string) => boolean) => fixtureBlobs(f).filter((b) => !b.desc.mediaType.includes('manifest') && !b.desc.mediaType.includes('index') && (!only || only(b.desc.digest))).reduce((n, b) => n + b.desc.size, 0);

beforeAll(async () => {
  [A, B, sb, work] = await Promise.all([startRegistry(), startRegistry(), makeCliSandbox(), mkdtemp(join(tmpdir(), 'airlock-e2e-diff-'))]);
  await pushFixtureWithSkopeo(app1, A, 'team/app:1');
  await pushFixtureWithSkopeo(multi, A, 'team/multi:1');
  await pushFixtureWithSkopeo(app2, A, 'team/app2:1');
  // The air-gapped side already has release 1, from a full bundle.
  const v1 = await lockOf('v1', { app: 'team/app:1', multi: 'team/multi:1' });
  const full = join(work, 'v1.tar');
  let r = await sb.run(['bundle', 'create', v1, '-o', full]);
  expect(r.code, show(r)).toBe(0);
  r = await sb.run(['bundle', 'import', full, '--to', `${B.host}/mirror`]);
  expect(r.code, show(r)).toBe(0);
});

afterAll(async () => {
  await Promise.all([A?.stop(), B?.stop(), sb?.remove(), work && rm(work, { recursive: true, force: true })]);
});

describe('differential bundles', () => {
  let have: string;
  let v2: string;

  it('inventories the air-gapped registry under its prefix: every manifest and blob, with a repository holding it', async () => {
    have = join(work, 'have.json');
    const r = await sb.run(['inventory', '--registry', `${B.host}/mirror`, '-o', have]);
    expect(r.code, show(r)).toBe(0);
    const inv = JSON.parse(await readFile(have, 'utf8')) as { of: { kind: string }; manifests: Record<string, number>; blobs: Record<string, { size: number; repository: string }> };
    expect(inv.of.kind).toBe('registry');
    const expected = new Map([...fixtureBlobs(app1), ...fixtureBlobs(multi)].map((b) => [b.desc.digest, b]));
    const manifests = [...expected.values()].filter((b) => /manifest|index/.test(b.desc.mediaType)).map((b) => b.desc.digest);
    expect(Object.keys(inv.manifests).sort()).toEqual(manifests.sort());
    expect(Object.keys(inv.blobs).sort()).toEqual([...expected.keys()].filter((d) => !manifests.includes(d)).sort());
    expect(inv.blobs[app1.layers[0]!.desc.digest]!.repository).toMatch(/^mirror\/team\/(app|multi)$/);
  });

  it('leaves out what the target holds: the update bundle carries only the new blobs (and manifests)', async () => {
    v2 = await lockOf('v2', { app: 'team/app:1', multi: 'team/multi:1', app2: 'team/app2:1' });
    const out = join(work, 'v2-diff.tar');
    const r = await sb.run(['bundle', 'create', v2, '-o', out, '--have', have, '--json']);
    expect(r.code, show(r)).toBe(0);
    const summary = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { blobBytes: number; differential: { blobs: number } };
    const newBlobs = blobBytes(app2, (d) => d !== app1.layers[0]!.desc.digest);
    // Images the target holds whole are left out entirely; of the new one, its manifest and new blobs.
    const manifestBytes = fixtureBlobs(app2).filter((b) => /manifest|index/.test(b.desc.mediaType)).reduce((n, b) => n + b.desc.size, 0);
    expect(summary.blobBytes).toBe(newBlobs + manifestBytes);
    const ls = await sb.run(['bundle', 'ls', out]);
    expect(ls.stdout).toMatch(/differential: 1 blobs .* and 2 whole images left out, assumed on registry /);
    expect(ls.stdout).toContain(ref('team/app2:1'));
    expect(ls.stdout).not.toContain(`${ref('team/app:1')}  `);
    const v = await sb.run(['bundle', 'verify', out]);
    expect(v.code, show(v)).toBe(0);
  });

  it('imports the update: blobs left out are found (mounted across repositories) and every image checks out', async () => {
    const r = await sb.run(['bundle', 'import', join(work, 'v2-diff.tar'), '--to', `${B.host}/mirror`, '--json']);
    expect(r.code, show(r)).toBe(0);
    const results = imageResults(r.stdout) as { destination: string; status: string }[];
    expect(results.filter((x) => x.status === 'up-to-date').map((x) => x.destination).sort()).toEqual([`docker://${B.host}/mirror/team/app:1`, `docker://${B.host}/mirror/team/multi:1`]);
    await validateRegistryImage({ url: B.url, repository: 'mirror/team/app2', reference: '1', expectDigest: app2.manifestDesc.digest, checkDiffIds: true });
    await validateRegistryImage({ url: B.url, repository: 'mirror/team/app', reference: '1', expectDigest: app1.manifestDesc.digest, checkDiffIds: true });
  });

  it('refuses, before writing anything, a differential bundle whose target lacks what it left out', async () => {
    // Into another prefix of the same registry: the mounts work, so all is there. Into a registry
    // that holds nothing, the import names every left-out digest and writes nothing.
    const r = await sb.run(['bundle', 'import', join(work, 'v2-diff.tar'), '--to', `${A.host}/elsewhere`, '--only', 'app2']);
    expect(r.code, show(r)).toBe(1);
    expect(failureCode(r)).toBe('BUNDLE_BASE_MISSING');
    expect(r.stderr).toContain(app1.layers[0]!.desc.digest);
    expect(r.stderr).toContain(`${A.host}/elsewhere/`);
    expect(await head(A, 'elsewhere/team/app2', '1')).toBe(404);
    // An image left out whole must be in its own repository there.
    const whole = await sb.run(['bundle', 'import', join(work, 'v2-diff.tar'), '--to', `${B.host}/other`, '--only', 'app']);
    expect(whole.code, show(whole)).toBe(1);
    expect(failureCode(whole)).toBe('BUNDLE_BASE_MISSING');
    expect(whole.stderr).toContain(app1.manifestDesc.digest);
    expect(await head(B, 'other/team/app', '1')).toBe(404);
  });

  it('refuses a bundle made against a have.json that lies (it claims a blob the target lacks)', async () => {
    const inv = JSON.parse(await readFile(have, 'utf8')) as { blobs: Record<string, { size: number; repository?: string }> };
    const lie = app2.layers[1]!.desc;
    inv.blobs[lie.digest] = { size: lie.size, repository: 'mirror/team/app' };
    const lying = join(work, 'lying.json');
    await writeFile(lying, JSON.stringify(inv));
    const v3 = await lockOf('v3', { app2: 'team/app2:1' });
    const out = join(work, 'lying.tar');
    let r = await sb.run(['bundle', 'create', v3, '-o', out, '--have', lying, '--from', 'store:']);
    expect(r.code, show(r)).toBe(0);
    r = await sb.run(['bundle', 'import', out, '--to', `${B.host}/fresh`]);
    expect(r.code, show(r)).toBe(1);
    expect(failureCode(r)).toBe('BUNDLE_BASE_MISSING');
    expect(r.stderr).toContain(lie.digest);
    expect(await head(B, 'fresh/team/app2', '1')).toBe(404);
    // A have.json that is not one is refused with its own code.
    await writeFile(lying, '{"airlockInventory": 1, "of": {"kind": "registry", "location": "x"}, "manifests": {}, "blobs": {"sha256:xyz": {"size": 1}}}');
    r = await sb.run(['bundle', 'create', v3, '-o', out, '--have', lying, '--from', 'store:']);
    expect(r.code, show(r)).toBe(2);
    expect(failureCode(r)).toBe('INVENTORY_INVALID');
  });

  it('inventories the store and a bundle the same way', async () => {
    const fromBundle = join(work, 'have-bundle.json');
    let r = await sb.run(['inventory', '--bundle', join(work, 'v1.tar'), '-o', fromBundle]);
    expect(r.code, show(r)).toBe(0);
    const inv = JSON.parse(await readFile(fromBundle, 'utf8')) as { blobs: Record<string, unknown> };
    expect(Object.keys(inv.blobs)).toContain(app1.layers[1]!.desc.digest);
    expect(Object.keys(inv.blobs)).not.toContain(app2.layers[1]!.desc.digest);
    const fromStore = join(work, 'have-store.json');
    r = await sb.run(['inventory', '--store', '-o', fromStore]);
    expect(r.code, show(r)).toBe(0);
    expect(Object.keys((JSON.parse(await readFile(fromStore, 'utf8')) as { blobs: Record<string, unknown> }).blobs)).toContain(app2.layers[1]!.desc.digest);
    r = await sb.run(['inventory', '-o', fromStore]);
    expect(r.code).toBe(2);
  });
});
