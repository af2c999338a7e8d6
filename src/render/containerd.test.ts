import { createHash } from 'node:crypto';
import { parse as parseToml } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { errorCodeOf } from '../../test/helpers/codes.js';
import type { LockedImage, LockFile } from '../lock/types.js';
import type { Digest } from '../oci/digest.js';
import { render, type RenderOptions } from './index.js';

function image(ref: string, destination?: string): LockedImage {
  const digest = `sha256:${createHash('sha256').update(ref).digest('hex')}` as Digest;
  return {
    source: `${ref}@${digest}`,
    digest,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    size: 1,
    origin: { template: ref },
    ...(destination ? { destination } : {}),
  };
}

const lockOf = (images: Record<string, LockedImage>): LockFile => ({ version: 1, images });

function files(lock: LockFile, options: RenderOptions = {}): Record<string, any> {
  const out = render(lock, 'containerd', options);
  if (out.kind !== 'files') throw new Error('expected files');
  return Object.fromEntries(Object.entries(out.files).map(([p, c]) => [p, parseToml(c)]));
}

describe('containerd', () => {
  const twoHosts = lockOf({
    a: image('quay.io/a/a:1', 'one.local:5000/a/a:1'),
    b: image('docker.io/library/b:1', 'two.local:5000/library/b:1'),
  });

  it('refuses to guess between several destination registries, or when there is none', () => {
    expect(errorCodeOf(() => render(twoHosts, 'containerd'))).toBe('RENDER_MIRROR_AMBIGUOUS');
    expect(errorCodeOf(() => render(lockOf({ a: image('quay.io/a/a:1') }), 'containerd'))).toBe('RENDER_MIRROR_AMBIGUOUS');
  });

  it('refuses one source registry mirrored under two paths, unless --mirror names the path', () => {
    const split = lockOf({ a: image('quay.io/a/a:1', 'm.local:5000/x/a/a:1'), b: image('quay.io/b/b:1', 'm.local:5000/y/b/b:1') });
    expect(errorCodeOf(() => render(split, 'containerd'))).toBe('RENDER_MIRROR_AMBIGUOUS');
    expect(errorCodeOf(() => render(split, 'containerd', { mirror: 'm.local:5000' }))).toBe('RENDER_MIRROR_AMBIGUOUS');
    const f = files(split, { mirror: 'm.local:5000/x' });
    expect(Object.keys(f['certs.d/quay.io/hosts.toml'].host)).toEqual(['https://m.local:5000/v2/x']);
  });

  it('--mirror with http://, --skip-verify and --ca end up in both files', () => {
    const f = files(twoHosts, { mirror: 'http://10.0.0.5:5000', skipVerify: true, ca: '/etc/pki/mirror-ca.pem' });
    expect(Object.keys(f).sort()).toEqual(['certs.d/docker.io/hosts.toml', 'certs.d/quay.io/hosts.toml', 'registries.conf']);
    expect(f['certs.d/docker.io/hosts.toml']).toEqual({
      server: 'https://registry-1.docker.io',
      host: { 'http://10.0.0.5:5000': { capabilities: ['pull', 'resolve'], skip_verify: true, ca: '/etc/pki/mirror-ca.pem' } },
    });
    // The prefixes still come from where the lock put each image.
    expect(f['certs.d/quay.io/hosts.toml'].host['http://10.0.0.5:5000']).toBeDefined();
    expect(f['registries.conf'].registry).toEqual([
      { prefix: 'docker.io', location: 'docker.io', mirror: [{ location: '10.0.0.5:5000', insecure: true }] },
      { prefix: 'quay.io', location: 'quay.io', mirror: [{ location: '10.0.0.5:5000', insecure: true }] },
    ]);
  });

  it('uses https and verifies TLS by default; a registry that is the mirror itself is left out', () => {
    const lock = lockOf({ a: image('quay.io/a/a:1', 'm.local:5000/a/a:1'), own: image('m.local:5000/own/x:1') });
    const f = files(lock);
    expect(Object.keys(f).sort()).toEqual(['certs.d/quay.io/hosts.toml', 'registries.conf']);
    expect(f['certs.d/quay.io/hosts.toml'].host).toEqual({ 'https://m.local:5000': { capabilities: ['pull', 'resolve'] } });
    expect(f['registries.conf'].registry[0].mirror).toEqual([{ location: 'm.local:5000', insecure: false }]);
  });

  it('refuses a bad --mirror (USAGE) and a destination that does not keep the source path', () => {
    expect(errorCodeOf(() => render(twoHosts, 'containerd', { mirror: 'not a host' }))).toBe('USAGE');
    expect(errorCodeOf(() => render(twoHosts, 'containerd', { mirror: 'ftp://m.local' }))).toBe('USAGE');
    const renamed = lockOf({ a: image('quay.io/a/a:1', 'm.local:5000/other/name:1') });
    expect(errorCodeOf(() => render(renamed, 'containerd'))).toBe('RENDER_UNSUPPORTED');
  });
});
