import { execFileSync } from 'node:child_process';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { END_OF_ARCHIVE, fileHeader, padding, TAR_BLOCK } from './tar-blocks.js';
import { indexTar } from './tar-index.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airlock-tar-blocks-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes a tar of `entries` (content `size` bytes of 'a', or left sparse when `sparse`). */
async function writeTar(file: string, entries: { name: string; size: number; sparse?: boolean }[]): Promise<void> {
  const h = await open(file, 'w');
  let at = 0;
  for (const e of entries) {
    await h.write(fileHeader(e.name, e.size), 0, TAR_BLOCK, at);
    at += TAR_BLOCK;
    if (!e.sparse && e.size > 0) await h.write(Buffer.alloc(e.size, 'a'), 0, e.size, at);
    at += e.size;
    const pad = padding(e.size);
    if (pad.length) await h.write(pad, 0, pad.length, at);
    at += pad.length;
  }
  await h.write(END_OF_ARCHIVE, 0, END_OF_ARCHIVE.length, at);
  await h.close();
}

describe('tar blocks', () => {
  it('writes headers GNU tar and the index reader both read: names, sizes, offsets, padding', async () => {
    const file = join(dir, 'small.tar');
    await writeTar(file, [
      { name: 'oci-layout', size: 30 },
      { name: 'blobs/sha256/' + 'ab'.repeat(32), size: 512 },
      { name: 'empty', size: 0 },
    ]);
    const listing = execFileSync('tar', ['-tvf', file], { encoding: 'utf8' });
    expect(listing).toMatch(/-rw-r--r-- 0\/0\s+30 1970-01-01 00:00 oci-layout/);
    expect(listing).toMatch(/512 1970-01-01 00:00 blobs\/sha256\/(ab){32}/);
    const idx = await indexTar(file);
    expect([...idx.entries.values()]).toEqual([
      { name: 'oci-layout', offset: 512, size: 30 },
      { name: `blobs/sha256/${'ab'.repeat(32)}`, offset: 1536, size: 512 },
      { name: 'empty', offset: 2560, size: 0 },
    ]);
    expect(execFileSync('tar', ['-xOf', file, 'oci-layout'], { encoding: 'utf8' })).toBe('a'.repeat(30));
  });

  it('encodes a size over 8 GiB in base-256, as GNU tar reads it (content left sparse)', async () => {
    const size = 8 * 1024 ** 3 + 12345;
    const file = join(dir, 'big.tar');
    await writeTar(file, [{ name: 'big', size, sparse: true }]);
    expect(execFileSync('tar', ['-tvf', file], { encoding: 'utf8' })).toContain(` ${size} `);
    expect((await indexTar(file)).entries.get('big')).toEqual({ name: 'big', offset: 512, size });
  });

  it('refuses a name that does not fit the header', () => {
    expect(() => fileHeader('x'.repeat(101), 1)).toThrow(/over 100 bytes/);
  });
});
