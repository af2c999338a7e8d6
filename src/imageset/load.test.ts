import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AirlockError } from '../errors.js';
import { loadImageSet, parseImageSet } from './load.js';
import type { ImageSetProblem } from './problems.js';
import { thrown } from '../../test/helpers/codes.js';


const problemsOf = (err: AirlockError) => err.details.problems as ImageSetProblem[];
const at = (err: AirlockError) => problemsOf(err).map((p) => [p.path, p.line]);

describe('parseImageSet', () => {
  it('turns a string image into { ref } and fills in empty parameters, rules and credentials', () => {
    const set = parseImageSet('images:\n  dnsmasq: andyshinn/dnsmasq:2.72\n', 'set.yaml');
    expect(set).toEqual({
      version: 1,
      parameters: {},
      images: { dnsmasq: { ref: 'andyshinn/dnsmasq:2.72' } },
      rules: [],
      credentials: {},
      file: 'set.yaml',
    });
  });

  it('keeps numbers in parameters as written and reads an empty value as ""', () => {
    const set = parseImageSet(
      'parameters:\n  tag: 2024.10\n  name_suffix:\n  ceph_images: false\nimages: {a: "x:{tag}"}\nrules:\n  - set: {tag: 18.0}\n',
    );
    expect(set.parameters).toEqual({ tag: '2024.10', name_suffix: '', ceph_images: false });
    expect(set.rules[0]!.set).toEqual({ tag: '18.0' });
  });

  it('keeps the long form of an image and every field of a rule', () => {
    const set = parseImageSet(`
parameters: {ceph_images: true}
images:
  ceph:
    ref: quay.io/ceph/ceph:v18
    enabled_by: ceph_images
    platforms: [linux/amd64]
    label_platform: linux/arm64
rules:
  - name: all
    set: {tag: x}
    tag_from_label: rdo_version
    includes: [ceph]
    excludes: [grafana]
    push_destination: registry.local:8787/mirror
    platforms: [linux/arm64/v8]
`);
    expect(set.images.ceph).toEqual({
      ref: 'quay.io/ceph/ceph:v18',
      enabled_by: 'ceph_images',
      platforms: ['linux/amd64'],
      label_platform: 'linux/arm64',
    });
    expect(set.rules).toEqual([
      {
        name: 'all',
        set: { tag: 'x' },
        tag_from_label: 'rdo_version',
        includes: ['ceph'],
        excludes: ['grafana'],
        push_destination: 'registry.local:8787/mirror',
        platforms: ['linux/arm64/v8'],
      },
    ]);
  });

  it('refuses an alias bomb with IMAGESET_INVALID instead of expanding it, and duplicate image keys at their line', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 12; i++) bomb.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(', ')}]`);
    const err = thrown(() => parseImageSet(`images:\n  x: quay.io/a/b:1\nparameters:\n${bomb.map((l) => `  ${l}`).join('\n')}\n`));
    expect(err.code).toBe('IMAGESET_INVALID');
    const dup = thrown(() => parseImageSet('images:\n  x: quay.io/a/b:1\n  x: quay.io/a/b:2\n'));
    expect(dup.code).toBe('IMAGESET_INVALID');
    expect(dup.details.line).toBe(3);
  });

  it('accepts version 1 and refuses any other version at its line', () => {
    expect(parseImageSet('version: 1\nimages: {}\n').version).toBe(1);
    const err = thrown(() => parseImageSet('images: {}\nversion: 2\n', 'set.yaml'));
    expect(err.code).toBe('IMAGESET_INVALID');
    expect(at(err)).toEqual([['version', 2]]);
  });

  it('reports bad YAML as IMAGESET_INVALID at the line of the mistake', () => {
    const err = thrown(() => parseImageSet('images:\n  a: x\n  b: y\n  a: z\n', 'set.yaml'));
    expect(err.code).toBe('IMAGESET_INVALID');
    expect(err.details).toMatchObject({ file: 'set.yaml', line: 4 });
    const tab = thrown(() => parseImageSet('images:\n  a: x\n\tb: y\n'));
    expect(tab.code).toBe('IMAGESET_INVALID');
    expect(tab.details.line).toBe(3);
  });

  it('refuses an unknown top-level key at its line', () => {
    const err = thrown(() => parseImageSet('images: {}\n\nimage_prepare: true\n', 'set.yaml'));
    expect(err.code).toBe('IMAGESET_INVALID');
    expect(at(err)).toEqual([['image_prepare', 3]]);
    expect(err.details.line).toBe(3);
  });

  it('reports several schema problems at once, each with its line, in file order', () => {
    const err = thrown(() =>
      parseImageSet(
        [
          'parameters:', //                     1
          '  bad-name: x', //                   2
          'images:', //                         3
          '  Nova: x', //                       4
          '  ok: {ref: 3}', //                  5
          '  glance:', //                       6
          '    platforms: [linux]', //          7
          'rules:', //                          8
          '  - push_destination: registry', //  9
          '    colour: blue', //                10
          'credentials:', //                    11
          '  quay.io:', //                      12
          '    username: me', //                13
          '',
        ].join('\n'),
        'set.yaml',
      ),
    );
    expect(err.code).toBe('IMAGESET_INVALID');
    expect(at(err)).toEqual([
      ['parameters.bad-name', 2],
      ['images.Nova', 4],
      ['images.ok.ref', 5],
      ['images.glance.ref', 6],
      ['images.glance.platforms.0', 7],
      ['rules.0.push_destination', 9],
      ['rules.0.colour', 10],
      ['credentials."quay.io"', 12],
    ]);
    expect(err.details.line).toBe(2);
  });

  it('refuses a value of the wrong type where a string or a mapping belongs', () => {
    const err = thrown(() => parseImageSet('images:\n  a: [x]\n'));
    expect(at(err)).toEqual([['images.a', 2]]);
  });

  it('refuses a file that is not a mapping', () => {
    expect(at(thrown(() => parseImageSet('')))).toEqual([['', 1]]);
    expect(at(thrown(() => parseImageSet('- a\n- b\n')))).toEqual([['', 1]]);
  });

  it('refuses enabled_by naming a parameter that nothing sets', () => {
    const err = thrown(() => parseImageSet('images:\n  ceph:\n    ref: quay.io/ceph/ceph:v18\n    enabled_by: ceph_imgs\n'));
    expect(err.code).toBe('IMAGESET_INVALID');
    expect(at(err)).toEqual([['images.ceph.enabled_by', 4]]);
    const ok = parseImageSet('images:\n  ceph: {ref: "quay.io/ceph/ceph:v18", enabled_by: ceph_images}\nrules:\n  - set: {ceph_images: false}\n');
    expect(ok.images.ceph!.enabled_by).toBe('ceph_images');
  });

  it('refuses unbalanced braces in a reference template and in tag_from_label', () => {
    const err = thrown(() => parseImageSet('images:\n  a: "{namespace/nova:{tag}"\nrules:\n  - tag_from_label: "{version-{release}"\n'));
    expect(at(err)).toEqual([
      ['images.a', 2],
      ['rules.0.tag_from_label', 4],
    ]);
  });

  it('needs exactly one user name source and one password source per registry', () => {
    const err = thrown(() =>
      parseImageSet('images: {}\ncredentials:\n  quay.io: {username: a, username_env: B, password_env: C}\n  "registry.local:8787": {password_file: p}\n'),
    );
    expect(at(err)).toEqual([
      ['credentials."quay.io"', 3],
      ['credentials."registry.local:8787"', 4],
    ]);
  });
});

describe('loadImageSet', () => {
  it('reads a file and names it in the set and in its errors', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'airlock-imageset-'));
    try {
      const file = join(dir, 'images.yaml');
      await writeFile(file, 'images:\n  pause: registry.k8s.io/pause:3.9\n');
      const set = await loadImageSet(file);
      expect(set.file).toBe(file);
      expect(set.images.pause).toEqual({ ref: 'registry.k8s.io/pause:3.9' });

      await writeFile(file, 'images:\n  pause: [\n');
      const bad = await loadImageSet(file).catch((e: unknown) => e as AirlockError);
      expect(bad).toBeInstanceOf(AirlockError);
      expect((bad as AirlockError).code).toBe('IMAGESET_INVALID');
      expect((bad as AirlockError).details.file).toBe(file);

      const missing = await loadImageSet(join(dir, 'nope.yaml')).catch((e: unknown) => e as AirlockError);
      expect((missing as AirlockError).code).toBe('IMAGESET_INVALID');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
