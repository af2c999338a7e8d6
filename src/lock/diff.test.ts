import { describe, expect, it } from 'vitest';
import { digestOf } from '../oci/digest.js';
import { diffLocks, formatLockDiff, isEmptyDiff } from './diff.js';
import type { LockedImage, LockFile } from './types.js';

const d = (s: string) => digestOf(s);

function image(repo: string, tag: string, seed: string, extra: Partial<LockedImage> = {}): LockedImage {
  return {
    source: `quay.io/${repo}:${tag}@${d(seed)}`,
    tag,
    digest: d(seed),
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    size: 100,
    origin: { template: `quay.io/${repo}:${tag}` },
    ...extra,
  };
}

const multi = (seed: string, arm: string): Partial<LockedImage> => ({
  mediaType: 'application/vnd.oci.image.index.v1+json',
  platforms: [
    { platform: 'linux/amd64', digest: d(`${seed}/amd64`), size: 10, mediaType: 'application/vnd.oci.image.manifest.v1+json' },
    { platform: 'linux/arm64', digest: d(arm), size: 10, mediaType: 'application/vnd.oci.image.manifest.v1+json' },
  ],
});

const OLD: LockFile = {
  version: 1,
  images: {
    ceph: image('ceph/ceph', 'v18', 'ceph', multi('ceph', 'arm-1')),
    keystone: image('tripleo/keystone', '1.0-1', 'ks1'),
    dnsmasq: image('andyshinn/dnsmasq', '2.72', 'dns'),
  },
};

describe('diffLocks', () => {
  it('is empty for equal locks', () => {
    expect(isEmptyDiff(diffLocks(OLD, structuredClone(OLD)))).toBe(true);
    expect(formatLockDiff(diffLocks(OLD, OLD))).toBe('');
  });

  it('lists added, removed and changed images by field', () => {
    const next: LockFile = {
      version: 1,
      images: {
        ceph: image('ceph/ceph', 'v18', 'ceph2', multi('ceph', 'arm-2')),
        keystone: image('tripleo/keystone', '1.0-2', 'ks2'),
        nova: image('tripleo/nova', '1.0-2', 'nova'),
      },
    };
    const diff = diffLocks(OLD, next);
    expect(diff.added.map((e) => e.key)).toEqual(['nova']);
    expect(diff.removed.map((e) => e.key)).toEqual(['dnsmasq']);
    expect(diff.changed.filter((c) => c.key === 'keystone').map((c) => c.field)).toEqual(['tag', 'digest', 'origin']);
    expect(diff.changed).toContainEqual({ key: 'keystone', field: 'tag', from: '1.0-1', to: '1.0-2' });
    expect(diff.changed).toContainEqual({ key: 'ceph', field: 'platform linux/arm64', from: d('arm-1'), to: d('arm-2') });
    expect(diff.changed.some((c) => c.field === 'platform linux/amd64')).toBe(false);
    const moved = structuredClone(next);
    moved.images.nova!.source = moved.images.nova!.source.replace('tripleo/nova', 'kolla/nova');
    expect(diffLocks(next, moved).changed).toEqual([{ key: 'nova', field: 'repository', from: 'quay.io/tripleo/nova', to: 'quay.io/kolla/nova' }]);
  });

  it('a platform or destination that appears has no `from`', () => {
    const next = structuredClone(OLD);
    next.images.dnsmasq!.destination = 'reg.local/andyshinn/dnsmasq:2.72';
    next.images.ceph!.platforms!.push({ platform: 'linux/s390x', digest: d('s390x'), size: 1, mediaType: 'm' });
    const diff = diffLocks(OLD, next);
    expect(diff.changed).toEqual([
      { key: 'ceph', field: 'platform linux/s390x', to: d('s390x') },
      { key: 'dnsmasq', field: 'destination', to: 'reg.local/andyshinn/dnsmasq:2.72' },
    ]);
  });
});

describe('formatLockDiff', () => {
  it('prints one line per image in key order', () => {
    const next = structuredClone(OLD);
    delete next.images.dnsmasq;
    next.images.keystone = image('tripleo/keystone', '1.0-2', 'ks2');
    next.images.aodh = image('tripleo/aodh', '1', 'aodh');
    const text = formatLockDiff(diffLocks(OLD, next));
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe(`+ aodh quay.io/tripleo/aodh:1@${d('aodh')}`);
    expect(lines[1]).toBe(`- dnsmasq quay.io/andyshinn/dnsmasq:2.72@${d('dns')}`);
    expect(lines[2]).toMatch(/^~ keystone: tag 1\.0-1 -> 1\.0-2, digest sha256:\w+ -> sha256:\w+, origin /);
    expect(lines[2]).toContain(`digest ${d('ks1')} -> ${d('ks2')}`);
    expect(lines).toHaveLength(3);
  });
});
