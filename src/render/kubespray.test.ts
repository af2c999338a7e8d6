import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { errorCodeOf } from '../../test/helpers/codes.js';
import type { LockedImage, LockFile } from '../lock/types.js';
import type { Digest } from '../oci/digest.js';
import { render } from './index.js';

const hex = (s: string) => createHash('sha256').update(s).digest('hex');

/** A lock entry for `ref` (registry/repo:tag) with a digest made from the reference itself. */
function image(ref: string, extra: Partial<LockedImage> = {}): LockedImage {
  const digest = `sha256:${hex(ref)}` as Digest;
  const tag = ref.slice(ref.lastIndexOf(':') + 1);
  return { source: `${ref}@${digest}`, tag, digest, mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 100, origin: { template: ref }, ...extra };
}

const vars = (lock: LockFile, unpinned = false) => {
  const out = render(lock, 'kubespray', { unpinned });
  if (out.kind !== 'file') throw new Error('expected one file');
  return { vars: parseYaml(out.content) as Record<string, string>, warnings: out.warnings };
};

describe('kubespray', () => {
  it('pairs each tag with the digest of that very tag, also for several tags of one repository', () => {
    const lock: LockFile = {
      version: 1,
      images: {
        ceph_17: image('quay.io/ceph/ceph:v17'),
        ceph_18: image('quay.io/ceph/ceph:v18', { destination: 'mirror.local:5000/ceph/ceph:v18' }),
        ceph_19: image('quay.io/ceph/ceph:v19'),
      },
    };
    const { vars: v } = vars(lock);
    for (const [key, tag] of [['ceph_17', 'v17'], ['ceph_18', 'v18'], ['ceph_19', 'v19']] as const) {
      expect(v[`${key}_image_tag`]).toBe(tag);
      expect(v[`${key}_digest_checksum`]).toBe(hex(`quay.io/ceph/ceph:${tag}`));
    }
    expect(v.ceph_18_image_repo).toBe('mirror.local:5000/ceph/ceph');
    expect(v.ceph_17_image_repo).toBe('quay.io/ceph/ceph');
  });

  it('takes the destination tag with the digest when the destination names its own tag', () => {
    const lock: LockFile = { version: 1, images: { app: image('quay.io/a/app:1.0', { destination: 'mirror.local:5000/a/app:1.0-airgap' }) } };
    const { vars: v } = vars(lock);
    expect([v.app_image_repo, v.app_image_tag, v.app_digest_checksum]).toEqual(['mirror.local:5000/a/app', '1.0-airgap', hex('quay.io/a/app:1.0')]);
  });

  it('leaves the checksum empty (never a stale one) when unpinned or when a filtered index has an unknown digest', () => {
    const lock: LockFile = {
      version: 1,
      images: {
        plain: image('quay.io/a/plain:1'),
        filtered: image('quay.io/a/multi:2', {
          mediaType: 'application/vnd.oci.image.index.v1+json',
          platforms: [{ platform: 'linux/amd64', digest: `sha256:${hex('amd64')}` as Digest, size: 10, mediaType: 'application/vnd.oci.image.manifest.v1+json' }],
          destination: 'mirror.local:5000/a/multi:2',
          keep_platforms: ['linux/amd64'],
        }),
      },
    };
    const pinned = vars(lock);
    expect(pinned.vars.plain_digest_checksum).toBe(hex('quay.io/a/plain:1'));
    expect(pinned.vars.filtered_digest_checksum).toBe('');
    expect(pinned.vars.filtered_image_tag).toBe('2');
    expect(pinned.warnings).toHaveLength(1);
    expect(pinned.warnings[0]).toContain('filtered');
    const unpinned = vars(lock, true);
    expect(unpinned.vars.plain_digest_checksum).toBe('');
    expect(unpinned.vars.plain_image_tag).toBe('1');
  });

  it('pins a filtered index by the digest the lock recorded for it', () => {
    const filtered = `sha256:${hex('filtered')}` as Digest;
    const lock: LockFile = {
      version: 1,
      images: {
        multi: image('quay.io/a/multi:2', {
          mediaType: 'application/vnd.oci.image.index.v1+json',
          platforms: [{ platform: 'linux/amd64', digest: `sha256:${hex('amd64')}` as Digest, size: 10, mediaType: 'application/vnd.oci.image.manifest.v1+json' }],
          destination: 'mirror.local:5000/a/multi:2',
          keep_platforms: ['linux/amd64'],
          filtered_digest: filtered,
        }),
      },
    };
    const out = vars(lock);
    expect(out.vars.multi_digest_checksum).toBe(hex('filtered'));
    expect(out.warnings).toEqual([]);
  });

  it('refuses what Kubespray cannot take: an untagged image, clashing variable names', () => {
    const d = `sha256:${hex('x')}` as Digest;
    const untagged: LockFile = {
      version: 1,
      images: { x: { source: `quay.io/a/x@${d}`, digest: d, mediaType: 'm', size: 1, origin: { template: 'quay.io/a/x' } } },
    };
    expect(errorCodeOf(() => render(untagged, 'kubespray'))).toBe('RENDER_UNSUPPORTED');
    const clash: LockFile = { version: 1, images: { 'nova-api': image('quay.io/a/n:1'), nova_api: image('quay.io/a/n:2') } };
    expect(errorCodeOf(() => render(clash, 'kubespray'))).toBe('RENDER_UNSUPPORTED');
    expect(errorCodeOf(() => render(clash, 'tripleo'))).toBe('RENDER_UNSUPPORTED');
    // Other formats key by the lock key itself and have no clash.
    expect(errorCodeOf(() => render(clash, 'atmosphere'))).toBeUndefined();
  });

  it('turns dashes into underscores so the variables are valid Ansible names', () => {
    const { vars: v } = vars({ version: 1, images: { 'kube-proxy': image('registry.k8s.io/kube-proxy:v1.30.0') } });
    expect(Object.keys(v)).toEqual(['kube_proxy_image_repo', 'kube_proxy_image_tag', 'kube_proxy_digest_checksum']);
  });
});
