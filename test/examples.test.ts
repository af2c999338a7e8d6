import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { importImageSet } from '../src/imageset/importers/index.js';
import { loadImageSet } from '../src/imageset/load.js';
import { planImageSet } from '../src/imageset/rules.js';

const read = async (file: string) => [{ file, text: await readFile(file, 'utf8') }];

describe('the examples the migration guide uses', () => {
  it('imports the Atmosphere manifest into a plan of every image', async () => {
    const set = importImageSet('atmosphere', await read('examples/atmosphere/image-manifest.yml'));
    const plan = planImageSet(set);
    expect(plan.map((p) => p.key)).toContain('keystone_api');
    expect(plan).toHaveLength(9);
  });

  it('imports the Kubespray vars with their Jinja variables resolved', async () => {
    const plan = planImageSet(importImageSet('kubespray', await read('examples/kubespray/download-vars.yml')));
    const pause = plan.find((p) => p.key === 'pod_infra');
    expect(pause?.source).toMatchObject({ registry: 'registry.k8s.io', repository: 'pause', tag: '3.9' });
    expect(plan).toHaveLength(5);
  });

  it('plans the TripleO image set with and without the Ceph images', async () => {
    const set = await loadImageSet('examples/tripleo/images.yaml');
    const all = planImageSet(set);
    const noCeph = planImageSet(set, { ceph_images: false });
    expect(all.length - noCeph.length).toBe(4);
    expect(noCeph.every((p) => !p.key.startsWith('ceph'))).toBe(true);
  });
});
