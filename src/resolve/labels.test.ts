import { describe, expect, it } from 'vitest';
import { errorCodeOf } from '../../test/helpers/codes.js';
import { renderLabelTemplate, templateLabels } from './labels.js';

const labels = { version: '1.2.3', release: '4', rdo_version: '1.2.3-4.el9', 'org.opencontainers.image.version': '9' };

describe('renderLabelTemplate', () => {
  it('a plain label name gives its value', () => {
    expect(renderLabelTemplate('rdo_version', labels, 'k')).toEqual({ tag: '1.2.3-4.el9', labels: { rdo_version: '1.2.3-4.el9' } });
  });

  it('a template joins several labels and records each one', () => {
    expect(renderLabelTemplate('{version}-{release}', labels, 'k')).toEqual({
      tag: '1.2.3-4',
      labels: { version: '1.2.3', release: '4' },
    });
    expect(renderLabelTemplate('v{org.opencontainers.image.version}', labels, 'k').tag).toBe('v9');
  });

  it('a missing or empty label is LABEL_MISSING and names the image and the label', () => {
    expect(errorCodeOf(() => renderLabelTemplate('{version}-{build}', labels, 'nova_api'))).toBe('LABEL_MISSING');
    expect(errorCodeOf(() => renderLabelTemplate('rdo_release', labels, 'k'))).toBe('LABEL_MISSING');
    expect(errorCodeOf(() => renderLabelTemplate('{release}', { release: '' }, 'k'))).toBe('LABEL_MISSING');
    let thrown: unknown;
    try {
      renderLabelTemplate('{version}-{build}', labels, 'nova_api');
    } catch (err) {
      thrown = err;
    }
    expect((thrown as { details: unknown }).details).toMatchObject({ key: 'nova_api', labels: ['build'] });
  });

  it('lists the labels a template reads', () => {
    expect(templateLabels('{version}-{release}')).toEqual(['version', 'release']);
    expect(templateLabels('rdo_version')).toEqual(['rdo_version']);
  });
});
