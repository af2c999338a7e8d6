import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { digestOf } from '../oci/digest.js';
import type { LockedImage, LockFile } from './types.js';
import { parseLock } from './parse.js';
import { formatLock, LOCK_HEADER, writeLock } from './write.js';

const d = (s: string) => digestOf(s);

/** Two images, one multi-arch with label origin; keys deliberately out of order. */
function sampleLock(): LockFile {
  const nova: LockedImage = {
    origin: {
      tag_from_label: { rule: 1, labels: { version: '1.2.3', release: '4' }, from_tag: 'current-tripleo', template: '{version}-{release}' },
      rules: [{ index: 0 }, { name: 'rdo', index: 1 }],
      template: '{namespace}/{name_prefix}nova-api{name_suffix}:{tag}',
    },
    destination: 'reg.local:5000/mirror/tripleo/openstack-nova-api:1.2.3-4',
    size: 900,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    digest: d('nova'),
    tag: '1.2.3-4',
    source: `quay.io/tripleo/openstack-nova-api:1.2.3-4@${d('nova')}`,
    keep_platforms: ['linux/amd64'],
    platforms: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 500, digest: d('amd'), platform: 'linux/amd64' }],
  };
  const ceph: LockedImage = {
    source: `quay.io/ceph/ceph:v18@${d('ceph')}`,
    tag: 'v18',
    digest: d('ceph'),
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    size: 1234,
    origin: { template: 'quay.io/ceph/ceph:v18' },
  };
  return { version: 1, images: { nova_api: nova, ceph } };
}

describe('formatLock', () => {
  it('starts with the header, then version, images sorted by key, fields in a fixed order', () => {
    const text = formatLock(sampleLock());
    expect(text.startsWith(`${LOCK_HEADER}version: 1\nimages:\n  ceph:\n`)).toBe(true);
    expect(text.indexOf('  ceph:')).toBeLessThan(text.indexOf('  nova_api:'));
    const nova = text.slice(text.indexOf('  nova_api:'));
    const order = ['source:', 'tag:', 'digest:', 'mediaType:', 'size:', 'platforms:', 'keep_platforms:', 'destination:', 'origin:'];
    const at = order.map((f) => nova.indexOf(`    ${f}`));
    expect(at.every((i) => i > 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    // Origin, platforms and labels in fixed order too.
    expect(nova).toMatch(/template: .*\n\s+rules:\n\s+- index: 0\n\s+- index: 1\n\s+name: rdo\n\s+tag_from_label:\n\s+template: .*\n\s+from_tag: current-tripleo\n\s+labels:\n\s+release: "4"\n\s+version: 1.2.3\n\s+rule: 1\n/);
    expect(nova).toMatch(/- platform: linux\/amd64\n\s+digest: sha256:[0-9a-f]{64}\n\s+size: 500\n\s+mediaType: /);
  });

  it('gives the same bytes whatever order the fields and keys were built in', () => {
    const a = sampleLock();
    const b: LockFile = { version: 1, images: {} };
    for (const key of Object.keys(a.images).reverse()) {
      const img = a.images[key]!;
      b.images[key] = Object.fromEntries(Object.entries(img).reverse()) as unknown as LockedImage;
    }
    expect(formatLock(b)).toBe(formatLock(a));
    expect(formatLock(sampleLock())).toBe(formatLock(sampleLock()));
  });

  it('parses back to the same values (strings stay strings)', () => {
    const lock = sampleLock();
    const back = parse(formatLock(lock)) as LockFile;
    expect(back).toEqual(lock);
    expect(back.images.nova_api!.origin.tag_from_label!.labels.release).toBe('4');
  });
});

describe('writeLock', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'airlock-lock-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the formatted lock and leaves no temp file behind, also when replacing', async () => {
    const file = join(dir, 'images.lock.yaml');
    await writeLock(file, { version: 1, images: {} });
    await writeLock(file, sampleLock());
    expect(await readFile(file, 'utf8')).toBe(formatLock(sampleLock()));
    expect(await readdir(dir)).toEqual(['images.lock.yaml']);
  });

  it('fails with a code when the directory does not exist', async () => {
    await expect(writeLock(join(dir, 'missing', 'x.yaml'), sampleLock())).rejects.toMatchObject({ code: 'STORE_IO' });
  });
});

describe('formatLock writes one image at a time', () => {
  it('gives the same bytes as the YAML writer on the whole lock, odd keys and values included', async () => {
    const { stringify } = await import('yaml');
    const D = `sha256:${'c'.repeat(64)}`;
    const image = (extra: Partial<LockedImage> = {}): LockedImage => ({
      source: `quay.io/a/b:1@${D}` as string,
      tag: '1',
      digest: D as LockedImage['digest'],
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      size: 7,
      origin: { template: '{a}: "x" # not a comment', rules: [{ index: 0, name: 'yes' }] },
      ...extra,
    });
    const lock: LockFile = {
      version: 1,
      images: {
        '0123': image({ tag: '0123', source: `quay.io/a/b:0123@${D}` }),
        true: image({ destination: 'r.local:5000/x/b:1', keep_platforms: ['linux/amd64'] }),
        'with space': image({ origin: { template: 'multi\nline', tag_from_label: { template: '{v}', from_tag: 'latest', labels: { v: '1.0', 'a.b': 'null' } } } }),
        z: image({
          platforms: [{ platform: 'linux/arm64/v8', digest: D as LockedImage['digest'], size: 3, mediaType: 'application/vnd.oci.image.manifest.v1+json' }],
          origin: {
            template: 'quay.io/a/b:1',
            imported: { tool: 'kubespray', file: 'download.yml', line: 3, name: 'b', expression: '{{ b_image_repo }}:{{ b_image_tag }}', parameters: ['P'] },
          },
        }),
      },
    };
    const text = formatLock(lock);
    // The oracle: the YAML writer on the whole document, as the lock was written before.
    expect(text).toBe(`${LOCK_HEADER}${stringify(parse(text), { lineWidth: 0, indent: 2, aliasDuplicateObjects: false })}`);
    expect(Object.keys(parse(text).images)).toEqual(['0123', 'true', 'with space', 'z']);
    expect(parseLock(text, 'x').images.z!.origin.imported).toEqual(lock.images.z!.origin.imported);
    expect(formatLock({ version: 1, images: {} })).toBe(`${LOCK_HEADER}version: 1\nimages: {}\n`);
  });
});
