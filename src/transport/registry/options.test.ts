import { describe, expect, it } from 'vitest';
import { isLoopbackHost, resolveEndpoint, splitHostPort } from './options.js';

describe('resolveEndpoint', () => {
  it('talks plain HTTP to loopback hosts, as Docker does', () => {
    for (const h of ['localhost', 'localhost:5000', '127.0.0.1:5000', '127.1.2.3', '[::1]:5000']) {
      expect(resolveEndpoint({}, h).scheme).toBe('http');
    }
    expect(resolveEndpoint({}, '127.0.0.1:5000').origin).toBe('http://127.0.0.1:5000');
  });

  it('uses HTTPS elsewhere, and for loopback hosts given a CA or skip-verify', () => {
    expect(resolveEndpoint({}, 'quay.io').origin).toBe('https://quay.io');
    expect(resolveEndpoint({}, '10.0.0.1:5000').scheme).toBe('https');
    expect(resolveEndpoint({ hosts: { 'localhost:5000': { caFile: 'ca.pem' } } }, 'localhost:5000').scheme).toBe('https');
    expect(resolveEndpoint({ hosts: { '127.0.0.1:5000': { insecure: false } } }, '127.0.0.1:5000').scheme).toBe('https');
  });

  it('uses plain HTTP for listed insecure hosts', () => {
    expect(resolveEndpoint({ insecureHosts: ['Reg.Lan:5000'] }, 'reg.lan:5000').origin).toBe('http://reg.lan:5000');
    expect(resolveEndpoint({ hosts: { 'reg.lan': { insecure: true } } }, 'reg.lan:8787').scheme).toBe('http');
  });

  it('contacts Docker Hub at registry-1.docker.io', () => {
    expect(resolveEndpoint({}, 'docker.io')).toMatchObject({ host: 'docker.io', origin: 'https://registry-1.docker.io' });
  });

  it('takes the connection limit from the host, then the options, then 8', () => {
    expect(resolveEndpoint({}, 'a.example').maxConnections).toBe(8);
    expect(resolveEndpoint({ maxConnections: 3 }, 'a.example').maxConnections).toBe(3);
    expect(resolveEndpoint({ maxConnections: 3, hosts: { 'a.example': { maxConnections: 16 } } }, 'a.example').maxConnections).toBe(16);
  });
});

describe('host helpers', () => {
  it('splits host and port, IPv6 included', () => {
    expect(splitHostPort('reg:5000')).toEqual({ hostname: 'reg', port: '5000' });
    expect(splitHostPort('[::1]:5000')).toEqual({ hostname: '::1', port: '5000' });
    expect(splitHostPort('reg')).toEqual({ hostname: 'reg' });
  });

  it('recognises loopback names only', () => {
    expect(isLoopbackHost('127.255.0.1:1')).toBe(true);
    expect(isLoopbackHost('128.0.0.1')).toBe(false);
    expect(isLoopbackHost('localhost.example.com')).toBe(false);
  });
});

describe('certs.d lookup', () => {
  it('uses DIR/HOST:PORT/ca.crt for a host given no caFile, and then speaks TLS even on loopback', async () => {
    const { mkdtemp, mkdir, writeFile, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = await mkdtemp(join(tmpdir(), 'airlock-certsd-'));
    try {
      await mkdir(join(dir, '127.0.0.1:5443'));
      await writeFile(join(dir, '127.0.0.1:5443', 'ca.crt'), 'pem');
      const e = resolveEndpoint({ certsDirs: [join(dir, 'missing'), dir] }, '127.0.0.1:5443');
      expect(e.caFile).toBe(join(dir, '127.0.0.1:5443', 'ca.crt'));
      expect(e.scheme).toBe('https');
      expect(resolveEndpoint({ certsDirs: [dir] }, '127.0.0.1:5000').scheme).toBe('http');
      expect(resolveEndpoint({ certsDirs: [dir], hosts: { '127.0.0.1:5443': { caFile: '/given.pem' } } }, '127.0.0.1:5443').caFile).toBe('/given.pem');
      expect(resolveEndpoint({ env: { AIRLOCK_CERTS_DIRS: dir } }, '127.0.0.1:5443').caFile).toBe(join(dir, '127.0.0.1:5443', 'ca.crt'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
