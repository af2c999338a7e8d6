import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../errors.js';
import type { LockedImage } from '../lock/types.js';
import type { Digest } from '../oci/digest.js';
import { containerdName, parseNames } from './names.js';

const D = `sha256:${'a'.repeat(64)}` as Digest;
const F = `sha256:${'f'.repeat(64)}` as Digest;
const locked = (source: string, extra: Partial<LockedImage> = {}): LockedImage => ({
  source,
  digest: D,
  mediaType: 'application/vnd.oci.image.index.v1+json',
  size: 1,
  origin: { template: source },
  ...extra,
});

describe('containerdName', () => {
  it('is the source reference without the digest by default', () => {
    expect(containerdName(locked(`quay.io/ceph/ceph:v18@${D}`), D)).toBe('quay.io/ceph/ceph:v18');
    // Docker Hub names as the kubelet and containerd spell them.
    expect(containerdName(locked(`nginx:1.25@${D}`), D)).toBe('docker.io/library/nginx:1.25');
  });

  it('is the lock destination when it has one', () => {
    expect(containerdName(locked(`quay.io/ceph/ceph:v18@${D}`, { destination: 'registry.local:5000/mirror/ceph/ceph:v18' }), D)).toBe(
      'registry.local:5000/mirror/ceph/ceph:v18',
    );
  });

  it('with --names, is where mirror --to REGISTRY/PREFIX puts the image (over the destination)', () => {
    const names = parseNames('registry.local:5000/mirror');
    const image = locked(`quay.io/ceph/ceph:v18@${D}`, { destination: 'elsewhere.example/ceph/ceph:v18' });
    expect(containerdName(image, D, names)).toBe('registry.local:5000/mirror/ceph/ceph:v18');
    expect(containerdName(image, D, parseNames('registry.local:5000'))).toBe('registry.local:5000/ceph/ceph:v18');
  });

  it('names an image locked without a tag by its locked root digest (the filtered index when platforms were kept)', () => {
    expect(containerdName(locked(`quay.io/ceph/ceph@${D}`), D)).toBe(`quay.io/ceph/ceph@${D}`);
    expect(containerdName(locked(`quay.io/ceph/ceph@${D}`, { filtered_digest: F }), F)).toBe(`quay.io/ceph/ceph@${F}`);
    expect(containerdName(locked(`quay.io/ceph/ceph@${D}`), D, parseNames('reg.local/m'))).toBe(`reg.local/m/ceph/ceph@${D}`);
  });

  it('--names takes a registry, not store: or oci:', () => {
    expect(() => parseNames('store:')).toThrow(expect.objectContaining({ code: ErrorCodes.USAGE }));
    expect(() => parseNames('oci:/tmp/x')).toThrow(expect.objectContaining({ code: ErrorCodes.USAGE }));
  });
});
