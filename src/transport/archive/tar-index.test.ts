import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../errors.js';
import { indexTar } from './tar-index.js';

let dir: string;
const tarOf = (name: string, args: string[], cwd = path.join(dir, 'src')) => {
  const out = path.join(dir, name);
  execFileSync('tar', ['-cf', out, ...args], { cwd });
  return out;
};
const contentOf = async (file: string, e: { offset: number; size: number }) => {
  const h = await fs.open(file, 'r');
  try {
    const b = Buffer.alloc(e.size);
    await h.read(b, 0, e.size, e.offset);
    return b.toString('utf8');
  } finally {
    await h.close();
  }
};

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-tar-index-'));
  const src = path.join(dir, 'src');
  const long = `blobs/${'d'.repeat(60)}/${'e'.repeat(90)}`;
  await fs.mkdir(path.join(src, path.dirname(long)), { recursive: true });
  await fs.writeFile(path.join(src, long), 'long name');
  await fs.writeFile(path.join(src, 'index.json'), '{"schemaVersion":2}');
  await fs.writeFile(path.join(src, 'empty'), '');
  await fs.writeFile(path.join(src, 'big'), Buffer.alloc(1300, 7));
  await fs.symlink('index.json', path.join(src, 'link'));
  await fs.link(path.join(src, 'index.json'), path.join(src, 'hard'));
});

afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('indexTar', () => {
  it.each(['ustar', 'pax', 'gnu'])('reads %s archives in place: names, offsets and sizes', async (format) => {
    const long = `blobs/${'d'.repeat(60)}/${'e'.repeat(90)}`;
    const file = tarOf(`${format}.tar`, [`--format=${format === 'ustar' ? 'ustar' : format}`, './index.json', 'empty', 'big', long]);
    const idx = await indexTar(file);
    expect([...idx.entries.keys()]).toEqual(['index.json', 'empty', 'big', long]);
    expect(await contentOf(file, idx.entries.get('index.json')!)).toBe('{"schemaVersion":2}');
    expect(await contentOf(file, idx.entries.get(long)!)).toBe('long name');
    expect(idx.entries.get('empty')!.size).toBe(0);
    expect(idx.entries.get('big')!.size).toBe(1300);
  });

  it.each([
    ['a symbolic link', ['link'], /refused \(a symbolic link\)/],
    ['a hard link', ['index.json', 'hard'], /refused \(a hard link\)/],
  ])('refuses %s', async (_what, members, message) => {
    const err = await indexTar(tarOf(`bad-${members.join('-')}.tar`, ['--format=gnu', ...members])).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ErrorCodes.ARCHIVE_INVALID });
    expect((err as Error).message).toMatch(message);
  });

  it('refuses ../ and absolute paths', async () => {
    const up = tarOf('up.tar', ['--format=gnu', '-P', '--transform', 's,^index.json$,../../etc/x,', 'index.json']);
    await expect(indexTar(up)).rejects.toMatchObject({ code: ErrorCodes.ARCHIVE_INVALID, message: expect.stringContaining('.. leaves the bundle') });
    const abs = tarOf('abs.tar', ['--format=gnu', '-P', path.join(dir, 'src', 'index.json')], dir);
    await expect(indexTar(abs)).rejects.toMatchObject({ code: ErrorCodes.ARCHIVE_INVALID, message: expect.stringContaining('an absolute path') });
  });

  it('refuses a file cut short, inside a header or inside an entry, and a damaged header', async () => {
    const whole = await fs.readFile(tarOf('whole.tar', ['--format=ustar', 'index.json', 'big']));
    const cutData = path.join(dir, 'cut-data.tar');
    await fs.writeFile(cutData, whole.subarray(0, 512 + 512 + 512 + 700));
    await expect(indexTar(cutData)).rejects.toMatchObject({ code: ErrorCodes.ARCHIVE_INVALID, message: expect.stringContaining('entry "big" needs 1300 bytes') });
    const cutHeader = path.join(dir, 'cut-header.tar');
    await fs.writeFile(cutHeader, whole.subarray(0, 1024 + 100));
    await expect(indexTar(cutHeader)).rejects.toMatchObject({ code: ErrorCodes.ARCHIVE_INVALID, message: expect.stringContaining('ends inside a header') });
    const damaged = Buffer.from(whole);
    damaged[10] = damaged[10]! ^ 0x20;
    const bad = path.join(dir, 'damaged.tar');
    await fs.writeFile(bad, damaged);
    await expect(indexTar(bad)).rejects.toMatchObject({ code: ErrorCodes.ARCHIVE_INVALID, message: expect.stringContaining('fails its checksum') });
  });

  it('refuses the same name twice', async () => {
    const twice = tarOf('twice.tar', ['--format=ustar', 'index.json', './index.json']);
    await expect(indexTar(twice)).rejects.toMatchObject({ code: ErrorCodes.ARCHIVE_INVALID, message: expect.stringContaining('twice') });
  });
});
