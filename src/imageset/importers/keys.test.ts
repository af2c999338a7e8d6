import { describe, expect, it } from 'vitest';
import { KeyAllocator, normaliseKey } from './keys.js';

describe('normaliseKey', () => {
  it.each([
    ['keystone_api', 'keystone_api'],
    ['Keystone-API', 'keystone_api'],
    ['k8s-dns-node-cache', 'k8s_dns_node_cache'],
    ['a..b--c__d', 'a_b_c_d'],
    ['-nginx-', 'nginx'],
    ['ingress/nginx:v1.2', 'ingress_nginx_v1_2'],
    ['1.25.3', 'image_1_25_3'],
    ['---', 'image'],
    ['', 'image'],
    ['Ünïcode', 'n_code'],
  ])('%j -> %j', (input, key) => {
    expect(normaliseKey(input)).toBe(key);
    expect(key).toMatch(/^[a-z_][a-z0-9_]*$/);
  });
});

describe('KeyAllocator', () => {
  it('suffixes repeats in call order and skips suffixes already taken', () => {
    const keys = new KeyAllocator();
    expect(['nginx', 'Nginx', 'nginx_2', 'nginx', 'NGINX'].map((n) => keys.allocate(n))).toEqual([
      'nginx',
      'nginx_2',
      'nginx_2_2',
      'nginx_3',
      'nginx_4',
    ]);
  });
});
