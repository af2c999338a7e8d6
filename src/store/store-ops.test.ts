import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixtureBlobs, makeImage, makeMultiArch, writeOciLayout, type Fixture } from '../../test/helpers/fixtures.js';
import { ErrorCodes } from '../errors.js';
import { digestHex } from '../oci/digest.js';
import { OciLayout } from '../transport/layout/layout.js';
import { listStore } from './list.js';
import { pruneStore } from './prune.js';
import { storeProblem, verifyStore } from './verify.js';

let dir: string;
const base = { seed: 'shared-base', size: 4096 };
// Two images on one base layer, and a multi-arch index.
const nova = makeImage({ seed: 'nova', layers: [base, { seed: 'nova-own', size: 1000 }] });
const glance = makeImage({ seed: 'glance', layers: [base, { seed: 'glance-own', size: 2000 }] });
const ceph = makeMultiArch({ seed: 'ceph' });
const sizeOf = (f: Fixture) => fixtureBlobs(f).reduce((n, b) => n + b.desc.size, 0);

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-store-ops-'));
  await writeOciLayout(dir, [
    { name: 'quay.io/o/nova:1', image: nova },
    { name: 'quay.io/o/glance:1', image: glance },
    { name: 'quay.io/ceph/ceph:v18', image: ceph },
  ]);
});

afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('listStore', () => {
  it('lists each image with its platforms, bytes and the bytes it shares; nothing loose', async () => {
    const layout = await OciLayout.open(dir);
    const l = await listStore(layout);
    expect(l.images.map((i) => i.name)).toEqual(['quay.io/ceph/ceph:v18', 'quay.io/o/glance:1', 'quay.io/o/nova:1']);
    const [c, g, n] = l.images;
    expect(c!.platforms).toEqual(['linux/amd64', 'linux/arm64/v8']);
    expect(n!.platforms).toEqual(['linux/amd64']);
    expect(n!.bytes).toBe(sizeOf(nova));
    expect(g!.bytes).toBe(sizeOf(glance));
    // The base layer (and nothing else) is shared between nova and glance.
    const baseLayer = nova.layers[0]!.desc;
    expect(n!.sharedBytes).toBe(baseLayer.size);
    expect(c!.sharedBytes).toBe(0);
    expect(c!.missing).toEqual([]);
    const distinct = new Map([nova, glance, ceph].flatMap((f) => fixtureBlobs(f).map((b) => [b.desc.digest, b.desc.size] as const)));
    expect(l.blobs).toEqual({ count: distinct.size, bytes: [...distinct.values()].reduce((a, b) => a + b, 0) });
    expect(l.unreferenced).toEqual({ count: 0, bytes: 0 });
  });
});

describe('verifyStore', () => {
  it('passes a whole store, then finds a flipped byte, names the images that need it, and removes it with repair', async () => {
    const layout = await OciLayout.open(dir);
    const clean = await verifyStore(layout);
    expect(clean.damaged).toEqual([]);
    expect(clean.missing).toEqual([]);
    expect(storeProblem(clean, false)).toBeUndefined();

    const layer = nova.layers[0]!.desc;
    const file = path.join(dir, 'blobs', 'sha256', digestHex(layer.digest));
    const bytes = await fs.readFile(file);
    bytes[100] = bytes[100]! ^ 0xff;
    await fs.writeFile(file, bytes);

    const found = await verifyStore(layout);
    expect(found.damaged).toEqual([{ digest: layer.digest, path: file, removed: false }]);
    expect(found.missing).toEqual([{ digest: layer.digest, images: ['quay.io/o/nova:1', 'quay.io/o/glance:1'].sort() }]);
    expect(storeProblem(found, false)).toMatchObject({ code: ErrorCodes.STORE_DAMAGED });

    const repaired = await verifyStore(layout, { repair: true });
    expect(repaired.damaged[0]!.removed).toBe(true);
    await expect(fs.access(file)).rejects.toThrow();
    // The images that lost it lose their names (a name promises a whole image); the rest stays whole.
    expect(repaired.unnamed).toEqual(['quay.io/o/glance:1', 'quay.io/o/nova:1']);
    expect((await listStore(layout)).images.map((i) => i.name)).toEqual(['quay.io/ceph/ceph:v18']);
    const after = await verifyStore(layout);
    expect(after).toMatchObject({ damaged: [], missing: [], unnamed: [] });
  });
});

describe('pruneStore', () => {
  it('drops images not kept, then only the blobs nothing else reaches, and keeps recent loose blobs', async () => {
    const layout = await OciLayout.open(dir);
    const keep = (n: string) => n !== 'quay.io/o/nova:1';
    const future = Date.now() + 2 * 60 * 60 * 1000;
    const dry = await pruneStore(layout, { keep, dryRun: true, now: future });
    expect(dry.images).toEqual(['quay.io/o/nova:1']);
    // nova's manifest, config and own layer go; the base layer glance uses stays.
    const novaOnly = fixtureBlobs(nova).filter((b) => !fixtureBlobs(glance).some((g) => g.desc.digest === b.desc.digest));
    expect(dry.blobs.map((b) => b.digest).sort()).toEqual(novaOnly.map((b) => b.desc.digest).sort());
    expect((await listStore(layout)).images).toHaveLength(3);

    // Within the grace period, nothing loose is deleted yet.
    const recent = await pruneStore(layout, { keep });
    expect(recent.images).toEqual(['quay.io/o/nova:1']);
    expect(recent.blobs).toEqual([]);
    expect(recent.keptRecent).toBe(novaOnly.length);

    const done = await pruneStore(layout, { keep, now: future });
    expect(done.blobs).toHaveLength(novaOnly.length);
    const after = await listStore(layout);
    expect(after.images.map((i) => i.name)).toEqual(['quay.io/ceph/ceph:v18', 'quay.io/o/glance:1']);
    expect(after.unreferenced).toEqual({ count: 0, bytes: 0 });
    expect((await verifyStore(layout)).missing).toEqual([]);
  });
});
