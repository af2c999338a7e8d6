/**
 * End to end: `airlock render` on the fixture lock — stdout for one file, a directory for
 * containerd, and bad input that must exit 2 (invalid input, as the README's exit codes say)
 * with a stable code and write nothing.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseToml } from 'smol-toml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { makeCliSandbox, show, type CliSandbox } from './cli.js';
import { failureCode, filesUnder } from './leftovers.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/render/', import.meta.url));
const LOCK = join(FIXTURES, 'images.lock.yaml');

let sb: CliSandbox;
beforeAll(async () => {
  sb = await makeCliSandbox();
});
afterAll(async () => {
  await sb?.remove();
});

describe('airlock render', () => {
  it('--format list prints the golden list on stdout', async () => {
    const r = await sb.run(['render', LOCK, '--format', 'list']);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toBe(await readFile(join(FIXTURES, 'list.txt'), 'utf8'));
    expect(r.stdout.trim().split('\n')).toHaveLength(5);
    expect(r.stdout).toContain('registry.local:5000/library/nginx:1.25@sha256:5be1ecc7935f1dd85635d4feedaf660594030253cc97c9e9ca3819ffeac36b65\n');
  });

  it('-o FILE writes kubespray vars that parse back', async () => {
    const out = join(sb.dir, 'vars', 'images.yml');
    const r = await sb.run(['render', LOCK, '--format', 'kubespray', '-o', out]);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toBe('');
    const text = await readFile(out, 'utf8');
    expect(text).toBe(await readFile(join(FIXTURES, 'kubespray.yaml'), 'utf8'));
    expect(parseYaml(text).nginx_image_tag).toBe('1.25');
  });

  it('--format containerd -o DIR writes hosts.toml per registry and registries.conf', async () => {
    const dir = join(sb.dir, 'containerd');
    const r = await sb.run(['render', LOCK, '--format', 'containerd', '--mirror', 'http://10.1.2.3:5000', '--skip-verify', '-o', dir]);
    expect(r.code, show(r)).toBe(0);
    expect((await filesUnder(dir)).sort()).toEqual([
      'certs.d/docker.io/hosts.toml',
      'certs.d/quay.io/hosts.toml',
      'certs.d/registry.k8s.io/hosts.toml',
      'registries.conf',
    ]);
    const hub = parseToml(await readFile(join(dir, 'certs.d/docker.io/hosts.toml'), 'utf8'));
    expect(hub).toEqual({
      server: 'https://registry-1.docker.io',
      host: { 'http://10.1.2.3:5000': { capabilities: ['pull', 'resolve'], skip_verify: true } },
    });
  });

  it('fails with exit 2, a stable code and nothing written: unknown format, bad lock, ambiguous mirror', async () => {
    const out = join(sb.dir, 'never.txt');
    const unknown = await sb.run(['render', LOCK, '--format', 'ansible', '-o', out]);
    expect(unknown.code, show(unknown)).toBe(2);
    expect(failureCode(unknown)).toBe('RENDER_FORMAT_UNKNOWN');

    const bad = join(sb.dir, 'bad.lock.yaml');
    const lockText = await readFile(LOCK, 'utf8');
    await writeFile(bad, lockText.replace('version: 1', 'version: 7'));
    const versionLine = lockText.split('\n').indexOf('version: 1') + 1;
    const invalid = await sb.run(['render', bad, '--format', 'list', '-o', out]);
    expect(invalid.code, show(invalid)).toBe(2);
    expect(failureCode(invalid)).toBe('LOCK_INVALID');
    expect(versionLine).toBeGreaterThan(0);
    expect(invalid.stderr).toContain(`${bad}:${versionLine}:`);

    const twoHosts = join(sb.dir, 'two-hosts.lock.yaml');
    await writeFile(twoHosts, (await readFile(LOCK, 'utf8')).replace('destination: registry.local:5000/library/nginx:1.25', 'destination: other.local:5000/library/nginx:1.25'));
    const ambiguous = await sb.run(['render', twoHosts, '--format', 'containerd', '-o', join(sb.dir, 'never')]);
    expect(ambiguous.code, show(ambiguous)).toBe(2);
    expect(failureCode(ambiguous)).toBe('RENDER_MIRROR_AMBIGUOUS');

    expect(existsSync(out)).toBe(false);
    expect(existsSync(join(sb.dir, 'never'))).toBe(false);
  });
});
