import { describe, expect, it } from 'vitest';
import { fixture, thrown } from '../../../test/fixtures/importers/fixtures.js';
import { describeCondition } from './tripleo-condition.js';
import { isImageTemplate, parseImageTemplate } from './tripleo-template.js';

const parse = (text: string) => parseImageTemplate({ file: 'list.j2', text });
const entry = (name: string, params: string[] = []) =>
  `- imagename: "{{namespace}}/{{name_prefix}}${name}{{name_suffix}}:{{tag}}"\n  params:\n${params.map((p) => `  - ${p}\n`).join('')}`;

describe('parseImageTemplate', () => {
  it('reads every entry of the fixture list with its line, parameters and condition', () => {
    const t = parseImageTemplate(fixture('tripleo/tripleo_containers.yaml.j2'));
    expect(t.entries).toHaveLength(15);
    const byName = Object.fromEntries(t.entries.map((e) => [e.imagename.replace(/\{\{[^}]*\}\}/g, '').replace(/^\/|:$/g, ''), e]));
    expect(byName.haproxy).toMatchObject({
      ref: '{namespace}/{name_prefix}haproxy{name_suffix}:{tag}',
      params: ['ContainerHAProxyImage', 'ContainerHAProxyConfigImage'],
      line: 13,
    });
    expect(byName.haproxy!.condition).toBeUndefined();
    expect(byName['heat-all']!.params).toEqual([]);
    const conditions = Object.fromEntries(t.entries.filter((e) => e.condition).map((e) => [e.line, describeCondition(e.condition!)]));
    expect(Object.values(conditions)).toEqual([
      'not rhel_containers',
      'neutron_driver == "odl"',
      'neutron_driver == "ovn"',
      'neutron_driver != "odl" and neutron_driver != "ovn"',
      'neutron_driver == "ovn"',
      'ceph_images',
      'ceph_images',
      'ceph_images and ceph_alertmanager_image is defined',
    ]);
  });

  it('tells the image list from a Heat environment by its container_images_template', () => {
    expect(isImageTemplate(fixture('tripleo/tripleo_containers.yaml.j2').text)).toBe(true);
    expect(isImageTemplate(fixture('tripleo/containers-prepare-parameter.yaml').text)).toBe(false);
  });

  it('nests {% if %} blocks and keeps line numbers as written', () => {
    const t = parse(`container_images_template:
{% if a %}
${entry('one', ['P1'])}{% if b == 'x' %}
${entry('two', ['P2'])}{% endif %}
{% endif %}
${entry('three')}`);
    expect(t.entries.map((e) => [e.line, e.condition ? describeCondition(e.condition) : '-'])).toEqual([
      [3, 'a'],
      [7, 'a and b == "x"'],
      [12, '-'],
    ]);
  });

  it('refuses what it cannot keep, with IMPORT_INVALID at the line', () => {
    const cases: [string, RegExp][] = [
      [`container_images_template:\n{% for x in y %}\n${entry('a')}{% endfor %}\n`, /list\.j2:2: .*only if, elif, else and endif/],
      [`container_images_template:\n- imagename: "{% if a %}x{% endif %}"\n`, /list\.j2:2: .*on a line of its own/],
      [`container_images_template:\n{% if a %}\n${entry('a')}`, /list\.j2:2: .*never closed/],
      [`container_images_template:\n${entry('a')}{% endif %}\n`, /list\.j2:4: .*without \{% if %\}/],
      [`container_images_template:\n{% if a %}\n{% else %}\n{% elif b %}\n{% endif %}\n`, /list\.j2:4: .*after \{% else %\}/],
      [`container_images_template:\n- imagename: "{{namespace}}/x:{{tag}}"\n  params:\n{% if a %}\n  - P\n{% endif %}\n`, /list\.j2:4: .*inside an entry/],
      [`container_images_template:\n- imagename: "{{ namespace | default('q') }}/x:1"\n`, /list\.j2:2: .*only \{\{ variable \}\} placeholders/],
      [`container_images_template:\n- imagename: "{namespace}}/x:1"\n`, /list\.j2:2: .*braces/],
      [`container_images_template:\n{% if x in y %}\n{% endif %}\n`, /list\.j2:2: /],
      [`container_images_template:\n- params: [P]\n`, /list\.j2:2: the entry has no imagename/],
      [`container_images_template:\n- imagename: x/y:1\n  params: [not a name]\n`, /list\.j2:3: .*not a Heat parameter name/],
      ['images: []\n', /no container_images_template/],
      [`container_images_template:\n- imagename: {{namespace}}/x:1\n`, /list\.j2:2: not valid YAML/],
    ];
    for (const [text, message] of cases) {
      const err = thrown(() => parse(text));
      expect(err.code, text).toBe('IMPORT_INVALID');
      expect(err.message, text).toMatch(message);
    }
  });

  it('bounds what it reads', () => {
    expect(thrown(() => parse(`container_images_template:\n${entry('a')}${'#'.repeat(4 * 1024 * 1024)}`)).message).toMatch(/larger than/);
    const deep = `container_images_template:\n${'{% if a %}\n'.repeat(17)}${'{% endif %}\n'.repeat(17)}`;
    expect(thrown(() => parse(deep)).message).toMatch(/nested more than 16/);
  });
});
