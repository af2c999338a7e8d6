import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../errors.js';
import { fixture, thrown } from '../../../test/fixtures/importers/fixtures.js';
import { importAtmosphere } from './atmosphere.js';

const refsOf = (...texts: string[]) =>
  Object.fromEntries(
    Object.entries(importAtmosphere(texts.map((text, i) => ({ file: `m${i}.yml`, text }))).images).map(([k, v]) => [k, v.ref]),
  );

describe('importAtmosphere', () => {
  it('reads the fixture (manifest under _atmosphere_images, pinned and unpinned refs) exactly', () => {
    expect(importAtmosphere([fixture('atmosphere-images.yml')])).toEqual({
      version: 1,
      parameters: {},
      images: {
        barbican_api: { ref: 'quay.io/vexxhost/barbican:zed' },
        ceph: { ref: 'quay.io/ceph/ceph:v18.2.1' },
        cilium_node: {
          ref: 'quay.io/cilium/cilium:v1.14.8@sha256:4f8ca1c24b7d8c6e0f1ba5e4ed5e4a8ab19c7d6a3a98d2ebd38a4f6a2be3c9f1',
        },
        csi_rbd_plugin: { ref: 'quay.io/cephcsi/cephcsi:v3.9.0' },
        glance_api: { ref: 'quay.io/vexxhost/glance:zed' },
        horizon: { ref: 'quay.io/vexxhost/horizon:zed' },
        ingress_nginx_controller: {
          ref: 'registry.k8s.io/ingress-nginx/controller:v1.9.6@sha256:1405cc613bd95b2c6edd8b2a152510ae91c7e62aea4698500d23b2145960ab9c',
        },
        keystone_api: { ref: 'quay.io/vexxhost/keystone:zed' },
        kubernetes_entrypoint: { ref: 'quay.io/airshipit/kubernetes-entrypoint:latest-ubuntu_focal' },
        memcached: { ref: 'docker.io/library/memcached:1.6.17' },
        neutron_server: { ref: 'quay.io/vexxhost/neutron:zed' },
        nova_api: { ref: 'quay.io/vexxhost/nova:zed' },
        percona_xtradb_cluster: { ref: 'docker.io/percona/percona-xtradb-cluster:8.0.32-24.2' },
        rabbitmq_server: { ref: 'docker.io/library/rabbitmq:3.10.2-management' },
      },
      rules: [],
      credentials: {},
    });
  });

  it('accepts a bare map and an atmosphere_images: map, normalising references', () => {
    expect(refsOf('keystone_api: quay.io/vexxhost/keystone:zed\nmemcached: memcached:1.6')).toEqual({
      keystone_api: 'quay.io/vexxhost/keystone:zed',
      memcached: 'docker.io/library/memcached:1.6',
    });
    expect(refsOf('atmosphere_images:\n  nova_api: quay.io/vexxhost/nova:zed\nother_var: 3\n')).toEqual({
      nova_api: 'quay.io/vexxhost/nova:zed',
    });
  });

  it('lets a later file override an entry, and follows YAML aliases', () => {
    const base = 'ceph: &c quay.io/ceph/ceph:v18\nceph_mon: *c\nnova_api: quay.io/vexxhost/nova:zed\n';
    expect(refsOf(base, 'ceph: registry.local/ceph/ceph:v18.2.1\n')).toEqual({
      ceph: 'registry.local/ceph/ceph:v18.2.1',
      ceph_mon: 'quay.io/ceph/ceph:v18',
      nova_api: 'quay.io/vexxhost/nova:zed',
    });
  });

  it('normalises keys and dedupes collisions in file order', () => {
    expect(refsOf('Keystone-API: quay.io/a:1\nkeystone_api: quay.io/b:1\n2fa: quay.io/c:1\n')).toEqual({
      keystone_api: 'quay.io/a:1',
      keystone_api_2: 'quay.io/b:1',
      image_2fa: 'quay.io/c:1',
    });
  });

  it.each([
    ['a list', '- quay.io/a:1\n', 1],
    ['a map value', 'ok: quay.io/a:1\nbad:\n  ref: quay.io/b:1\n', 2],
    ['a number', 'ok: quay.io/a:1\nbad: 3\n', 2],
    ['Jinja', 'ok: quay.io/a:1\nbad: "{{ prefix }}/b:1"\n', 2],
    ['an invalid reference', 'ok: quay.io/a:1\n\nbad: "quay.io/b:1@sha256:nope"\n', 3],
    ['bad YAML', 'ok: quay.io/a:1\nbad: quay.io/b: 1\nmore: quay.io/c:1\n', 2],
    ['an unterminated string (reported where the quote is missing)', 'ok: quay.io/a:1\nbad: "unterminated\n', 3],
  ])('%s is IMPORT_INVALID with the line', (_what, text, line) => {
    const err = thrown(() => importAtmosphere([{ file: 'manifest.yml', text }]));
    expect(err.code).toBe(ErrorCodes.IMPORT_INVALID);
    expect(err.details).toMatchObject({ file: 'manifest.yml', line });
  });
});
