import type { AirlockError } from '../errors.js';
import { describe, expect, it } from 'vitest';
import { formatReference, parseReference } from './reference.js';
import { errorCodeOf } from '../../test/helpers/codes.js';

const D = `sha256:${'a'.repeat(64)}`;


describe('parseReference', () => {
  it.each([
    ['nginx', 'docker.io/library/nginx:latest'],
    ['nginx:1.25', 'docker.io/library/nginx:1.25'],
    ['library/nginx', 'docker.io/library/nginx:latest'],
    ['docker.io/nginx', 'docker.io/library/nginx:latest'],
    ['index.docker.io/library/nginx:1', 'docker.io/library/nginx:1'],
    ['andyshinn/dnsmasq:2.72', 'docker.io/andyshinn/dnsmasq:2.72'],
    ['quay.io/ceph/ceph:v18', 'quay.io/ceph/ceph:v18'],
    ['localhost/foo', 'localhost/foo:latest'],
    ['localhost:5000/foo/bar:tag', 'localhost:5000/foo/bar:tag'],
    ['127.0.0.1:5000/a', '127.0.0.1:5000/a:latest'],
    ['[::1]:5000/a:b', '[::1]:5000/a:b'],
    ['Registry.Example.com/a', 'registry.example.com/a:latest'],
    [`nginx@${D}`, `docker.io/library/nginx@${D}`],
    [`nginx:1.25@${D}`, `docker.io/library/nginx:1.25@${D}`],
    [`host:5000/a/b:t@${D}`, `host:5000/a/b:t@${D}`],
    ['a/b__c/d-e.f:T_1.x', 'docker.io/a/b__c/d-e.f:T_1.x'],
  ])('normalises %s to %s', (input, expected) => {
    expect(formatReference(parseReference(input))).toBe(expected);
  });

  it('keeps a digest-only reference without inventing a tag', () => {
    const r = parseReference(`quay.io/a/b@${D}`);
    expect(r.tag).toBeUndefined();
    expect(r.digest).toBe(D);
  });

  it('splits registry, repository and tag', () => {
    expect(parseReference('registry.local:8787/tripleo/nova-api:current')).toEqual({
      registry: 'registry.local:8787',
      repository: 'tripleo/nova-api',
      tag: 'current',
    });
  });

  it.each([
    [''],
    ['   '],
    ['docker.io/Upper/case'],
    ['nginx/UPPER'],
    ['nginx:'],
    ['nginx:bad tag'],
    ['nginx@sha256:short'],
    ['nginx@md5:' + 'a'.repeat(32)],
    ['a//b'],
    ['/a'],
    ['a/'],
    ['-leading/dash'],
    ['docker://nginx'],
    ['host:port/a'],
    ['nginx:' + 'x'.repeat(129)],
    ['a/' + 'b'.repeat(260)],
  ])('refuses %j with REF_INVALID', (input) => {
    expect(errorCodeOf(() => parseReference(input))).toBe('REF_INVALID');
  });
});

describe('hostile references', () => {
  it('refuses a huge reference at once, quoting only its start', () => {
    const huge = `quay.io/${'a'.repeat(50 * 1024 * 1024)}:1`;
    let err: AirlockError | undefined;
    try {
      parseReference(huge);
    } catch (e) {
      err = e as AirlockError;
    }
    expect(err?.code).toBe('REF_INVALID');
    expect(err!.message.length).toBeLessThan(400);
  });
});
