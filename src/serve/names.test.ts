import { describe, expect, it } from 'vitest';
import type { LayoutContent } from '../transport/layout/content.js';
import { parseNamespace, storeRepository } from './names.js';

const layoutOf = (repos: string[]) => ({ refs: { repositories: async () => repos } }) as unknown as LayoutContent;
const store = layoutOf(['quay.io/ceph/ceph', 'docker.io/library/nginx', 'ghcr.io/library/nginx', 'registry.local:5000/kept/by-destination', 'plain/name']);

describe('storeRepository', () => {
  it('serves a store name as it is', async () => {
    expect(await storeRepository(store, 'quay.io/ceph/ceph', [])).toBe('quay.io/ceph/ceph');
    expect(await storeRepository(store, 'plain/name', [parseNamespace('registry.local:5000/mirror')!])).toBe('plain/name');
  });

  it('without --registry-name, finds the one store image a name without its registry means, and no guess when two could', async () => {
    expect(await storeRepository(store, 'ceph/ceph', [])).toBe('quay.io/ceph/ceph');
    expect(await storeRepository(store, 'library/nginx', [])).toBe('library/nginx');
  });

  it('with --registry-name HOST/PREFIX, strips the prefix the lock destinations put in front', async () => {
    const ns = [parseNamespace('registry.local:5000/mirror')!];
    expect(await storeRepository(store, 'mirror/ceph/ceph', ns)).toBe('quay.io/ceph/ceph');
    expect(await storeRepository(store, 'ceph/ceph', ns)).toBe('ceph/ceph');
    expect(await storeRepository(store, 'other/ceph/ceph', ns)).toBe('other/ceph/ceph');
    // As a containerd mirror request (ns=registry.local:5000) names it.
    expect(await storeRepository(store, 'registry.local:5000/mirror/ceph/ceph', ns)).toBe('quay.io/ceph/ceph');
  });

  it('with --registry-name HOST, finds images kept under their destination names', async () => {
    const ns = [parseNamespace('registry.local:5000')!];
    expect(await storeRepository(store, 'kept/by-destination', ns)).toBe('registry.local:5000/kept/by-destination');
    expect(await storeRepository(store, 'ceph/ceph', ns)).toBe('quay.io/ceph/ceph');
  });
});

describe('parseNamespace', () => {
  it('takes HOST[:PORT][/PREFIX] and refuses the rest', () => {
    expect(parseNamespace('registry.local:5000/a/b/')).toEqual({ host: 'registry.local:5000', prefix: 'a/b' });
    expect(parseNamespace('[::1]:5000')).toEqual({ host: '[::1]:5000' });
    expect(parseNamespace('https://x')).toBeUndefined();
    expect(parseNamespace('')).toBeUndefined();
  });
});
