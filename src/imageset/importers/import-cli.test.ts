/**
 * The built CLI: `airlock import FORMAT FILE... [-o FILE]` prints or writes an image set
 * that loads back, byte-identical run after run, and fails with stable codes.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCliSandbox, show, type CliSandbox } from '../../../test/e2e/cli.js';
import { failureCode } from '../../../test/e2e/leftovers.js';
import { fixture, fixturePath } from '../../../test/fixtures/importers/fixtures.js';
import { parseImageSet } from '../load.js';
import { importImageSet } from './index.js';

let sb: CliSandbox;

beforeAll(async () => {
  sb = await makeCliSandbox();
});

afterAll(async () => {
  await sb?.remove();
});

describe('airlock import', () => {
  it('kubespray FILE prints the image set: stable bytes that load back as what the importer gives', async () => {
    const file = fixturePath('kubespray-download.yml');
    const [first, second] = await Promise.all([sb.run(['import', 'kubespray', file]), sb.run(['import', 'kubespray', file])]);
    expect(first.code, show(first)).toBe(0);
    expect(second.stdout).toBe(first.stdout);
    expect(first.stdout.startsWith('# Imported by `airlock import kubespray` from kubespray-download.yml\n')).toBe(true);
    const expected = importImageSet('kubespray', [fixture('kubespray-download.yml')]);
    expect(parseImageSet(first.stdout)).toMatchObject(expected);
    expect(Object.keys(parseImageSet(first.stdout).images)).toEqual(Object.keys(expected.images));
  });

  it('-o writes the same bytes to the file and says how many images', async () => {
    const out = join(sb.dir, 'images.yaml');
    const file = fixturePath('atmosphere-images.yml');
    const [toFile, toStdout] = await Promise.all([
      sb.run(['import', 'atmosphere', file, '-o', out]),
      sb.run(['import', 'atmosphere', file]),
    ]);
    expect(toFile.code, show(toFile)).toBe(0);
    expect(toFile.stdout).toBe(`${out}: 14 images\n`);
    expect(await readFile(out, 'utf8')).toBe(toStdout.stdout);
  });

  it('kubernetes with several files imports them as one set', async () => {
    const r = await sb.run(['import', 'kubernetes', fixturePath('helm-template.yaml'), fixturePath('kubectl-pods.yaml')]);
    expect(r.code, show(r)).toBe(0);
    expect(Object.keys(parseImageSet(r.stdout).images)).toHaveLength(13);
  });

  it('bad YAML fails with IMPORT_INVALID at file:line and writes no output file', async () => {
    const bad = join(sb.dir, 'bad.yml');
    const out = join(sb.dir, 'bad-out.yaml');
    await writeFile(bad, 'foo_image_repo: quay.io/foo\nfoo_image_tag: [v1\nbar: 1\n');
    const r = await sb.run(['import', 'kubespray', bad, '-o', out]);
    expect(r.code, show(r)).toBe(2);
    expect(failureCode(r)).toBe('IMPORT_INVALID');
    expect(r.stderr).toContain(`${bad}:3`);
    expect(r.stdout).toBe('');
    expect(existsSync(out)).toBe(false);
  });

  it('an unknown format is USAGE, a missing file IMPORT_INVALID, both exit 2', async () => {
    const [unknown, missing] = await Promise.all([
      sb.run(['import', 'helmfile', fixturePath('atmosphere-images.yml')]),
      sb.run(['import', 'atmosphere', join(sb.dir, 'nope.yml')]),
    ]);
    expect(unknown.code, show(unknown)).toBe(2);
    expect(failureCode(unknown)).toBe('USAGE');
    expect(missing.code, show(missing)).toBe(2);
    expect(failureCode(missing)).toBe('IMPORT_INVALID');
  });
});
