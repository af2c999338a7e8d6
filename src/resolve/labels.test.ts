import { describe, expect, it } from 'vitest';
import { errorCodeOf } from '../../test/helpers/codes.js';
import { tagFromLabels } from './labels.js';

const labels = { version: '1.2.3', release: '4', rdo_version: '1.2.3-4.el9', 'org.opencontainers.image.version': '9' };

describe('tagFromLabels', () => {
  it('a plain label name gives its value', () => {
    expect(tagFromLabels('rdo_version', labels, 'k')).toEqual({ tag: '1.2.3-4.el9', labels: { rdo_version: '1.2.3-4.el9' } });
  });

  it('a template joins several labels and records each one it read', () => {
    expect(tagFromLabels('{version}-{release}', labels, 'k')).toEqual({
      tag: '1.2.3-4',
      labels: { version: '1.2.3', release: '4' },
    });
    expect(tagFromLabels('v{org.opencontainers.image.version}', labels, 'k')).toEqual({
      tag: 'v9',
      labels: { 'org.opencontainers.image.version': '9' },
    });
  });

  it('a missing or empty label is LABEL_MISSING and names the image and the label', () => {
    expect(errorCodeOf(() => tagFromLabels('rdo_release', labels, 'k'))).toBe('LABEL_MISSING');
    expect(errorCodeOf(() => tagFromLabels('{release}', { release: '' }, 'k'))).toBe('LABEL_MISSING');
    let thrown: unknown;
    try {
      tagFromLabels('{version}-{build}', labels, 'nova_api');
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toMatchObject({ code: 'LABEL_MISSING', details: { image: 'nova_api', label: 'build' } });
  });
});
