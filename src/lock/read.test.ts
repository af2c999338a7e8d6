import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AirlockError } from '../errors.js';
import { parseYaml } from '../yaml/document.js';
import { lockFromYaml, parseLock } from './parse.js';
import { fastLock, readLock } from './read.js';
import { formatLock } from './write.js';

const FIXTURE = fileURLToPath(new URL('../../test/fixtures/render/images.lock.yaml', import.meta.url));
const D1 = `sha256:${'a'.repeat(64)}`;
const D2 = `sha256:${'b'.repeat(64)}`;

const valid = `version: 1
images:
  app:
    source: quay.io/a/app:1@${D1}
    tag: "1"
    digest: ${D1}
    mediaType: application/vnd.oci.image.manifest.v1+json
    size: 10
    destination: mirror.local:5000/a/app:1
    origin:
      template: quay.io/a/app:1
`;

/** The LOCK_INVALID error `text` gives, with its line. */
function failure(text: string): { code: string; line: unknown; message: string } {
  try {
    parseLock(text, 'images.lock.yaml');
  } catch (e) {
    if (!(e instanceof AirlockError)) throw e;
    return { code: e.code, line: e.details.line, message: e.message };
  }
  throw new Error('parsed');
}

describe('parseLock', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'airlock-lock-read-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a valid lock, keeping tags that look like numbers as strings', async () => {
    const lock = parseLock(valid, 'x');
    expect(lock.images.app).toMatchObject({ tag: '1', digest: D1, size: 10, destination: 'mirror.local:5000/a/app:1' });
    const fixture = await readLock(FIXTURE);
    expect(Object.keys(fixture.images)).toEqual(['ceph', 'coredns', 'keystone_api', 'nginx', 'nova_api']);
    expect(fixture.images.nova_api!.origin.tag_from_label?.labels).toEqual({ release: '20240101', version: '17.1.0' });
    expect(fixture.images.ceph!.platforms).toHaveLength(2);
  });

  it('reads back exactly what the lock writer writes (the fixture is byte for byte a written lock)', async () => {
    const fixture = await readLock(FIXTURE);
    expect(formatLock(fixture)).toBe(await readFile(FIXTURE, 'utf8'));
    expect(parseLock(formatLock(fixture), 'x')).toEqual(fixture);
  });

  it('names the file and line of what is wrong', () => {
    const f = failure(valid.replace(`digest: ${D1}`, 'digest: sha256:1234'));
    expect(f).toMatchObject({ code: 'LOCK_INVALID', line: 6 });
    expect(f.message).toMatch(/^images\.lock\.yaml:6: /);
    expect(failure(valid.replace('size: 10', 'size: -1'))).toMatchObject({ code: 'LOCK_INVALID', line: 8 });
    expect(failure(valid.replace('    origin:\n      template: quay.io/a/app:1\n', ''))).toMatchObject({ code: 'LOCK_INVALID', line: 3 });
  });

  it('refuses other versions, bad YAML, and references that disagree with the digest', () => {
    expect(failure(valid.replace('version: 1', 'version: 2'))).toMatchObject({ code: 'LOCK_INVALID', line: 1 });
    expect(failure(valid.replace('version: 1\n', ''))).toMatchObject({ code: 'LOCK_INVALID' });
    expect(failure(`${valid}  app:\n    x: 1\n`)).toMatchObject({ code: 'LOCK_INVALID', line: 12 });
    expect(failure('version: 1\nimages: [\n')).toMatchObject({ code: 'LOCK_INVALID' });
    expect(failure('- 1\n')).toMatchObject({ code: 'LOCK_INVALID' });
    expect(failure(valid.replace(`source: quay.io/a/app:1@${D1}`, `source: quay.io/a/app:1@${D2}`))).toMatchObject({ code: 'LOCK_INVALID', line: 4 });
    expect(failure(valid.replace('tag: "1"', 'tag: "2"'))).toMatchObject({ code: 'LOCK_INVALID', line: 4 });
    expect(failure(valid.replace('mirror.local:5000/a/app:1', 'Mirror.local:5000/A/app'))).toMatchObject({ code: 'LOCK_INVALID', line: 9 });
  });

  it('reads a written lock the fast way and the careful way alike; anything else only the careful way', async () => {
    const text = await readFile(FIXTURE, 'utf8');
    expect(fastLock(text)).toEqual(lockFromYaml(parseYaml(text), 'x'));
    expect(fastLock(valid.replace('size: 10', 'size: -1'))).toBeUndefined();
    // Aliases never take the fast path: the careful one bounds them.
    expect(fastLock(`${valid}x: &a [1]\ny: *a\n`)).toBeUndefined();
  });

  it('refuses duplicate keys and alias bombs with LOCK_INVALID, bounded', () => {
    const dup = valid.replace('    size: 10\n', '    size: 10\n    size: 11\n');
    expect(failure(dup)).toMatchObject({ code: 'LOCK_INVALID', line: 9 });
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 12; i++) bomb.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(', ')}]`);
    expect(failure(`version: 1\nimages: {}\n${bomb.join('\n')}\n`)).toMatchObject({ code: 'LOCK_INVALID' });
  });

  it('readLock: a missing file is LOCK_INVALID', async () => {
    await expect(readLock(join(dir, 'nope.yaml'))).rejects.toMatchObject({ code: 'LOCK_INVALID' });
    await writeFile(join(dir, 'bad.yaml'), 'version: 1\nimages: {}\n');
    expect(await readLock(join(dir, 'bad.yaml'))).toEqual({ version: 1, images: {} });
  });
});
