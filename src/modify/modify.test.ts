import { mkdtemp, mkdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestOf } from '../oci/digest.js';
import { modifyConfig } from './image.js';
import { appendLayer, whiteoutLayer } from './layer.js';
import { parseOperation } from './operations.js';

let dir: string;
beforeAll(async () => void (dir = await mkdtemp(join(tmpdir(), 'airlock-modify-unit-'))));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('parseOperation', () => {
  it('splits --append PATH:DEST at a last absolute destination and normalises image paths', () => {
    expect(parseOperation('append', './patch')).toEqual({ op: 'append', path: './patch', dest: '/' });
    expect(parseOperation('append', 'C:x/patch:/opt//fix/')).toEqual({ op: 'append', path: 'C:x/patch', dest: '/opt/fix' });
    expect(parseOperation('remove', '/etc/./motd')).toEqual({ op: 'remove', path: '/etc/motd' });
    expect(parseOperation('env', 'A=b=c')).toEqual({ op: 'env', key: 'A', value: 'b=c' });
    expect(parseOperation('cmd', '["a","b"]')).toEqual({ op: 'cmd', value: ['a', 'b'] });
  });

  it('refuses what cannot be meant', () => {
    for (const [kind, text] of [['remove', '/'], ['remove', 'relative'], ['workdir', '/a/../..'], ['label', '=v'], ['entrypoint', '[1]'], ['cmd', '[oops']] as const) {
      expect(() => parseOperation(kind, text), `${kind} ${text}`).toThrow(expect.objectContaining({ code: 'MODIFY_INPUT_INVALID' }));
    }
  });
});

describe('layers', () => {
  it('are the same bytes for the same content, whatever the files\' times', async () => {
    const src = join(dir, 'tree');
    await mkdir(join(src, 'b'), { recursive: true });
    await writeFile(join(src, 'b', 'z'), 'z');
    await writeFile(join(src, 'a'), 'a');
    const first = await appendLayer(src, '/x');
    await utimes(join(src, 'a'), new Date('2020-01-01'), new Date('2020-01-01'));
    const second = await appendLayer(src, '/x');
    expect(digestOf(second.gzip)).toBe(digestOf(first.gzip));
    await writeFile(join(src, 'a'), 'A');
    expect(digestOf((await appendLayer(src, '/x')).gzip)).not.toBe(digestOf(first.gzip));
  });

  it('whiteouts sit beside the removed path', async () => {
    const w = await whiteoutLayer(['/etc/motd', '/top']);
    expect(w.tar.includes(Buffer.from('etc/.wh.motd'))).toBe(true);
    expect(w.tar.includes(Buffer.from('.wh.top'))).toBe(true);
  });
});

describe('modifyConfig', () => {
  it('changes only what is asked and keeps unknown fields', () => {
    const base = Buffer.from(JSON.stringify({ created: '2024-01-01T00:00:00Z', os: 'linux', custom: { keep: 1 }, config: { Env: ['A=1', 'B=2'], Labels: null }, rootfs: { type: 'layers', diff_ids: ['sha256:aa'] } }));
    const out = JSON.parse(modifyConfig(base, [parseOperation('env', 'A=3'), parseOperation('label', 'x=y')], []).toString()) as Record<string, unknown>;
    expect(out).toEqual({ created: '2024-01-01T00:00:00Z', os: 'linux', custom: { keep: 1 }, config: { Env: ['B=2', 'A=3'], Labels: { x: 'y' } }, rootfs: { type: 'layers', diff_ids: ['sha256:aa'] } });
  });
});

describe('an image set rule\'s modify', () => {
  it('reads steps in order, with input paths relative to the image set; a step with two keys is IMAGESET_INVALID', async () => {
    const { parseImageSet } = await import('../imageset/load.js');
    const set = parseImageSet('images:\n  a: r.io/a:1\nrules:\n  - modify:\n      tag_suffix: -x\n      steps:\n        - append: fix:/opt\n        - label: a=b\n', 'conf/images.yaml');
    expect(set.rules[0]!.modify).toEqual({ steps: [{ kind: 'append', value: 'fix:/opt' }, { kind: 'label', value: 'a=b' }], tag_suffix: '-x', dir: 'conf' });
    expect(() => parseImageSet('images:\n  a: r.io/a:1\nrules:\n  - modify:\n      steps:\n        - {append: x, label: a=b}\n')).toThrow(expect.objectContaining({ code: 'IMAGESET_INVALID' }));
  });
});
