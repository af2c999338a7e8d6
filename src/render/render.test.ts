/**
 * Every format against its golden file (UPDATE_GOLDEN=1 rewrites them; review the diff) and
 * parsed back with a real YAML / TOML parser, checked against values written out by hand here.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseToml } from 'smol-toml';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { errorCodeOf } from '../../test/helpers/codes.js';
import { readLock } from '../lock/read.js';
import type { LockFile } from '../lock/types.js';
import { render, RENDER_FORMATS, renderers, type RenderOutput } from './index.js';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/render/', import.meta.url));
const LOCK = join(FIXTURES, 'images.lock.yaml');

/** The fixture lock's images as a deployment should pull them, written out independently of the renderers. */
const EXPECTED = {
  ceph: {
    repo: 'registry.local:5000/mirror/ceph/ceph',
    tag: 'v18.2.4',
    hex: 'bbbd1d8e85dff20497f7f9d1cf29ceeccb3f849aa8f6b4ba8ea3148491388958',
  },
  coredns: {
    repo: 'registry.local:5000/k8s/coredns/coredns',
    tag: 'v1.11.1',
    hex: '8a32e516d7415be524a7fcec482ad2918f2b6ef2a7f4cb8e2e232b361436b20b',
  },
  keystone_api: {
    repo: 'quay.io/openstack.kolla/keystone',
    tag: '2024.1-ubuntu-jammy',
    hex: '4cc7a4b341d8ce3315ea112ebb01e664bd328e88781db0f4bbc0e3f65e201bf9',
  },
  nginx: {
    repo: 'registry.local:5000/library/nginx',
    tag: '1.25',
    hex: '5be1ecc7935f1dd85635d4feedaf660594030253cc97c9e9ca3819ffeac36b65',
  },
  nova_api: {
    repo: 'registry.local:5000/mirror/tripleomaster/openstack-nova-api',
    tag: '17.1.0-20240101',
    hex: '19e05df6b2e5fb94f3ee7eed2c02d340a1128a00231f5f6949641a143ab3b57a',
  },
} as const;
const KEYS = Object.keys(EXPECTED) as (keyof typeof EXPECTED)[];
const pinned = (k: keyof typeof EXPECTED) => `${EXPECTED[k].repo}:${EXPECTED[k].tag}@sha256:${EXPECTED[k].hex}`;

let lock: LockFile;
beforeAll(async () => {
  lock = await readLock(LOCK);
});

function text(out: RenderOutput): string {
  if (out.kind !== 'file') throw new Error('expected one file');
  expect(out.warnings).toEqual([]);
  return out.content;
}

/** Compares with the golden file, or writes it when UPDATE_GOLDEN is set. */
async function expectGolden(name: string, actual: string): Promise<void> {
  const file = join(FIXTURES, name);
  if (process.env.UPDATE_GOLDEN) {
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, actual);
  }
  expect(actual).toBe(await readFile(file, 'utf8'));
}

describe('render', () => {
  it('has a renderer for every format and refuses others with RENDER_FORMAT_UNKNOWN', () => {
    expect(Object.keys(renderers).sort()).toEqual([...RENDER_FORMATS].sort());
    expect(errorCodeOf(() => render(lock, 'ansible'))).toBe('RENDER_FORMAT_UNKNOWN');
    expect(errorCodeOf(() => render(lock, ''))).toBe('RENDER_FORMAT_UNKNOWN');
  });

  it('atmosphere: atmosphere_image_overrides maps each key to its pinned destination, else its source', async () => {
    const out = text(render(lock, 'atmosphere'));
    await expectGolden('atmosphere.yaml', out);
    const doc = parseYaml(out);
    expect(Object.keys(doc)).toEqual(['atmosphere_image_overrides']);
    expect(Object.keys(doc.atmosphere_image_overrides)).toEqual(KEYS);
    for (const k of KEYS) expect(doc.atmosphere_image_overrides[k]).toBe(pinned(k));
  });

  it('kubespray: repo, tag and the bare sha256 hex per key, from the same locked image', async () => {
    const out = text(render(lock, 'kubespray'));
    await expectGolden('kubespray.yaml', out);
    const vars = parseYaml(out);
    expect(Object.keys(vars)).toHaveLength(KEYS.length * 3);
    for (const k of KEYS) {
      expect(vars[`${k}_image_repo`]).toBe(EXPECTED[k].repo);
      // '1.25' must stay a string, not become the number 1.25.
      expect(vars[`${k}_image_tag`]).toBe(EXPECTED[k].tag);
      expect(vars[`${k}_digest_checksum`]).toBe(EXPECTED[k].hex);
    }
  });

  it('tripleo: parameter_defaults with Container<CamelName>Image', async () => {
    const out = text(render(lock, 'tripleo'));
    await expectGolden('tripleo.yaml', out);
    const doc = parseYaml(out);
    expect(doc.parameter_defaults).toEqual({
      ContainerCephImage: pinned('ceph'),
      ContainerCorednsImage: pinned('coredns'),
      ContainerKeystoneApiImage: pinned('keystone_api'),
      ContainerNginxImage: pinned('nginx'),
      ContainerNovaApiImage: pinned('nova_api'),
    });
  });

  it('list: one pinned reference per line in key order; --unpinned gives tags', async () => {
    const out = text(render(lock, 'list'));
    await expectGolden('list.txt', out);
    expect(out).toBe(KEYS.map((k) => `${pinned(k)}\n`).join(''));
    expect(text(render(lock, 'list', { unpinned: true }))).toBe(KEYS.map((k) => `${EXPECTED[k].repo}:${EXPECTED[k].tag}\n`).join(''));
  });

  it('helm: {key: {image: {registry, repository, tag, digest}}}', async () => {
    const out = text(render(lock, 'helm'));
    await expectGolden('helm.yaml', out);
    const values = parseYaml(out);
    expect(Object.keys(values)).toEqual(KEYS);
    for (const k of KEYS) {
      const { registry, repository, tag, digest } = values[k].image;
      expect(`${registry}/${repository}`).toBe(EXPECTED[k].repo);
      expect(tag).toBe(EXPECTED[k].tag);
      expect(digest).toBe(`sha256:${EXPECTED[k].hex}`);
    }
    expect(values.nginx.image).toEqual({ registry: 'registry.local:5000', repository: 'library/nginx', tag: '1.25', digest: `sha256:${EXPECTED.nginx.hex}` });
  });

  it('containerd: hosts.toml per source registry and registries.conf, all pointing at the one destination registry', async () => {
    const out = render(lock, 'containerd');
    if (out.kind !== 'files') throw new Error('expected files');
    const goldenDir = join(FIXTURES, 'containerd');
    for (const [path, content] of Object.entries(out.files)) await expectGolden(join('containerd', path), content);
    const onDisk = (await readdir(goldenDir, { recursive: true, withFileTypes: true }))
      .filter((e) => e.isFile())
      .map((e) => relative(goldenDir, join(e.parentPath, e.name)))
      .sort();
    expect(Object.keys(out.files).sort()).toEqual(onDisk);
    expect(onDisk).toEqual([
      'certs.d/docker.io/hosts.toml',
      'certs.d/quay.io/hosts.toml',
      'certs.d/registry.k8s.io/hosts.toml',
      'registries.conf',
    ]);

    const hub = parseToml(out.files['certs.d/docker.io/hosts.toml']!);
    expect(hub).toEqual({ server: 'https://registry-1.docker.io', host: { 'https://registry.local:5000': { capabilities: ['pull', 'resolve'] } } });
    const quay = parseToml(out.files['certs.d/quay.io/hosts.toml']!);
    expect(quay).toEqual({
      server: 'https://quay.io',
      host: { 'https://registry.local:5000/v2/mirror': { capabilities: ['pull', 'resolve'], override_path: true } },
    });
    const conf = parseToml(out.files['registries.conf']!) as { registry: unknown[] };
    expect(conf.registry).toEqual([
      { prefix: 'docker.io', location: 'docker.io', mirror: [{ location: 'registry.local:5000', insecure: false }] },
      { prefix: 'quay.io', location: 'quay.io', mirror: [{ location: 'registry.local:5000/mirror', insecure: false }] },
      { prefix: 'registry.k8s.io', location: 'registry.k8s.io', mirror: [{ location: 'registry.local:5000/k8s', insecure: false }] },
    ]);
  });

  it('gives byte-identical output for the same lock whatever the order of its keys', () => {
    const shuffled: LockFile = { version: 1, images: Object.fromEntries(Object.entries(lock.images).reverse()) };
    for (const f of RENDER_FORMATS) expect(render(shuffled, f)).toEqual(render(lock, f));
  });
});
