import { describe, expect, it } from 'vitest';
import { AirlockError } from '../errors.js';
import { formatLocation, parseLocation } from './location.js';

describe('parseLocation', () => {
  it('reads docker:// and bare references as registry locations', () => {
    expect(formatLocation(parseLocation('docker://nginx'))).toBe('docker://docker.io/library/nginx:latest');
    expect(formatLocation(parseLocation('quay.io/ceph/ceph:v18'))).toBe('docker://quay.io/ceph/ceph:v18');
    expect(parseLocation('busybox:1.36').kind).toBe('docker');
  });

  it('splits oci:DIR:NAME at the first colon, keeping colons in the name', () => {
    expect(parseLocation('oci:/tmp/x:quay.io/ceph/ceph:v18')).toEqual({
      kind: 'oci',
      dir: '/tmp/x',
      name: 'quay.io/ceph/ceph:v18',
    });
    expect(parseLocation('oci:layout')).toEqual({ kind: 'oci', dir: 'layout' });
  });

  it('reads store: with and without a reference', () => {
    expect(parseLocation('store:')).toEqual({ kind: 'store' });
    expect(formatLocation(parseLocation('store:nginx'))).toBe('store:docker.io/library/nginx:latest');
  });

  it.each(['oci:', 'oci::tag', 'oci:dir:', 'docker-archive:/x.tar', 'docker://'])('refuses %j', (input) => {
    let code: string | undefined;
    try {
      parseLocation(input);
    } catch (e) {
      code = (e as AirlockError).code;
    }
    expect(['LOCATION_INVALID', 'REF_INVALID']).toContain(code);
  });
});
