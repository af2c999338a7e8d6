import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../errors.js';
import { fixture, thrown } from '../../../test/fixtures/importers/fixtures.js';
import { importAtmosphere } from './atmosphere.js';

const refsOf = (...texts: string[]) =>
  Object.fromEntries(
    Object.entries(importAtmosphere(texts.map((text, i) => ({ file: `m${i}.yml`, text }))).images).map(([k, v]) => [k, v.ref]),
  );

describe('importAtmosphere', () => {
  it('reads the fixture (manifest under _atmosphere_images, pinned and unpinned refs) exactly, with where each came from', () => {
    const set = importAtmosphere([fixture('atmosphere-images.yml')]);
    expect(Object.fromEntries(Object.entries(set.images).map(([k, v]) => [k, v.ref]))).toEqual({
      barbican_api: 'quay.io/vexxhost/barbican:zed',
      ceph: 'quay.io/ceph/ceph:v18.2.1',
      cilium_node: 'quay.io/cilium/cilium:v1.14.8@sha256:4f8ca1c24b7d8c6e0f1ba5e4ed5e4a8ab19c7d6a3a98d2ebd38a4f6a2be3c9f1',
      csi_rbd_plugin: 'quay.io/cephcsi/cephcsi:v3.9.0',
      glance_api: 'quay.io/vexxhost/glance:zed',
      horizon: 'quay.io/vexxhost/horizon:zed',
      ingress_nginx_controller: 'registry.k8s.io/ingress-nginx/controller:v1.9.6@sha256:1405cc613bd95b2c6edd8b2a152510ae91c7e62aea4698500d23b2145960ab9c',
      keystone_api: 'quay.io/vexxhost/keystone:zed',
      kubernetes_entrypoint: 'quay.io/airshipit/kubernetes-entrypoint:latest-ubuntu_focal',
      memcached: 'docker.io/library/memcached:1.6.17',
      neutron_server: 'quay.io/vexxhost/neutron:zed',
      nova_api: 'quay.io/vexxhost/nova:zed',
      percona_xtradb_cluster: 'docker.io/percona/percona-xtradb-cluster:8.0.32-24.2',
      rabbitmq_server: 'docker.io/library/rabbitmq:3.10.2-management',
    });
    expect(set).toMatchObject({ version: 1, parameters: {}, rules: [], credentials: {} });
    expect(set.images.memcached!.imported).toEqual({ tool: 'atmosphere', file: 'atmosphere-images.yml', line: 14, name: 'memcached' });
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
    ['Jinja on a missing variable', 'ok: quay.io/a:1\nbad: "{{ prefix }}/b:1"\n', 2],
    ['a version string (not an image list)', 'atmosphere_version: 6.0.0-beta.3\natmosphere_ingress_class_name: atmosphere\n', 1],
    ['an image map that is not a map', 'ok: 1\n_atmosphere_images: "quay.io/a:1"\n', 2],
    ['atmosphere_images built some other way', '_atmosphere_images: {}\natmosphere_images: "{{ my_images }}"\n', 2],
    ['an invalid reference', 'ok: quay.io/a:1\n\nbad: "quay.io/b:1@sha256:nope"\n', 3],
    ['bad YAML', 'ok: quay.io/a:1\nbad: quay.io/b: 1\nmore: quay.io/c:1\n', 2],
    ['an unterminated string (reported where the quote is missing)', 'ok: quay.io/a:1\nbad: "unterminated\n', 3],
  ])('%s is IMPORT_INVALID with the line', (_what, text, line) => {
    const err = thrown(() => importAtmosphere([{ file: 'manifest.yml', text }]));
    expect(err.code).toBe(ErrorCodes.IMPORT_INVALID);
    expect(err.details).toMatchObject({ file: 'manifest.yml', line });
  });
});

const ROLE = 'atmosphere-2025/roles/defaults';
const roleVars = () => fixture(`${ROLE}/vars/main.yml`);
const roleDefaults = () => fixture(`${ROLE}/defaults/main.yml`);
const inventoryOverrides = () => fixture('atmosphere-2025/inventory/group_vars/all/images.yml');

describe("importAtmosphere on Atmosphere's role vars (templates on atmosphere_image_prefix)", () => {
  it("evaluates every entry with the role defaults, as Atmosphere's playbook does", () => {
    const set = importAtmosphere([roleDefaults(), roleVars()]);
    const refs = Object.fromEntries(Object.entries(set.images).map(([k, v]) => [k, v.ref]));
    expect(Object.keys(refs)).toHaveLength(19);
    expect(refs).toMatchObject({
      alertmanager: 'quay.io/prometheus/alertmanager:v0.28.1',
      keystone_api: 'registry.atmosphere.dev/library/keystone:2025.1',
      kube_proxy: 'registry.k8s.io/kube-proxy:v1.30.6',
      cilium_operator: 'quay.io/cilium/operator-generic:v1.16.4',
      keepalived: 'ghcr.io/vexxhost/keepalived:2.2.8@sha256:0b8f4a1c0e3b5a9d7c6e2f1a4b3c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e',
      secretgen_controller: 'ghcr.io/carvel-dev/secretgen-controller@sha256:6f3a1e0d2c4b5a69788796a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5',
    });
    expect(set.images.kube_proxy!.imported).toEqual({
      tool: 'atmosphere',
      file: 'roles/defaults/vars/main.yml',
      line: 20,
      name: 'kube_proxy',
      expression: '{{ atmosphere_image_prefix }}registry.k8s.io/kube-proxy:v{{ atmosphere_kubernetes_version }}',
    });
  });

  it('applies --set over every file (a prefix, a Kubernetes version)', () => {
    const set = importAtmosphere([roleDefaults(), roleVars()], undefined, { sets: { atmosphere_image_prefix: 'mirror.example:5000/', atmosphere_kubernetes_version: '1.31.2' } });
    expect(set.images.kube_proxy!.ref).toBe('mirror.example:5000/registry.k8s.io/kube-proxy:v1.31.2');
    expect(set.images.memcached!.ref).toBe('mirror.example:5000/docker.io/library/memcached:1.6.32');
  });

  it('reports a variable missing for every image once, with how to supply it', () => {
    const err = thrown(() => importAtmosphere([roleVars()]));
    expect(err.code).toBe(ErrorCodes.IMPORT_INVALID);
    expect(err.message).toContain("'atmosphere_image_prefix' is undefined (needed by 19 images: alertmanager, barbican_api,");
    expect(err.message).toContain('--set atmosphere_image_prefix=VALUE');
    expect(err.message.split('\n')).toHaveLength(1);
    expect(err.details).toMatchObject({ file: `${ROLE}/vars/main.yml`, line: 9, variable: 'atmosphere_image_prefix' });
  });

  it("puts the inventory's overrides on top (an image replaced, one added with a warning), under the role vars", () => {
    const warnings: string[] = [];
    const inventoryRelease = { file: 'inventory/group_vars/all/release.yml', text: 'atmosphere_release: "2024.1"\n' };
    const set = importAtmosphere([roleDefaults(), roleVars()], { warn: (m) => warnings.push(m) }, { inventoryFiles: [inventoryOverrides(), inventoryRelease] });
    expect(set.images.keystone_api!.ref).toBe('quay.io/example/keystone:2025.1-patched');
    expect(set.images.keystone_api!.imported).toMatchObject({ file: 'group_vars/all/images.yml', line: 5, name: 'keystone_api' });
    expect(set.images.keystone_api!.imported!.expression).toBeUndefined();
    expect(set.images.site_exporter!.ref).toBe('quay.io/example/site-exporter:1.2.0');
    // Role vars win over the inventory, as in Ansible: the release stays the role's.
    expect(set.images.nova_api!.ref).toBe('registry.atmosphere.dev/library/nova:2025.1');
    expect(warnings).toEqual(['atmosphere_image_overrides names images Atmosphere does not have (kept): site_exporter']);
  });

  it('imports an overrides file alone, leaving Helm charts out with a note', () => {
    const warnings: string[] = [];
    const set = importAtmosphere([fixture('atmosphere-overrides.yml')], { warn: (m) => warnings.push(m) });
    expect(Object.fromEntries(Object.entries(set.images).map(([k, v]) => [k, v.ref]))).toEqual({
      memcached: 'docker.io/library/memcached:1.6.33',
      nova_api: 'registry.atmosphere.dev/library/nova:2025.1-hotfix',
    });
    expect(set.notes).toEqual(['left out 1 Helm chart (oci://), not container images: rook_ceph_chart']);
    expect(warnings).toEqual(set.notes);
  });

  it('refuses the role defaults alone: they hold no image (an empty overrides map, a version string)', () => {
    const err = thrown(() => importAtmosphere([roleDefaults()]));
    expect(err.code).toBe(ErrorCodes.IMPORT_INVALID);
    expect(err.message).toContain('no image here: no _atmosphere_images or atmosphere_images map, and atmosphere_image_overrides is empty');
    const text = roleDefaults().text.replace('atmosphere_image_overrides: {}', '');
    const versionOnly = thrown(() => importAtmosphere([{ file: 'defaults.yml', text }]));
    expect(versionOnly.message).toMatch(/atmosphere_version: "6\.0\.0-beta\.3" is not an image reference with a tag or digest/);
    expect(versionOnly.details).toMatchObject({ line: 5 });
  });

  it('stops a template that grows without bound at once (IMPORT_INVALID, short message)', () => {
    const bomb = [
      'a0: "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"',
      ...Array.from({ length: 40 }, (_, i) => `a${i + 1}: "{{ a${i} ~ a${i} }}"`),
      '_atmosphere_images:',
      '  big: "{{ a40 }}quay.io/x:1"',
    ].join('\n');
    const started = Date.now();
    const err = thrown(() => importAtmosphere([{ file: 'bomb.yml', text: bomb }]));
    expect(err.code).toBe(ErrorCodes.IMPORT_INVALID);
    expect(err.message.length).toBeLessThan(1000);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
