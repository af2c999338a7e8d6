import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ErrorCodes } from '../../errors.js';
import { fixture, thrown } from '../../../test/fixtures/importers/fixtures.js';
import { parseImageSet } from '../load.js';
import type { ImageSet } from '../types.js';
import { importImageSet, IMPORT_FORMATS } from './index.js';
import { stringifyImageSet } from './output.js';

const FIXTURES: [string, string][] = [
  ['kubespray', 'kubespray-download.yml'],
  ['atmosphere', 'atmosphere-images.yml'],
  ['kubernetes', 'helm-template.yaml'],
  ['kubernetes', 'kubectl-pods.yaml'],
];

describe('stringifyImageSet', () => {
  it.each(FIXTURES)('%s %s: stable bytes that load back as the same image set', (format, name) => {
    const set = importImageSet(format, [fixture(name)]);
    const text = stringifyImageSet(set, `Imported from ${name}`);
    expect(stringifyImageSet(importImageSet(format, [fixture(name)]), `Imported from ${name}`)).toBe(text);
    expect(text.startsWith(`# Imported from ${name}\n`)).toBe(true);
    expect(parse(text)).toEqual(set);
    expect(parseImageSet(text, 'images.yaml')).toMatchObject(set);
  });

  it('writes the top-level keys in a fixed order and images in key order, whatever the object order', () => {
    const text = stringifyImageSet({
      version: 1,
      parameters: {},
      images: { zeta: { ref: 'quay.io/z:1' }, alpha: { ref: 'quay.io/a:1' } },
      rules: [],
      credentials: {},
    });
    expect(text).toBe(
      'version: 1\nparameters: {}\nimages:\n  alpha:\n    ref: quay.io/a:1\n  zeta:\n    ref: quay.io/z:1\nrules: []\ncredentials: {}\n',
    );
  });

  it('never folds a long reference', () => {
    const ref = `registry.example.com/${'very-long-path/'.repeat(8)}image:v1@sha256:${'a'.repeat(64)}`;
    const text = stringifyImageSet({ version: 1, parameters: {}, images: { x: { ref } }, rules: [], credentials: {} });
    expect(text).toContain(`    ref: ${ref}\n`);
  });
});

describe('importImageSet', () => {
  it('knows the four formats', () => {
    expect([...IMPORT_FORMATS]).toEqual(['kubespray', 'atmosphere', 'kubernetes', 'tripleo']);
  });

  it('an unknown format is USAGE', () => {
    expect(thrown(() => importImageSet('helmfile', [fixture('atmosphere-images.yml')])).code).toBe(ErrorCodes.USAGE);
  });

  it('input with no image at all is IMPORT_INVALID (the wrong format, most likely)', () => {
    const err = thrown(() => importImageSet('kubespray', [fixture('kubectl-pods.yaml')]));
    expect(err.code).toBe(ErrorCodes.IMPORT_INVALID);
    expect(thrown(() => importImageSet('kubernetes', [fixture('atmosphere-images.yml')])).code).toBe(ErrorCodes.IMPORT_INVALID);
  });
});

/** Sets with every field imports write (imported with expressions and parameter lists, enabled_by). */
function importedSets(): [string, ImageSet][] {
  const atmosphere = ['atmosphere-2025/roles/defaults/defaults/main.yml', 'atmosphere-2025/roles/defaults/vars/main.yml', 'atmosphere-overrides.yml'].map(fixture);
  const kubespray = ['checksums.yml', 'download.yml', 'main.yml'].map((f) => fixture(`kubespray-v2.28/roles/kubespray_defaults/defaults/main/${f}`));
  const tripleo = importImageSet('tripleo', [fixture('tripleo/containers-prepare-parameter.yaml')], { images: fixture('tripleo/tripleo_containers.yaml.j2'), pushDestination: '192.168.24.1:8787' });
  return [
    ...FIXTURES.map(([format, name]): [string, ImageSet] => [name, importImageSet(format, [fixture(name)])]),
    ['atmosphere-2025', importImageSet('atmosphere', atmosphere)],
    ['kubespray-v2.28', importImageSet('kubespray', kubespray)],
    ['tripleo', tripleo],
  ];
}

describe('stringifyImageSet writes one image at a time', () => {
  it('gives the bytes the YAML writer gives for the whole document', async () => {
    const { Document } = await import('yaml');
    for (const [name, set] of importedSets()) {
      const keys = Object.keys(set.images).sort();
      const doc = new Document(
        { version: set.version, parameters: set.parameters, images: Object.fromEntries(keys.map((k) => [k, set.images[k]])), rules: set.rules, credentials: set.credentials },
        { version: '1.2' },
      );
      doc.commentBefore = ` Imported from ${name}`;
      expect(stringifyImageSet(set, `Imported from ${name}`)).toBe(doc.toString({ lineWidth: 0 }));
    }
  });
});

describe('stringifyImageSet plain entries', () => {
  it('writes plain { ref } entries exactly as the YAML writer would, and odd ones through it', async () => {
    const { Document } = await import('yaml');
    const refs = ['quay.io/a/b:1', `quay.io/a/b:1@sha256:${'a'.repeat(64)}`, 'localhost:5000/x:y', 'a.b/c-d_e:1.0-rc.1'];
    const keys = ['app', 'true', 'yes', 'null', '_x', 'a1', 'n', '0123', 'x_y_z'];
    for (const ref of refs) {
      for (const key of keys) {
        const set = { version: 1 as const, parameters: {}, images: { [key]: { ref } }, rules: [], credentials: {} };
        const doc = new Document({ version: 1, parameters: {}, images: { [key]: { ref } }, rules: [], credentials: {} }, { version: '1.2' });
        expect(stringifyImageSet(set), `${key}: ${ref}`).toBe(doc.toString({ lineWidth: 0 }));
      }
    }
  });
});
