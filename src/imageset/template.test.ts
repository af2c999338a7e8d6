import { describe, expect, it } from 'vitest';
import { labelTemplate, renderLabelTemplate, renderTemplate, templatePlaceholders } from './template.js';
import { thrown } from '../../test/helpers/codes.js';


describe('renderTemplate', () => {
  it('fills every placeholder, including empty and repeated ones', () => {
    const params = { namespace: 'quay.io/tripleomastercentos9', name_prefix: 'openstack-', name_suffix: '', tag: 'current-tripleo' };
    expect(renderTemplate('{namespace}/{name_prefix}nova-api{name_suffix}:{tag}', params, 'nova_api')).toBe(
      'quay.io/tripleomastercentos9/openstack-nova-api:current-tripleo',
    );
    expect(renderTemplate('{tag}-{tag}', { tag: 'a' }, 'x')).toBe('a-a');
  });

  it('leaves a plain reference untouched', () => {
    const ref = `andyshinn/dnsmasq:2.72@sha256:${'a'.repeat(64)}`;
    expect(renderTemplate(ref, {}, 'dnsmasq')).toBe(ref);
  });

  it('names the image and the parameter when one is missing', () => {
    const err = thrown(() => renderTemplate('{ceph_namespace}/{ceph_image}:{ceph_tag}', { ceph_namespace: 'quay.io/ceph' }, 'ceph'));
    expect(err.code).toBe('TEMPLATE_PARAM_MISSING');
    expect(err.details).toMatchObject({ image: 'ceph', parameter: 'ceph_image' });
  });

  it('does not take members of Object for parameters', () => {
    expect(thrown(() => renderTemplate('x:{constructor}', {}, 'x')).code).toBe('TEMPLATE_PARAM_MISSING');
  });

  it('lists placeholders once each, in order', () => {
    expect(templatePlaceholders('{a}/{b}:{a}')).toEqual(['a', 'b']);
  });
});

describe('renderLabelTemplate', () => {
  const labels = { version: '19.0.1', release: '1.el9', rdo_version: '19.0.1-1.el9', 'org.opencontainers.image.version': '2.4' };

  it('reads a bare label name as a one-placeholder template', () => {
    expect(labelTemplate('rdo_version')).toBe('{rdo_version}');
    expect(renderLabelTemplate('rdo_version', labels, 'nova_api')).toBe('19.0.1-1.el9');
  });

  it('renders a template over labels, including dotted label names', () => {
    expect(renderLabelTemplate('{version}-{release}', labels, 'nova_api')).toBe('19.0.1-1.el9');
    expect(renderLabelTemplate('v{org.opencontainers.image.version}', labels, 'x')).toBe('v2.4');
  });

  it('names the image and the label when a label is missing or empty', () => {
    const err = thrown(() => renderLabelTemplate('{version}-{build}', labels, 'nova_api'));
    expect(err.code).toBe('LABEL_MISSING');
    expect(err.details).toMatchObject({ image: 'nova_api', label: 'build', template: '{version}-{build}' });
    expect(thrown(() => renderLabelTemplate('release', { release: '' }, 'x')).details.label).toBe('release');
  });
});
