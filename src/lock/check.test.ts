import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestOf } from '../oci/digest.js';
import { checkLock } from './check.js';
import type { LockFile } from './types.js';
import { formatLock, writeLock } from './write.js';

const lock = (tag: string): LockFile => ({
  version: 1,
  images: {
    ceph: {
      source: `quay.io/ceph/ceph:${tag}@${digestOf(tag)}`,
      tag,
      digest: digestOf(tag),
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      size: 10,
      origin: { template: 'quay.io/ceph/ceph:{tag}' },
    },
  },
});

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airlock-check-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('checkLock', () => {
  it('is up to date only for the exact bytes', async () => {
    const file = join(dir, 'a.lock.yaml');
    await writeLock(file, lock('v18'));
    expect(await checkLock(file, lock('v18'))).toMatchObject({ upToDate: true, exists: true });
    // Same content, other formatting: stale, with an empty diff.
    await writeFile(file, formatLock(lock('v18')).replace('version: 1', 'version:   1'));
    const reformatted = await checkLock(file, lock('v18'));
    expect(reformatted.upToDate).toBe(false);
    expect(reformatted.diff.changed).toEqual([]);
  });

  it('is stale with the changes when an image moved', async () => {
    const file = join(dir, 'b.lock.yaml');
    await writeLock(file, lock('v18'));
    const c = await checkLock(file, lock('v19'));
    expect(c.upToDate).toBe(false);
    expect(c.diff.changed.map((x) => x.field)).toEqual(['tag', 'digest']);
  });

  it('a missing file is stale with every image added; a broken one is LOCK_INVALID', async () => {
    const c = await checkLock(join(dir, 'none.yaml'), lock('v18'));
    expect(c).toMatchObject({ upToDate: false, exists: false });
    expect(c.diff.added.map((e) => e.key)).toEqual(['ceph']);
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'version: 1\nimages: [');
    await expect(checkLock(bad, lock('v18'))).rejects.toMatchObject({ code: 'LOCK_INVALID' });
    await expect(checkLock(dir, lock('v18'))).rejects.toMatchObject({ code: 'LOCK_INVALID' });
  });
});
