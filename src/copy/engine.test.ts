import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeImage, makeMultiArch, writeOciLayout, type LayerSpec } from '../../test/helpers/fixtures.js';
import { validateLayout } from '../../test/helpers/validate.js';
import type { Descriptor } from '../oci/descriptor.js';
import { digestOf } from '../oci/digest.js';
import { parsePlatform } from '../oci/platform.js';
import { createTransportContext } from '../transport/context.js';
import { parseLocation } from '../transport/location.js';
import { openSink, openSource } from '../transport/open.js';
import type { Source } from '../transport/types.js';
import { CopyRun } from './engine.js';
import type { CopyEvent } from './events.js';

const base: LayerSpec = { seed: 'engine/base', size: 64 * 1024 };
const fixtures = {
  multi: makeMultiArch({ seed: 'engine/multi', baseLayers: [base] }),
  a: makeImage({ seed: 'engine/a', layers: [base, 4096] }),
  b: makeImage({ seed: 'engine/b', layers: [base, 8192] }),
};
let dir: string;
let src: string;

const openOciSource = (d: string, name: string) => openSource(parseLocation(`oci:${d}:${name}`), createTransportContext());
const openOciSink = (d: string, name: string) => openSink(parseLocation(`oci:${d}:${name}`), createTransportContext());

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airlock-engine-'));
  src = join(dir, 'src');
  await writeOciLayout(src, [
    { name: 'multi', image: fixtures.multi },
    { name: 'a', image: fixtures.a },
    { name: 'b', image: fixtures.b },
  ]);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A real layout source whose blob reads are altered by `tamper` (a flaky network, a lying server). */
function tampered(source: Source, tamper: (desc: Descriptor, attempt: number, real: Readable) => Readable): Source {
  const attempts = new Map<string, number>();
  return {
    description: source.description,
    resolve: () => source.resolve(),
    getManifest: (d) => source.getManifest(d),
    close: () => source.close(),
    async getBlob(desc) {
      const n = (attempts.get(desc.digest) ?? 0) + 1;
      attempts.set(desc.digest, n);
      return tamper(desc, n, await source.getBlob(desc));
    },
  };
}

describe('CopyRun', () => {
  it('copies a multi-arch index whole and a second run finds it up to date', async () => {
    const dst = join(dir, 'dst');
    const run = new CopyRun();
    const first = await run.copyImage(await openOciSource(src, 'multi'), await openOciSink(dst, 'multi'));
    expect(first.status).toBe('copied');
    expect(first.manifestsWritten).toBe(3);
    await validateLayout(dst, 'multi');
    const again = await new CopyRun().copyImage(await openOciSource(src, 'multi'), await openOciSink(dst, 'multi'));
    expect(again.status).toBe('up-to-date');
    expect(again.digest).toBe(first.digest);
  });

  it('sends a blob shared by several images once per run', async () => {
    const dst = join(dir, 'dst');
    const sent: string[] = [];
    const run = new CopyRun({ onEvent: (e: CopyEvent) => e.type === 'blob-done' && e.action === 'sent' && sent.push(e.digest) });
    const results = await Promise.all(
      ['multi', 'a', 'b'].map(async (n) => run.copyImage(await openOciSource(src, n), await openOciSink(dst, n))),
    );
    expect(results.map((r) => r.status)).toEqual(['copied', 'copied', 'copied']);
    // Every distinct blob (configs and layers) of the three images was sent, each exactly once.
    const images = [...fixtures.multi.images, fixtures.a, fixtures.b];
    const blobs = new Set(images.flatMap((i) => [i.configDesc.digest, ...i.layers.map((l) => l.desc.digest)]));
    const baseDigest = fixtures.a.layers[0]!.desc.digest;
    expect(images.map((i) => i.layers[0]!.desc.digest)).toEqual(images.map(() => baseDigest)); // the fixtures do share it
    // multi: 2 configs + the shared base + 2 platform layers; a and b: a config and an own layer each.
    expect(blobs.size).toBe(5 + 2 + 2);
    expect([...sent].sort()).toEqual([...blobs].sort());
    expect(sent.filter((d) => d === baseDigest)).toEqual([baseDigest]);
    expect(results.reduce((n, r) => n + r.blobsSent, 0)).toBe(blobs.size);
    for (const n of ['multi', 'a', 'b']) await validateLayout(dst, n);
  });

  it('keeps only the chosen platform and writes a filtered index with a new digest', async () => {
    const dst = join(dir, 'dst');
    const result = await new CopyRun({ platforms: [parsePlatform('linux/arm64')] }).copyImage(
      await openOciSource(src, 'multi'),
      await openOciSink(dst, 'multi'),
    );
    expect(result.status).toBe('copied');
    expect(result.digest).not.toBe(result.sourceDigest);
    const v = await validateLayout(dst, 'multi');
    const index = JSON.parse((await readFile(join(dst, 'blobs', 'sha256', result.digest!.slice(7)))).toString());
    expect(index.manifests).toHaveLength(1);
    expect(index.manifests[0].platform.architecture).toBe('arm64');
    expect(digestOf(await readFile(join(dst, 'blobs', 'sha256', result.digest!.slice(7))))).toBe(v.digest);
  });

  it('fails with PLATFORM_NOT_FOUND and writes nothing when no child matches', async () => {
    const dst = join(dir, 'dst');
    const result = await new CopyRun({ platforms: [parsePlatform('linux/s390x')] }).copyImage(
      await openOciSource(src, 'multi'),
      await openOciSink(dst, 'multi'),
    );
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('PLATFORM_NOT_FOUND');
    expect(await readdir(join(dst, 'blobs', 'sha256')).catch(() => [])).toEqual([]);
  });

  it('retries a blob whose stream breaks, then completes', async () => {
    const dst = join(dir, 'dst');
    const retries: CopyEvent[] = [];
    const source = tampered(await openOciSource(src, 'a'), (desc, attempt, real) => {
      if (desc.size < 10_000 || attempt > 2) return real;
      real.destroy();
      const broken = new Readable({ read() {} });
      broken.push(Buffer.alloc(100));
      setImmediate(() => broken.destroy(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })));
      return broken;
    });
    const result = await new CopyRun({ retry: { baseMs: 1 }, onEvent: (e) => e.type === 'blob-retry' && retries.push(e) }).copyImage(
      source,
      await openOciSink(dst, 'a'),
    );
    expect(result.status).toBe('copied');
    expect(retries).toHaveLength(2);
    await validateLayout(dst, 'a');
  });

  it('refuses bytes that do not match their digest and leaves no blob or name behind', async () => {
    const dst = join(dir, 'dst');
    let target = '';
    const source = tampered(await openOciSource(src, 'b'), (desc, _attempt, real) => {
      if (desc.size < 8192) return real;
      target = desc.digest;
      real.destroy();
      return Readable.from([Buffer.alloc(desc.size, 7)]);
    });
    const result = await new CopyRun({ retry: { baseMs: 1, retries: 1 } }).copyImage(source, await openOciSink(dst, 'b'));
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('DIGEST_MISMATCH');
    const blobs = await readdir(join(dst, 'blobs', 'sha256'));
    expect(blobs).not.toContain(target.slice(7));
    const index = JSON.parse(await readFile(join(dst, 'index.json'), 'utf8'));
    expect(index.manifests).toEqual([]);
  });

  it('in a dry run reads and compares but writes nothing', async () => {
    const dst = join(dir, 'dst');
    const result = await new CopyRun({ dryRun: true }).copyImage(await openOciSource(src, 'a'), await openOciSink(dst, 'a'));
    expect(result.status).toBe('planned');
    expect(result.bytesPlanned).toBeGreaterThan(64 * 1024);
    expect(await readdir(join(dst, 'blobs', 'sha256')).catch(() => [])).toEqual([]);
  });
});
