import { mkdtemp, mkdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestOf } from '../oci/digest.js';
import { mergeConfig, replaceFrom } from './containerfile.js';
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

describe('--containerfile', () => {
  it('replaces the last FROM line, keeping its stage name; no FROM is MODIFY_INPUT_INVALID', () => {
    const text = 'ARG X\nFROM golang AS build\nRUN make\nfrom  quay.io/a/b:1 as final\nCOPY --from=build /x /x\n';
    expect(replaceFrom(text, 'oci:/l:base', 'C')).toBe('ARG X\nFROM golang AS build\nRUN make\nFROM oci:/l:base AS final\nCOPY --from=build /x /x\n');
    expect(() => replaceFrom('RUN true\n', 'b', 'C')).toThrow(expect.objectContaining({ code: 'MODIFY_INPUT_INVALID' }));
  });

  it('takes from the build only the config fields it changed; buildah\'s default PATH is dropped unless an ENV sets PATH', () => {
    const base = { Cmd: ['/bin/sh'], Labels: null, Hostname: 'kept', Env: null };
    const built = { Cmd: ['/bin/sh'], Labels: { a: 'b' }, Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'X=1'], User: '42' };
    expect(mergeConfig(base, built, 'FROM x\nENV X=1\n')).toEqual({ Cmd: ['/bin/sh'], Labels: { a: 'b' }, Hostname: 'kept', Env: ['X=1'], User: '42' });
    expect(mergeConfig(base, built, 'FROM x\nENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin X=1\n').Env).toEqual(built.Env);
    // Unchanged fields stay the base's own (null here), even where buildah writes them differently.
    expect(mergeConfig({ Labels: null, ExposedPorts: { '80/tcp': {} } }, { ExposedPorts: { '80/tcp': {} } }, 'FROM x\n')).toEqual({ Labels: null, ExposedPorts: { '80/tcp': {} } });
  });
});

describe('an image set rule\'s modify filters', () => {
  const SET = [
    'images:',
    '  a: r.io/a:1',
    '  b: r.io/b:1',
    'rules:',
    '  - modify:',
    '      only_images: [a]',
    '      steps:',
    '        - containerfile: custom',
    '        - update: repos',
    '',
  ].join('\n');

  it('only_images leaves the other images unmodified; with only_with_labels resolve decides for those', async () => {
    const { parseImageSet } = await import('../imageset/load.js');
    const { planImageSet } = await import('../imageset/rules.js');
    const plan = planImageSet(parseImageSet(SET, 'conf/images.yaml'));
    expect(plan.find((p) => p.key === 'a')!.modify!.value.steps).toEqual([{ kind: 'containerfile', value: 'custom' }, { kind: 'update', value: 'repos' }]);
    expect(plan.find((p) => p.key === 'b')!.modify).toBeUndefined();
    const labels = planImageSet(parseImageSet(SET.replace('only_images: [a]', 'only_images: [a]\n      only_with_labels: [kolla_version]'), 'conf/images.yaml'));
    expect(labels.find((p) => p.key === 'b')!.modify!.value.only_with_labels).toEqual(['kolla_version']);
  });

  it('an only_images key that is no image, or an empty only_with_labels, is IMAGESET_INVALID', async () => {
    const { parseImageSet } = await import('../imageset/load.js');
    expect(() => parseImageSet(SET.replace('[a]', '[c]'))).toThrow(expect.objectContaining({ code: 'IMAGESET_INVALID', message: expect.stringContaining('"c" is not an image of this set') }));
    expect(() => parseImageSet(SET.replace('only_images: [a]', 'only_with_labels: []'))).toThrow(expect.objectContaining({ code: 'IMAGESET_INVALID' }));
  });
});
