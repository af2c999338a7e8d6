import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ErrorCodes } from '../../errors.js';
import { fixture, thrown } from '../../../test/fixtures/importers/fixtures.js';
import { parseImageSet } from '../load.js';
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
  it('knows the three formats', () => {
    expect([...IMPORT_FORMATS]).toEqual(['kubespray', 'atmosphere', 'kubernetes']);
  });

  it('an unknown format is USAGE', () => {
    expect(thrown(() => importImageSet('tripleo', [fixture('atmosphere-images.yml')])).code).toBe(ErrorCodes.USAGE);
  });

  it('input with no image at all is IMPORT_INVALID (the wrong format, most likely)', () => {
    const err = thrown(() => importImageSet('kubespray', [fixture('kubectl-pods.yaml')]));
    expect(err.code).toBe(ErrorCodes.IMPORT_INVALID);
    expect(thrown(() => importImageSet('kubernetes', [fixture('atmosphere-images.yml')])).code).toBe(ErrorCodes.IMPORT_INVALID);
  });
});
