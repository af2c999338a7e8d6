import { describe, expect, it } from 'vitest';
import { credentialSources, passwordVariable } from './tripleo-credentials.js';
import { parameterKey, preferredKey } from './tripleo-keys.js';

const entry = (ref: string, params: string[] = []) => ({ imagename: ref, ref, params, line: 1 });

describe('TripleO image keys', () => {
  it('turn Heat parameter names into keys', () => {
    expect(parameterKey('ContainerCephDaemonImage')).toBe('ceph_daemon');
    expect(parameterKey('PrometheusContainerImage')).toBe('prometheus');
    expect(parameterKey('ContainerHAProxyConfigImage')).toBe('ha_proxy_config');
    expect(parameterKey('ContainerKeystoneImageStein')).toBe('keystone_stein');
    expect(parameterKey('ContainerCeph3DaemonImage')).toBe('ceph3_daemon');
  });

  it('prefer the literal name, without a name_prefix written out, then the first parameter, then the rendered path', () => {
    expect(preferredKey(entry('{namespace}/{name_prefix}neutron-server-ovn{name_suffix}:{tag}'), {})).toBe('neutron_server_ovn');
    expect(preferredKey(entry('{namespace}/openstack-haproxy:{tag}'), { name_prefix: 'openstack-' })).toBe('haproxy');
    expect(preferredKey(entry('{ceph_namespace}/{ceph_image}:{ceph_tag}', ['ContainerCephDaemonImage']), {})).toBe('ceph_daemon');
    expect(preferredKey(entry('{ceph_namespace}/{ceph_image}:{ceph_tag}'), { ceph_namespace: 'quay.io/ceph', ceph_image: 'daemon' })).toBe('ceph_daemon');
  });
});

describe('TripleO registry credentials', () => {
  it('name a password variable after the registry', () => {
    expect(passwordVariable('quay.io')).toBe('QUAY_IO_PASSWORD');
    expect(passwordVariable('192.168.24.1:8787')).toBe('REGISTRY_192_168_24_1_8787_PASSWORD');
    expect(passwordVariable('[fd00::1]:8787')).toBe('FD00_1_8787_PASSWORD');
  });

  it('keep each variable distinct and say which one to set', () => {
    const { credentials, notes } = credentialSources([
      { registry: 'quay.io', username: 'a', file: 'p.yaml', line: 3 },
      { registry: 'Quay.io', username: 'b', file: 'p.yaml', line: 5 },
    ]);
    expect(credentials).toEqual({
      'quay.io': { username: 'a', password_env: 'QUAY_IO_PASSWORD' },
      'Quay.io': { username: 'b', password_env: 'QUAY_IO_2_PASSWORD' },
    });
    expect(notes[1]).toBe('credentials for Quay.io: user b; set QUAY_IO_2_PASSWORD to the password (p.yaml:5 holds it; airlock does not copy it)');
  });
});
