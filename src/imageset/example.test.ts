import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatReference } from '../ref/reference.js';
import { registryCredentials } from './credentials.js';
import { loadImageSet } from './load.js';
import { planImageSet } from './rules.js';

const example = join(import.meta.dirname, '..', '..', 'examples', 'tripleo', 'images.yaml');

describe('the TripleO example image set', () => {
  it('loads and plans the way ContainerImagePrepare would', async () => {
    const set = await loadImageSet(example);
    const plan = planImageSet(set);
    const images = Object.fromEntries(plan.map((p) => [p.key, p]));

    expect(formatReference(images.nova_api!.source)).toBe('quay.io/tripleomastercentos9/openstack-nova-api:current-tripleo');
    expect(images.nova_api!.tagFromLabel).toEqual({ value: '{version}-{release}', rule: 1 });
    expect(images.nova_api!.pushDestination).toEqual({ value: 'registry.local:8787', rule: 0 });
    expect(images.nova_api!.platforms).toBeUndefined();
    expect(images.nova_compute!.platforms?.rule).toBe(2);

    expect(formatReference(images.ceph!.source)).toBe('quay.io/ceph/ceph:v18');
    expect(images.ceph!.tagFromLabel).toBeUndefined();
    expect(images.ceph_alertmanager!.tagFromLabel).toBeUndefined();
    expect(images.ceph!.pushDestination?.value).toBe('registry.local:8787');

    expect(registryCredentials(set, { QUAY_USERNAME: 'robot', QUAY_PASSWORD: 'token' })).toEqual({
      'quay.io': { username: 'robot', password: 'token' },
    });
  });

  it('drops every Ceph image with ceph_images: false', async () => {
    const keys = planImageSet(await loadImageSet(example), { ceph_images: false }).map((p) => p.key);
    expect(keys.length).toBeGreaterThan(10);
    expect(keys.filter((k) => k.startsWith('ceph'))).toEqual([]);
  });
});
