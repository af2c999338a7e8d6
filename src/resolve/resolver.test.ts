/**
 * The resolver against a real Distribution registry with images pushed by skopeo: tags to
 * digests, tag_from_label, multi-arch children, destinations, and every failure collected.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startRegistry, type TestRegistry } from '../../test/helpers/registry.js';
import { makeImage, makeIndex, makeMultiArch } from '../../test/helpers/fixtures.js';
import { pushFixtureWithSkopeo } from '../../test/helpers/skopeo.js';
import { AirlockError } from '../errors.js';
import type { PlannedImage } from '../imageset/types.js';
import { parsePlatform } from '../oci/platform.js';
import { parseReference } from '../ref/reference.js';
import { createTransportContext, type TransportContext } from '../transport/context.js';
import { parseNamespace } from '../transport/location.js';
import { registryPool } from '../transport/registry/transport.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeOciLayout } from '../../test/helpers/fixtures.js';
import { resolvePlan, type ResolveProgress } from './resolver.js';

const AMD64 = parsePlatform('linux/amd64');

let A: TestRegistry;
let ctx: TransportContext;
const pushed: Record<string, string> = {};

const nova = makeImage({ seed: 'resolve/nova', labels: { version: '1.2.3', release: '4', rdo_version: '1.2.3-4.el9' } });
const novaOld = makeImage({ seed: 'resolve/nova-old', labels: { version: '1.2.2', release: '1' } });
const plain = makeImage({ seed: 'resolve/plain', format: 'docker' });
const ceph = makeMultiArch({ seed: 'resolve/ceph', labels: { version: '18.2.0' }, platforms: ['linux/amd64', 'linux/arm64/v8', 'linux/s390x'] });
// Different labels per platform, to see which child's config is read.
const split = makeIndex([
  makeImage({ seed: 'resolve/split-amd', labels: { version: 'amd' } }),
  makeImage({ seed: 'resolve/split-arm', platform: 'linux/arm64', labels: { version: 'arm' } }),
]);

function planned(key: string, ref: string, extra: Partial<PlannedImage> = {}): PlannedImage {
  return { key, template: ref, source: parseReference(`${A.host}/${ref}`), params: {}, rules: [], labelPlatform: AMD64, ...extra };
}

beforeAll(async () => {
  A = await startRegistry();
  const pushes: Array<[string, Parameters<typeof pushFixtureWithSkopeo>[0]]> = [
    ['tripleo/nova-api:current-tripleo', nova],
    ['tripleo/nova-api:1.2.3-4', nova],
    ['tripleo/nova-api:1.2.3-4.el9', nova],
    ['tripleo/nova-api:1.2.2-1', novaOld],
    ['library/plain:1', plain],
    ['ceph/ceph:v18', ceph],
    ['ceph/ceph:18.2.0', ceph],
    ['multi/split:current', split],
    ['multi/split:arm', split],
    ['multi/split:amd', split],
  ];
  for (const [ref, fixture] of pushes) pushed[ref] = await pushFixtureWithSkopeo(fixture, A, ref);
  ctx = createTransportContext({ registries: { retries: 0 } });
});

afterAll(async () => {
  await ctx?.close();
  await A?.stop();
});

describe('resolvePlan', () => {
  it('pins a tag by digest with media type and size; sorts keys; reports progress', async () => {
    const progress: ResolveProgress[] = [];
    const lock = await resolvePlan([planned('zz_plain', 'library/plain:1'), planned('aa_nova', 'tripleo/nova-api:1.2.2-1')], {
      ctx,
      onProgress: (p) => progress.push(p),
    });
    expect(Object.keys(lock.images)).toEqual(['aa_nova', 'zz_plain']);
    const p = lock.images.zz_plain!;
    expect(p).toEqual({
      source: `${A.host}/library/plain:1@${plain.manifestDesc.digest}`,
      tag: '1',
      digest: plain.manifestDesc.digest,
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      size: plain.manifestDesc.size,
      origin: { template: 'library/plain:1' },
    });
    expect(progress.map((x) => x.done).sort()).toEqual([1, 2]);
    expect(progress.every((x) => x.total === 2 && x.image)).toBe(true);
  });

  it('tag_from_label replaces the floating tag by the rendered one and pins that tag', async () => {
    const lock = await resolvePlan(
      [
        planned('nova_api', 'tripleo/nova-api:current-tripleo', {
          template: '{namespace}/nova-api:{tag}',
          rules: [0, 2],
          tagFromLabel: { value: '{version}-{release}', rule: 2 },
        }),
        planned('nova_rdo', 'tripleo/nova-api:current-tripleo', { tagFromLabel: { value: 'rdo_version' } }),
      ],
      { ctx, rules: [{ name: 'base' }, {}, { name: 'labels' }] },
    );
    const n = lock.images.nova_api!;
    expect(n.tag).toBe('1.2.3-4');
    expect(n.digest).toBe(pushed['tripleo/nova-api:1.2.3-4']);
    expect(n.source).toBe(`${A.host}/tripleo/nova-api:1.2.3-4@${nova.manifestDesc.digest}`);
    expect(n.origin).toEqual({
      template: '{namespace}/nova-api:{tag}',
      rules: [{ index: 0, name: 'base' }, { index: 2, name: 'labels' }],
      tag_from_label: { template: '{version}-{release}', from_tag: 'current-tripleo', labels: { version: '1.2.3', release: '4' }, rule: 2 },
    });
    expect(lock.images.nova_rdo!.tag).toBe('1.2.3-4.el9');
  });

  it('the discovered tag is resolved on its own: it may name another image than the floating one', async () => {
    // current-tripleo says 1.2.3-4 but that tag was moved to an older build.
    const moved = await pushFixtureWithSkopeo(novaOld, A, 'moved/nova:1.2.3-4');
    await pushFixtureWithSkopeo(nova, A, 'moved/nova:current-tripleo');
    const lock = await resolvePlan([planned('k', 'moved/nova:current-tripleo', { tagFromLabel: { value: '{version}-{release}' } })], { ctx });
    expect(lock.images.k!.digest).toBe(moved);
  });

  it('asks as little as it can: one HEAD per tag; with labels, the index by tag once, one manifest and one config', async () => {
    const fresh = createTransportContext({ registries: { retries: 0 } });
    try {
      await resolvePlan([planned('plain', 'library/plain:1')], { ctx: fresh, referrers: 'none' });
      expect(registryPool(fresh).stats().requests).toBe(1);
      let before = registryPool(fresh).stats().requests;
      await resolvePlan([planned('ceph', 'ceph/ceph:v18', { tagFromLabel: { value: 'version' } })], { ctx: fresh, referrers: 'none' });
      // GET v18 (the index), GET amd64 manifest, GET config, HEAD 18.2.0 (same index: not fetched again).
      expect(registryPool(fresh).stats().requests - before).toBe(4);
      // Listing referrers (the default): HEAD .sig/.att/.sbom, GET the referrers API (Distribution has none: 404), HEAD the tag schema's tag.
      before = registryPool(fresh).stats().requests;
      const lock = await resolvePlan([planned('plain', 'library/plain:1')], { ctx: fresh });
      expect(registryPool(fresh).stats().requests - before).toBe(6);
      expect(lock.images.plain!.referrers).toBeUndefined();
    } finally {
      await fresh.close();
    }
  });

  it('multi-arch: index digest plus every child with platform, digest, size, media type', async () => {
    const lock = await resolvePlan([planned('ceph', 'ceph/ceph:v18')], { ctx });
    const c = lock.images.ceph!;
    expect(c.digest).toBe(ceph.manifestDesc.digest);
    expect(c.mediaType).toBe('application/vnd.oci.image.index.v1+json');
    expect(c.size).toBe(ceph.manifestDesc.size);
    expect(c.platforms).toEqual(
      ceph.images.map((i) => ({
        platform: [i.platform.os, i.platform.architecture, i.platform.variant].filter(Boolean).join('/'),
        digest: i.manifestDesc.digest,
        size: i.manifestDesc.size,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
      })),
    );
    expect(c.keep_platforms).toBeUndefined();
  });

  it('platforms keeps only the matching children and records keep_platforms', async () => {
    const lock = await resolvePlan(
      [planned('ceph', 'ceph/ceph:v18', { platforms: { value: [parsePlatform('linux/arm64'), parsePlatform('linux/s390x')] } })],
      { ctx },
    );
    expect(lock.images.ceph!.platforms!.map((p) => p.platform)).toEqual(['linux/arm64/v8', 'linux/s390x']);
    expect(lock.images.ceph!.keep_platforms).toEqual(['linux/arm64', 'linux/s390x']);
    expect(lock.images.ceph!.digest).toBe(ceph.manifestDesc.digest);
    const none = resolvePlan([planned('ceph', 'ceph/ceph:v18', { platforms: { value: [parsePlatform('windows/amd64')] } })], { ctx });
    await expect(none).rejects.toMatchObject({ code: 'PLATFORM_NOT_FOUND' });
  });

  it('tag_from_label on an index reads the labelPlatform child (linux/amd64 by default)', async () => {
    const lock = await resolvePlan(
      [
        planned('amd', 'multi/split:current', { tagFromLabel: { value: 'version' } }),
        planned('arm', 'multi/split:current', { tagFromLabel: { value: 'version' }, labelPlatform: parsePlatform('linux/arm64') }),
        planned('ceph', 'ceph/ceph:v18', { tagFromLabel: { value: 'version' } }),
      ],
      { ctx },
    );
    expect(lock.images.amd!.tag).toBe('amd');
    expect(lock.images.arm!.tag).toBe('arm');
    expect(lock.images.ceph!.tag).toBe('18.2.0');
    expect(lock.images.ceph!.platforms).toHaveLength(3);
  });

  it('a source pinned by digest stays pinned; tag_from_label does not move it', async () => {
    const digest = pushed['tripleo/nova-api:1.2.2-1']!;
    const lock = await resolvePlan(
      [planned('old', `tripleo/nova-api:1.2.2-1@${digest}`, { tagFromLabel: { value: '{version}-{release}' } })],
      { ctx },
    );
    expect(lock.images.old).toMatchObject({ tag: '1.2.2-1', digest, source: `${A.host}/tripleo/nova-api:1.2.2-1@${digest}` });
    expect(lock.images.old!.origin.tag_from_label).toBeUndefined();
  });

  it('push_destination gives the destination: the source path under the prefix, with the final tag', async () => {
    const lock = await resolvePlan(
      [
        planned('nova', 'tripleo/nova-api:current-tripleo', {
          tagFromLabel: { value: '{version}-{release}' },
          pushDestination: { value: 'registry.local:5000/mirror', rule: 1 },
        }),
        planned('plain', 'library/plain:1', { pushDestination: { value: 'registry.local' } }),
      ],
      { ctx },
    );
    expect(lock.images.nova!.destination).toBe('registry.local:5000/mirror/tripleo/nova-api:1.2.3-4');
    expect(lock.images.plain!.destination).toBe('registry.local/library/plain:1');
  });

  it('collects every failure: missing label, missing image, missing tag from a label', async () => {
    const err = await resolvePlan(
      [
        planned('ok', 'library/plain:1'),
        planned('no_label', 'library/plain:1', { tagFromLabel: { value: '{version}-{release}' } }),
        planned('missing', 'library/nothing-here:1'),
        planned('missing_tag', 'tripleo/nova-api:current-tripleo', { tagFromLabel: { value: '{release}-{version}' } }),
      ],
      { ctx, concurrency: 2 },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AirlockError);
    const e = err as AirlockError;
    // The first failure in key order gives the code.
    expect(e.code).toBe('REGISTRY_NOT_FOUND');
    expect(e.details.failures).toEqual([
      expect.objectContaining({ key: 'missing', code: 'REGISTRY_NOT_FOUND' }),
      expect.objectContaining({ key: 'missing_tag', code: 'REGISTRY_NOT_FOUND' }),
      expect.objectContaining({ key: 'no_label', code: 'LABEL_MISSING' }),
    ]);
    const failures = e.details.failures as Array<{ key: string; message: string }>;
    expect(failures.every((f) => f.message.startsWith(`${f.key}: `))).toBe(true);
  });

  it('a single failure keeps its own code: LABEL_MISSING', async () => {
    await expect(
      resolvePlan([planned('no_label', 'library/plain:1', { tagFromLabel: { value: 'rdo_version' } })], { ctx }),
    ).rejects.toMatchObject({ code: 'LABEL_MISSING', details: { failures: [{ key: 'no_label', code: 'LABEL_MISSING' }] } });
  });

  it('an unreachable registry is REGISTRY_UNREACHABLE after exactly the attempts --retries allows', async () => {
    const port = await freePort();
    const source = parseReference(`127.0.0.1:${port}/x/y:1`);
    const p: PlannedImage = { key: 'gone', template: 'x/y:1', source, params: {}, rules: [], labelPlatform: AMD64 };
    for (const retries of [0, 2]) {
      const c = createTransportContext({ registries: { retries, retryBaseMs: 1 } });
      try {
        const err = (await resolvePlan([p], { ctx: c }).catch((e: unknown) => e)) as AirlockError;
        expect(err.code).toBe('REGISTRY_UNREACHABLE');
        expect((err.cause as AirlockError).details.attempts).toBe(retries + 1);
        expect(registryPool(c).stats().requests).toBe(retries + 1);
      } finally {
        await c.close();
      }
    }
  });
});

describe('resolvePlan --from a store (no network)', () => {
  it('pins the same digests from the store as from the registry, tag_from_label included, with no request', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'airlock-resolve-store-'));
    const offline = createTransportContext({ storeDir: dir, registries: { retries: 0 } });
    try {
      await writeOciLayout(dir, [
        { name: `${A.host}/tripleo/nova-api:current-tripleo`, image: nova },
        { name: `${A.host}/tripleo/nova-api:1.2.3-4`, image: nova },
        { name: `${A.host}/ceph/ceph:v18`, image: ceph },
      ]);
      const images = [
        planned('nova', 'tripleo/nova-api:current-tripleo', { tagFromLabel: { value: '{version}-{release}' } }),
        planned('ceph', 'ceph/ceph:v18'),
      ];
      const fromStore = await resolvePlan(images, { ctx: offline, from: parseNamespace('store:') });
      const fromRegistry = await resolvePlan(images, { ctx });
      expect(fromStore).toEqual(fromRegistry);
      expect(fromStore.images.nova!.tag).toBe('1.2.3-4');
      expect(fromStore.images.ceph!.platforms).toHaveLength(3);
      expect(registryPool(offline).stats().requests).toBe(0);

      const missing = resolvePlan([planned('gone', 'tripleo/nova-api:9.9')], { ctx: offline, from: parseNamespace('store:') });
      await expect(missing).rejects.toMatchObject({ code: 'IMAGE_NOT_FOUND' });
    } finally {
      await offline.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
