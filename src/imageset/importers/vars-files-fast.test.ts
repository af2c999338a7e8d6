import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixturePath } from '../../../test/fixtures/importers/fixtures.js';
import { readVarsFileFast } from './vars-files-fast.js';
import { readVarsFile, readVarsFileCarefully } from './vars-files.js';

/** Every value in order (Maps as entry lists), so a difference in order is a difference. */
const ordered = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (x instanceof Map ? { map: [...x] } : x));

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? yamlFiles(join(dir, e.name)) : /\.ya?ml$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

const root = fixturePath('.');
const varsFixtures = yamlFiles(root).filter((f) => /kubespray|atmosphere/.test(f));

describe('reading vars files the fast way', () => {
  it.each(varsFixtures.map((f) => [relative(root, f)]))('%s: the same variables, lines and downloads as the careful reader', (name) => {
    const input = { file: name, text: readFileSync(join(root, name), 'utf8') };
    expect(ordered(readVarsFile(input))).toBe(ordered(readVarsFileCarefully(input)));
  });

  it("takes the fast way for Kubespray's and Atmosphere's files as they are written", () => {
    for (const name of ['kubespray-v2.28/roles/kubespray_defaults/defaults/main/download.yml', 'atmosphere-2025/roles/defaults/vars/main.yml', 'atmosphere-2025/roles/defaults/defaults/main.yml']) {
      const input = { file: name, text: readFileSync(join(root, name), 'utf8') };
      const fast = readVarsFileFast(input, 1e6, 64);
      expect(fast, name).toBeDefined();
      expect(ordered(fast)).toBe(ordered(readVarsFileCarefully(input)));
    }
  });

  it.each([
    ['a float, kept as written by the careful reader', 'version: 3.10\n', false],
    ['YAML 1.1 booleans', 'enabled: yes\nother: "no"\n', false],
    ['an anchor and alias', 'a: &x 1\nb: *x\n', false],
    ['a list alias', 'a: &l\n  - 1\nb: *l\n', false],
    ['a tag', 'a: !!str 123\n', false],
    ["Jinja's != and * (not YAML's tag and alias)", 'a: "{{ b != 2 }}"\nc: "{{ d * 2 }}"\n', true],
    ['a merge key', 'base: {a: 1}\nc:\n  <<: {a: 2}\n', false],
    ['a flow map with keys', 'm: {a: 1, b: 2}\n', false],
    ['numeric keys (JavaScript reorders them)', 'm:\n  "10": a\n  "2": b\n', false],
    ['a list at the key\'s indentation', 'l:\n- a\n- b\n', false],
    ['hex', 'n: 0x1F\n', false],
    ['comments, blank lines, a block scalar, quoted keys and a document start', '---\n# c\na: 1\n\n"b c": >-\n  text\n  # not a comment\n\'d\': [1, 2]\ne: {}\n', true],
    ['nested maps and downloads', 'x:\n  y:\n    z: 1\ndownloads:\n  one:\n    container: true\n    repo: "{{ r }}"\n    tag: v1\n', true],
  ])('%s: the same result as the careful reader', (_what, text, fast) => {
    const input = { file: 'f.yml', text };
    expect(readVarsFileFast(input, 1e6, 64) !== undefined).toBe(fast);
    expect(ordered(readVarsFile(input))).toBe(ordered(readVarsFileCarefully(input)));
  });
});
