import { describe, expect, it } from 'vitest';
import { digestOf } from '../oci/digest.js';
import { formatLocation, parseNamespace } from '../transport/location.js';
import { mirrorInputKind } from './detect.js';
import { planLockMirror } from './mirror.js';
import type { LockFile } from './types.js';
import { formatLock } from './write.js';

const d = (s: string) => digestOf(s);
const LOCK: LockFile = {
  version: 1,
  images: {
    nova_api: {
      source: `quay.io/tripleo/nova-api:1.2.3-4@${d('nova')}`,
      tag: '1.2.3-4',
      digest: d('nova'),
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      size: 10,
      destination: 'reg.local:5000/mirror/tripleo/nova-api:1.2.3-4',
      origin: { template: 'x' },
    },
    ceph: {
      source: `quay.io/ceph/ceph:v18@${d('ceph')}`,
      tag: 'v18',
      digest: d('ceph'),
      mediaType: 'application/vnd.oci.image.index.v1+json',
      size: 10,
      keep_platforms: ['linux/amd64'],
      origin: { template: 'y' },
    },
    dnsmasq: {
      source: `docker.io/andyshinn/dnsmasq@${d('dns')}`,
      digest: d('dns'),
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      size: 10,
      destination: `reg.local:5000/andyshinn/dnsmasq@${d('dns')}`,
      origin: { template: 'z' },
    },
  },
};

const show = (pairs: ReturnType<typeof planLockMirror>) =>
  pairs.map((p) => `${formatLocation(p.source)} -> ${formatLocation(p.destination)}${p.platforms ? ` ${p.platforms.length}` : ''}`);

describe('planLockMirror', () => {
  it('copies each pinned source to its own destination; --only picks one key', () => {
    const { ceph: _, ...withDest } = LOCK.images;
    expect(show(planLockMirror({ version: 1, images: withDest }))).toEqual([
      `docker://docker.io/andyshinn/dnsmasq@${d('dns')} -> docker://reg.local:5000/andyshinn/dnsmasq@${d('dns')}`,
      `docker://quay.io/tripleo/nova-api:1.2.3-4@${d('nova')} -> docker://reg.local:5000/mirror/tripleo/nova-api:1.2.3-4`,
    ]);
    expect(show(planLockMirror(LOCK, { only: 'nova_api' }))).toHaveLength(1);
  });

  it('--to overrides every destination and keeps the source path under it; keep_platforms travel', () => {
    const pairs = planLockMirror(LOCK, { to: parseNamespace('other:5000/x') });
    expect(show(pairs)).toEqual([
      `docker://quay.io/ceph/ceph:v18@${d('ceph')} -> docker://other:5000/x/ceph/ceph:v18 1`,
      `docker://docker.io/andyshinn/dnsmasq@${d('dns')} -> docker://other:5000/x/andyshinn/dnsmasq@${d('dns')}`,
      `docker://quay.io/tripleo/nova-api:1.2.3-4@${d('nova')} -> docker://other:5000/x/tripleo/nova-api:1.2.3-4`,
    ]);
    expect(pairs[0]!.platforms).toEqual([{ os: 'linux', architecture: 'amd64' }]);
    expect(show(planLockMirror(LOCK, { to: parseNamespace('store:'), only: 'ceph' }))).toEqual([
      `docker://quay.io/ceph/ceph:v18@${d('ceph')} -> store:quay.io/ceph/ceph:v18 1`,
    ]);
  });

  it('reads from the store and from a layout pinned by digest', () => {
    const store = planLockMirror(LOCK, { only: 'nova_api', from: parseNamespace('store:') });
    expect(formatLocation(store[0]!.source)).toBe(`store:quay.io/tripleo/nova-api:1.2.3-4@${d('nova')}`);
    const oci = planLockMirror(LOCK, { only: 'nova_api', from: parseNamespace('oci:b') });
    expect(formatLocation(oci[0]!.source)).toBe(`oci:b:quay.io/tripleo/nova-api:1.2.3-4@${d('nova')}`);
  });

  it('carries what the lock pins, so an up-to-date destination is decided without reading the source', () => {
    const [pair] = planLockMirror(LOCK, { only: 'ceph', to: parseNamespace('other:5000') });
    expect(pair!.pinned).toEqual({ source: { mediaType: LOCK.images.ceph!.mediaType, digest: d('ceph'), size: 10 }, result: d('ceph') });
    const filtered = { ...LOCK.images.ceph!, filtered_digest: d('filtered') };
    const [f] = planLockMirror({ version: 1, images: { ceph: filtered } }, { to: parseNamespace('other:5000') });
    expect(f!.pinned!.result).toBe(d('filtered'));
  });

  it('USAGE for an unknown key and for images without destination and no --to', () => {
    expect(() => planLockMirror(LOCK, { only: 'nope' })).toThrow(expect.objectContaining({ code: 'USAGE' }));
    expect(() => planLockMirror(LOCK)).toThrow(expect.objectContaining({ code: 'USAGE', details: { keys: ['ceph'] } }));
  });
});

describe('mirrorInputKind', () => {
  it('tells locks, image sets and lists apart', () => {
    expect(mirrorInputKind('images.lock.yaml', formatLock(LOCK))).toBe('lock');
    expect(mirrorInputKind('x.yml', 'version: 1\nimages:\n  ceph: quay.io/ceph/ceph:v18\n')).toBe('imageset');
    expect(mirrorInputKind('x.yaml', 'images:\n  ceph: { ref: "quay.io/ceph/ceph:v18" }\n')).toBe('imageset');
    expect(mirrorInputKind('x.yaml', 'images: [\n')).toBe('imageset');
    expect(mirrorInputKind('images.txt', formatLock(LOCK))).toBe('list');
  });
});
