import { describe, expect, it } from 'vitest';
import { AirlockError } from '../errors.js';
import { parseReference } from '../ref/reference.js';
import { formatLocation, parseLocation, parseNamespace, placeImage, shortLocation } from './location.js';
import { findTransport, transports } from './schemes.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as AirlockError).code;
  }
  return undefined;
}

describe('parseLocation', () => {
  it('reads docker:// and bare references as registry locations', () => {
    expect(formatLocation(parseLocation('docker://nginx'))).toBe('docker://docker.io/library/nginx:latest');
    expect(formatLocation(parseLocation('quay.io/ceph/ceph:v18'))).toBe('docker://quay.io/ceph/ceph:v18');
    expect(parseLocation('busybox:1.36')).toEqual({ scheme: 'docker', root: 'docker.io', repository: 'library/busybox', tag: '1.36' });
  });

  it('splits oci:DIR:NAME at the first colon, keeping colons in the name', () => {
    expect(parseLocation('oci:/tmp/x:quay.io/ceph/ceph:v18')).toEqual({
      scheme: 'oci',
      root: '/tmp/x',
      repository: 'quay.io/ceph/ceph',
      tag: 'v18',
    });
    expect(formatLocation(parseLocation('oci:/tmp/x:quay.io/ceph/ceph:v18'))).toBe('oci:/tmp/x:quay.io/ceph/ceph:v18');
    expect(parseLocation('oci:layout')).toEqual({ scheme: 'oci', root: 'layout', repository: '' });
    expect(parseLocation('oci:layout:v1')).toEqual({ scheme: 'oci', root: 'layout', repository: '', tag: 'v1' });
    expect(formatLocation(parseLocation('oci:layout:registry.local:5000/app'))).toBe('oci:layout:registry.local:5000/app');
  });

  it('reads docker-archive:FILE[:REF|:@N] as skopeo spells it, REF normalised as Docker does', () => {
    expect(parseLocation('docker-archive:/tmp/x.tar')).toEqual({ scheme: 'docker-archive', root: '/tmp/x.tar', repository: '' });
    expect(parseLocation('docker-archive:/tmp/x.tar:busybox')).toEqual({
      scheme: 'docker-archive',
      root: '/tmp/x.tar',
      repository: 'docker.io/library/busybox',
      tag: 'latest',
    });
    expect(parseLocation('docker-archive:x.tar:@2')).toEqual({ scheme: 'docker-archive', root: 'x.tar', repository: '', tag: '@2' });
    for (const text of ['docker-archive:/tmp/x.tar', 'docker-archive:x.tar:@2', 'docker-archive:/tmp/x.tar:registry.local:5000/app:1']) {
      expect(formatLocation(parseLocation(text))).toBe(text);
    }
    const pinned = parseLocation(`docker-archive:a.tar:quay.io/a/b:1@sha256:${'a'.repeat(64)}`);
    expect(parseLocation(formatLocation(pinned))).toEqual(pinned);
  });

  it('reads store: with and without a reference', () => {
    expect(parseLocation('store:')).toEqual({ scheme: 'store', root: '', repository: '' });
    expect(formatLocation(parseLocation('store:nginx'))).toBe('store:docker.io/library/nginx:latest');
  });

  it.each([
    ['oci:', 'LOCATION_INVALID'],
    ['oci::tag', 'LOCATION_INVALID'],
    ['oci:dir:', 'LOCATION_INVALID'],
    ['containers-storage:/x', 'LOCATION_INVALID'],
    ['docker-archive:', 'LOCATION_INVALID'],
    ['docker-archive::busybox', 'LOCATION_INVALID'],
    ['docker-archive:/x.tar:', 'LOCATION_INVALID'],
    ['docker-archive:/x.tar:@one', 'LOCATION_INVALID'],
    ['docker-archive:/x.tar:Not/Valid', 'REF_INVALID'],
    ['docker://', 'REF_INVALID'],
    ['store:Not/Valid', 'REF_INVALID'],
  ])('refuses %j with %s', (input, code) => {
    expect(codeOf(() => parseLocation(input))).toBe(code);
  });
});

describe('namespaces', () => {
  const ref = parseReference('quay.io/ceph/ceph:v18');

  it('places an image under a registry prefix keeping its path, and by full reference in a layout or the store', () => {
    expect(formatLocation(placeImage(parseNamespace('registry.local:5000/mirror'), ref))).toBe('docker://registry.local:5000/mirror/ceph/ceph:v18');
    expect(formatLocation(placeImage(parseNamespace('docker://registry.local:5000'), ref))).toBe('docker://registry.local:5000/ceph/ceph:v18');
    expect(formatLocation(placeImage(parseNamespace('oci:bundle'), ref))).toBe('oci:bundle:quay.io/ceph/ceph:v18');
    expect(formatLocation(placeImage(parseNamespace('store:'), ref))).toBe('store:quay.io/ceph/ceph:v18');
    expect(formatLocation(placeImage(parseNamespace('docker-archive:saved.tar'), ref))).toBe('docker-archive:saved.tar:quay.io/ceph/ceph:v18');
  });

  it('writes registry locations bare and others with their prefix', () => {
    expect(shortLocation(placeImage(parseNamespace('registry.local:5000/m'), ref))).toBe('registry.local:5000/m/ceph/ceph:v18');
    expect(shortLocation(parseLocation('store:nginx'))).toBe('store:docker.io/library/nginx:latest');
  });

  it.each(['', 'not a host', 'oci:dir:name', 'store:nginx', 'http://x/y', 'docker-archive:x.tar:nginx'])('refuses the namespace %j with LOCATION_INVALID', (t) => {
    expect(codeOf(() => parseNamespace(t))).toBe('LOCATION_INVALID');
  });
});

describe('the transport registry', () => {
  it('has one transport per scheme, each found by its scheme and parsing its own prefix', () => {
    const schemes = transports().map((t) => t.scheme);
    expect(schemes).toEqual(['docker', 'oci', 'oci-archive', 'docker-archive', 'store']);
    expect(new Set(schemes).size).toBe(schemes.length);
    for (const t of transports()) {
      expect(findTransport(t.scheme)).toBe(t);
      const sample = {
        docker: 'docker://quay.io/a/b:1',
        oci: 'oci:dir:a:1',
        'oci-archive': 'oci-archive:b.tar:quay.io/a/b:1',
        'docker-archive': 'docker-archive:b.tar:quay.io/a/b:1',
        store: 'store:quay.io/a/b:1',
      }[t.scheme]!;
      const loc = parseLocation(sample);
      expect(loc.scheme).toBe(t.scheme);
      expect(parseLocation(formatLocation(loc))).toEqual(loc);
    }
  });
});
