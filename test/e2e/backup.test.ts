/**
 * Backup and restore with real registries: every tag of every repository (catalog walk)
 * into one bundle, restored into an empty registry with every digest re-checked; a damaged
 * backup is refused before anything is written.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureBlobs, makeImage, makeMultiArch } from '../helpers/fixtures.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { pushFixtureWithSkopeo } from '../helpers/skopeo.js';
import { validateRegistryImage } from '../helpers/validate.js';
import { imageResults, makeCliSandbox, show, type CliSandbox } from './cli.js';
import { failureCode } from './leftovers.js';

const base = { seed: 'e2e-backup/base', size: 30_000 };
const one = makeImage({ seed: 'e2e-backup-one', format: 'docker', layers: [base, 10_000] });
const two = makeImage({ seed: 'e2e-backup-two', layers: [base, 12_000] });
const multi = makeMultiArch({ seed: 'e2e-backup-multi', baseLayers: [base], platformLayers: [8_000] });
const images = [
  { repo: 'team/one', tag: '1', image: one },
  { repo: 'team/one', tag: 'latest', image: one },
  { repo: 'team/two', tag: '2', image: two },
  { repo: 'infra/multi', tag: 'v1', image: multi },
];

let A: TestRegistry;
let C: TestRegistry;
let sb: CliSandbox;
let work: string;

beforeAll(async () => {
  [A, C, sb, work] = await Promise.all([startRegistry(), startRegistry(), makeCliSandbox(), mkdtemp(join(tmpdir(), 'airlock-e2e-backup-'))]);
  for (const i of images) await pushFixtureWithSkopeo(i.image, A, `${i.repo}:${i.tag}`);
});

afterAll(async () => {
  await Promise.all([A?.stop(), C?.stop(), sb?.remove(), work && rm(work, { recursive: true, force: true })]);
});

describe('airlock backup / restore', () => {
  const backup = () => join(work, 'registry.tar');

  it('backs up every tag of a registry into one bundle, each blob once', async () => {
    const r = await sb.run(['backup', '--registry', A.host, '-o', backup()]);
    expect(r.code, show(r)).toBe(0);
    const ls = await sb.run(['bundle', 'ls', backup(), '--json']);
    const listing = JSON.parse(ls.stdout) as { images: { name: string; digest: string }[]; blobs: number };
    expect(listing.images.map((i) => [i.name, i.digest]).sort()).toEqual(images.map((i) => [`${A.host}/${i.repo}:${i.tag}`, i.image.manifestDesc.digest]).sort());
    const unique = new Set([one, two, multi].flatMap(fixtureBlobs).map((b) => b.desc.digest));
    expect(listing.blobs).toBe(unique.size);
  });

  it('restores into an empty registry: every image, tag and digest checked', async () => {
    const r = await sb.run(['restore', backup(), '--to', C.host, '--json']);
    expect(r.code, show(r)).toBe(0);
    for (const i of images) await validateRegistryImage({ url: C.url, repository: i.repo, reference: i.tag, expectDigest: i.image.manifestDesc.digest, checkDiffIds: true });
    const again = await sb.run(['restore', backup(), '--to', C.host, '--json']);
    expect(again.code, show(again)).toBe(0);
    expect(imageResults(again.stdout).every((x) => x.status === 'up-to-date')).toBe(true);
  });

  it('backs up only the repositories under a prefix', async () => {
    const file = join(work, 'team.tar');
    const r = await sb.run(['backup', '--registry', `${A.host}/team`, '-o', file]);
    expect(r.code, show(r)).toBe(0);
    const listing = JSON.parse((await sb.run(['bundle', 'ls', file, '--json'])).stdout) as { images: { name: string }[] };
    expect(listing.images.map((i) => i.name).sort()).toEqual([`${A.host}/team/one:1`, `${A.host}/team/one:latest`, `${A.host}/team/two:2`]);
  });

  it('refuses a damaged backup before writing anything (BUNDLE_DAMAGED)', async () => {
    const bytes = Buffer.from(await readFile(backup()));
    const layer = two.layers[1]!.desc.digest.slice(7);
    let at = bytes.indexOf(Buffer.from(`blobs/sha256/${layer}`));
    while (at >= 0 && at % 512 !== 0) at = bytes.indexOf(Buffer.from(`blobs/sha256/${layer}`), at + 1);
    bytes[at + 512 + 50]! ^= 0xff;
    const damaged = join(work, 'damaged.tar');
    await writeFile(damaged, bytes);
    const r = await sb.run(['restore', damaged, '--to', `${C.host}/fromdamaged`]);
    expect(r.code, show(r)).toBe(1);
    expect(failureCode(r)).toBe('BUNDLE_DAMAGED');
    const catalog = (await (await fetch(`${C.url}/v2/_catalog`)).json()) as { repositories: string[] };
    expect(catalog.repositories.filter((x) => x.startsWith('fromdamaged/'))).toEqual([]);
  });

  it('backs up the store and needs exactly one source', async () => {
    const file = join(work, 'store.tar');
    const r = await sb.run(['backup', '--store', '-o', file]);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toContain('4 images');
    const bad = await sb.run(['backup', '-o', file]);
    expect(bad.code).toBe(2);
  });
});
