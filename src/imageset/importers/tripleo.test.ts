/**
 * `airlock import tripleo`: ContainerImagePrepare plus TripleO's image list, checked against
 * what TripleO itself would prepare for the fixture files (worked out by hand below).
 */
import { describe, expect, it } from 'vitest';
import { fixture, thrown } from '../../../test/fixtures/importers/fixtures.js';
import { parseImageSet } from '../load.js';
import { planImageSet } from '../rules.js';
import type { PlannedImage } from '../types.js';
import { importImageSet } from './index.js';
import { stringifyImageSet } from './output.js';
import type { ImportInput } from './source.js';
import { importTripleo, type TripleoImportOptions } from './tripleo.js';

const PREPARE = fixture('tripleo/containers-prepare-parameter.yaml');
const LIST = fixture('tripleo/tripleo_containers.yaml.j2');
const UNDERCLOUD = '192.168.24.1:8787';

function run(inputs: ImportInput[] = [PREPARE], options: TripleoImportOptions = { images: LIST, pushDestination: UNDERCLOUD }) {
  const warnings: string[] = [];
  const set = importTripleo(inputs, { warn: (m) => warnings.push(m) }, options);
  return { set, warnings };
}
const byKey = (plan: PlannedImage[]) => Object.fromEntries(plan.map((p) => [p.key, p]));
const refOf = (p: PlannedImage) => `${p.source.registry}/${p.source.repository}:${p.source.tag}`;
const prepareWith = (entries: string, extra = '') => ({ file: 'prepare.yaml', text: `parameter_defaults:\n  ContainerImagePrepare:\n${entries}${extra}` });
/** A first entry with this `set` and no push. */
const only = (set: string) => `  - push_destination: false\n${set}`;
const SET = `    set:
      namespace: quay.io/tripleomastercentos9
      name_prefix: openstack-
      name_suffix: ''
      tag: current-tripleo
      rhel_containers: false
      ceph_images: false
`;

describe('import tripleo', () => {
  it("takes the first entry's set as parameters, and one switch per {% if %} condition", () => {
    const { set } = run();
    expect(set.parameters).toMatchObject({
      namespace: 'quay.io/tripleomastercentos9',
      name_prefix: 'openstack-',
      name_suffix: '',
      tag: 'current-tripleo',
      ceph_images: true,
      ceph_tag: 'v6.0.7-stable-6.0-pacific-centos-stream8',
      neutron_driver: 'ovn',
      not_rhel_containers: true,
      neutron_driver_odl: false,
      neutron_driver_ovn: true,
      neutron_driver_not_odl_or_ovn: false,
      ceph_images_and_ceph_alertmanager_image_defined: true,
    });
    expect(set.images.fluentd!.enabled_by).toBe('not_rhel_containers');
    expect(set.images.neutron_server_ovn!.enabled_by).toBe('neutron_driver_ovn');
    expect(set.images.ovn_controller!.enabled_by).toBe('neutron_driver_ovn');
    expect(set.images.neutron_server!.enabled_by).toBe('neutron_driver_not_odl_or_ovn');
    expect(set.images.ceph_daemon!.enabled_by).toBe('ceph_images');
    expect(set.images.haproxy!.enabled_by).toBeUndefined();
  });

  it('keys each image by its name and keeps where it came from, with every Heat parameter in order', () => {
    const { set } = run();
    expect(Object.keys(set.images)).toEqual([
      'alert_manager',
      'aodh_api',
      'ceph_daemon',
      'fluentd',
      'haproxy',
      'heat_all',
      'keystone',
      'neutron_server',
      'neutron_server_opendaylight',
      'neutron_server_ovn',
      'nova_api',
      'nova_compute',
      'nova_libvirt',
      'ovn_controller',
      'prometheus',
    ]);
    expect(set.images.haproxy).toEqual({
      ref: '{namespace}/{name_prefix}haproxy{name_suffix}:{tag}',
      imported: {
        tool: 'tripleo',
        file: 'tripleo/tripleo_containers.yaml.j2',
        line: 13,
        name: '{{ namespace }}/{{ name_prefix }}haproxy{{ name_suffix }}:{{ tag }}',
        parameters: ['ContainerHAProxyImage', 'ContainerHAProxyConfigImage'],
      },
    });
    expect(set.images.prometheus!.imported!.parameters).toEqual(['PrometheusContainerImage']);
    expect(set.images.nova_api!.imported!.parameters).toEqual(['ContainerNovaApiImage', 'ContainerNovaConfigImage', 'ContainerNovaMetadataImage']);
    expect(set.images.heat_all!.imported!.parameters).toEqual([]);
    expect(set.images.ceph_daemon!.ref).toBe('{ceph_namespace}/{ceph_image}:{ceph_tag}');
  });

  it('writes one selecting regex rule per entry, with the label fallback and push_destination: true resolved', () => {
    const { set } = run();
    expect(set.rules).toEqual([
      {
        name: 'ContainerImagePrepare[0]',
        selects: true,
        tag_from_label: 'rdo_version',
        tag_from_label_fallback: 'tag',
        match: 'regex',
        excludes: ['nova-api', 'ceph.*'],
        push_destination: UNDERCLOUD,
      },
      {
        name: 'ContainerImagePrepare[1]',
        selects: true,
        set: { namespace: 'quay.io/tripleomastercentos9', name_prefix: 'openstack-', tag: 'hotfix-2024-05' },
        match: 'regex',
        includes: ['nova-compute'],
        push_destination: UNDERCLOUD,
      },
      {
        name: 'ContainerImagePrepare[2]',
        selects: true,
        set: { ceph_namespace: 'quay.io/ceph', ceph_image: 'daemon', ceph_tag: 'v6.0.8' },
        tag_from_label: '{version}-{release}',
        tag_from_label_fallback: 'tag',
        match: 'regex',
        includes: ['^quay\\.io/ceph/'],
        push_destination: 'registry.example.com:5000/ceph',
      },
    ]);
  });

  it('plans exactly the images TripleO would prepare, each with the values of the last entry that selects it', () => {
    const plan = byKey(planImageSet(run().set));
    // Entry 0 excludes nova-api and anything with "ceph"; entry 1 takes nova-compute again,
    // entry 2 the Ceph daemon; nova-api is in no entry. Conditions: not rhel_containers,
    // neutron_driver ovn, ceph_images and the alertmanager are on; odl and the plain
    // neutron-server are off.
    expect(Object.keys(plan)).toEqual([
      'alert_manager',
      'aodh_api',
      'ceph_daemon',
      'fluentd',
      'haproxy',
      'heat_all',
      'keystone',
      'neutron_server_ovn',
      'nova_compute',
      'nova_libvirt',
      'ovn_controller',
      'prometheus',
    ]);
    expect(refOf(plan.haproxy!)).toBe('quay.io/tripleomastercentos9/openstack-haproxy:current-tripleo');
    expect(plan.haproxy!.tagFromLabel).toEqual({ value: 'rdo_version', rule: 0, fallback: 'tag' });
    expect(plan.haproxy!.pushDestination).toEqual({ value: UNDERCLOUD, rule: 0 });
    expect(refOf(plan.nova_compute!)).toBe('quay.io/tripleomastercentos9/openstack-nova-compute:hotfix-2024-05');
    expect(plan.nova_compute!.rules).toEqual([1]);
    expect(plan.nova_compute!.tagFromLabel).toBeUndefined();
    expect(refOf(plan.ceph_daemon!)).toBe('quay.io/ceph/daemon:v6.0.8');
    expect(plan.ceph_daemon!.tagFromLabel).toEqual({ value: '{version}-{release}', rule: 2, fallback: 'tag' });
    expect(plan.ceph_daemon!.pushDestination).toEqual({ value: 'registry.example.com:5000/ceph', rule: 2 });
    expect(refOf(plan.prometheus!)).toBe('quay.io/prometheus/prometheus:v2.33.4');
    expect(refOf(plan.alert_manager!)).toBe('quay.io/prometheus/alertmanager:v0.23.0');
  });

  it('switches follow --set: another neutron driver, no Ceph', () => {
    const set = run().set;
    const keys = (o: Record<string, string | boolean>) => planImageSet(set, o).map((p) => p.key);
    const odl = keys({ neutron_driver_ovn: false, neutron_driver_odl: true });
    expect(odl).toContain('neutron_server_opendaylight');
    expect(odl).not.toContain('neutron_server_ovn');
    expect(odl).not.toContain('ovn_controller');
    expect(keys({ ceph_images: false })).not.toContain('prometheus');
    expect(keys({ not_rhel_containers: false })).not.toContain('fluentd');
  });

  it('writes credentials by registry and user, the password from an environment variable, never the password', () => {
    const { set, warnings } = run();
    expect(set.credentials).toEqual({ 'quay.io': { username: 'myuser', password_env: 'QUAY_IO_PASSWORD' } });
    const text = stringifyImageSet(set, set.notes.join('\n'));
    expect(text).not.toContain('p@55w0rd');
    expect(warnings.join('\n')).not.toContain('p@55w0rd');
    expect(warnings.join('\n')).toMatch(/set QUAY_IO_PASSWORD/);
  });

  it('reports modify_* as not applied, in the notes and as a warning', () => {
    const { set, warnings } = run();
    const modify = set.notes.find((n) => n.includes('modify_role'))!;
    expect(modify).toMatch(/^ContainerImagePrepare\[0\] \(tripleo\/containers-prepare-parameter\.yaml:4\): not applied yet/);
    expect(modify).toContain('modify_role: "tripleo-modify-image"');
    expect(modify).toContain('modify_append_tag: "-updated"');
    expect(modify).toContain('modify_vars: {"tasks_from":"yum_update.yml","update_repo":"quay-updates"}');
    expect(warnings).toContain(modify);
    expect(set.notes.some((n) => n.startsWith('neutron_driver_ovn: true when {% if neutron_driver == "ovn" %}'))).toBe(true);
    expect(set.notes).toContain(`push_destination: true is ${UNDERCLOUD} (--push-destination)`);
  });

  it('applies tripleo-modify-image rpm_install.yml as the rule\'s modify (rpms and the append tag); the image set round-trips', () => {
    const entries = `  - push_destination: registry.local:8787\n    modify_role: tripleo-modify-image\n    modify_append_tag: -hotfix\n    modify_vars:\n      tasks_from: rpm_install.yml\n      rpms_path: /home/stack/nova-hotfix-pkgs\n    includes: [nova-compute]\n${SET}`;
    const { set, warnings } = run([prepareWith(entries)], { images: LIST });
    expect(set.rules[0]!.modify).toEqual({ tag_suffix: '-hotfix', steps: [{ kind: 'rpms', value: '/home/stack/nova-hotfix-pkgs' }], dir: '.' });
    expect(warnings.join('\n')).not.toContain('modify_role');
    expect(set.notes.some((n) => n.includes('applied as this rule\'s modify'))).toBe(true);
    const text = stringifyImageSet(set);
    expect(text).toContain('modify:\n      tag_suffix: -hotfix\n      steps:\n        - rpms: /home/stack/nova-hotfix-pkgs');
    expect(parseImageSet(text).rules[0]!.modify!.steps).toEqual([{ kind: 'rpms', value: '/home/stack/nova-hotfix-pkgs' }]);
    // What TripleO would push: the source tag plus the append tag, under the destination.
    const nova = planImageSet(parseImageSet(text)).find((p) => p.key === 'nova_compute')!;
    expect(nova.modify?.value.tag_suffix).toBe('-hotfix');
  });

  it('notes every other key it does not act on, and DockerRegistryMirror', () => {
    const entries = `  - pull_source: old.registry:5000\n    multi_arch: true\n    surprise: 1\n${SET}`;
    const { set, warnings } = run([prepareWith(entries, '  DockerRegistryMirror: http://mirror.local:5000/\n')], { images: LIST });
    expect(warnings).toEqual([
      'ContainerImagePrepare[0] (prepare.yaml:3): not applied (images are read from the registries their names give): pull_source: "old.registry:5000"',
      "ContainerImagePrepare[0] (prepare.yaml:3): not applied (airlock keeps every platform of an image unless a rule's platforms say otherwise): multi_arch: true",
      'ContainerImagePrepare[0] (prepare.yaml:3): ignored, as TripleO ignores them: surprise',
      'DockerRegistryMirror http://mirror.local:5000/: not applied; images are read from their own registries',
    ]);
    expect(set.notes).toEqual(expect.arrayContaining(warnings));
  });

  it('round-trips: the written file loads back as the same set and plans the same', () => {
    const { set } = run();
    const { notes, ...plain } = set;
    const text = stringifyImageSet(set, ['Imported', ...notes].join('\n'));
    const loaded = parseImageSet(text, 'images.yaml');
    expect({ ...loaded, file: undefined }).toEqual({ ...plain, file: undefined });
    expect(planImageSet(loaded)).toEqual(planImageSet(set));
    expect(stringifyImageSet(loaded)).toBe(stringifyImageSet(set));
  });

  it('runs through importImageSet with the image list given among the files', () => {
    const set = importImageSet('tripleo', [PREPARE, LIST], { pushDestination: UNDERCLOUD });
    expect(Object.keys(set.images)).toHaveLength(15);
  });
});

describe('import tripleo: push_destination: true', () => {
  it("takes TripleO's LocalContainerRegistry on port 8787 from any environment file when --push-destination is not given", () => {
    const { set } = run([PREPARE, fixture('tripleo/undercloud-registry.yaml')], { images: LIST });
    expect(set.rules.map((r) => r.push_destination)).toEqual(['192.168.24.1:8787', '192.168.24.1:8787', 'registry.example.com:5000/ceph']);
    expect(set.notes.find((n) => n.startsWith('push_destination: true'))).toMatch(/LocalContainerRegistry \(tripleo\/undercloud-registry\.yaml:3\)/);
    // --push-destination wins.
    expect(run([PREPARE, fixture('tripleo/undercloud-registry.yaml')], { images: LIST, pushDestination: 'uc.example:8787/' }).set.rules[0]!.push_destination).toBe(
      'uc.example:8787',
    );
  });

  it('is USAGE naming the way out when nothing names the registry; a bad --push-destination is USAGE', () => {
    const err = thrown(() => run([PREPARE], { images: LIST }));
    expect(err.code).toBe('USAGE');
    expect(err.message).toMatch(/containers-prepare-parameter\.yaml:4: ContainerImagePrepare\[0\] has push_destination: true/);
    expect(err.message).toMatch(/--push-destination/);
    expect(err.message).toMatch(/LocalContainerRegistry/);
    expect(thrown(() => run([PREPARE], { images: LIST, pushDestination: 'not a host' })).code).toBe('USAGE');
  });
});

describe('import tripleo: what TripleO does to its inputs', () => {
  const list = { file: 'list.j2', text: 'container_images_template:\n- imagename: "{{namespace}}/{{name_prefix}}nova-api{{name_suffix}}:{{tag}}"\n  params: [ContainerNovaApiImage]\n' };

  it('hyphenates name_prefix and name_suffix as TripleO does, and says so', () => {
    const { set } = run([prepareWith(only(SET.replace('name_prefix: openstack-', 'name_prefix: openstack').replace("name_suffix: ''", 'name_suffix: debug')))], { images: list });
    expect(set.parameters).toMatchObject({ name_prefix: 'openstack-', name_suffix: '-debug' });
    expect(set.notes.join('\n')).toMatch(/name_prefix "openstack" is used as "openstack-"/);
    expect(refOf(planImageSet(set)[0]!)).toBe('quay.io/tripleomastercentos9/openstack-nova-api-debug:current-tripleo');
  });

  it("decides neutron_driver from NeutronMechanismDrivers, as TripleO does, over the set's", () => {
    const withDrivers = prepareWith(only(`${SET}      neutron_driver: ovn\n`), '  NeutronMechanismDrivers: [openvswitch, sriovnicswitch]\n');
    const { set } = run([withDrivers], { images: LIST });
    expect(set.parameters.neutron_driver).toBe('other');
    expect(set.parameters.neutron_driver_not_odl_or_ovn).toBe(true);
    expect(set.notes.join('\n')).toMatch(/neutron_driver "ovn" is replaced by "other": from NeutronMechanismDrivers/);
    expect(planImageSet(set).map((p) => p.key)).toContain('neutron_server');
    const odl = run([prepareWith(only(SET), "  NeutronMechanismDrivers: 'opendaylight_v2'\n")], { images: LIST }).set;
    expect(odl.parameters.neutron_driver_odl).toBe(true);
  });

  it("re-evaluates switches for a later entry's set", () => {
    const entries = `  - excludes: [ceph]\n${SET}  - includes: [ceph]\n    set: {ceph_images: true, rhel_containers: true}\n`;
    const { set } = run([prepareWith(entries)], { images: LIST });
    expect(set.rules[1]!.set).toEqual({
      ceph_images: true,
      rhel_containers: true,
      not_rhel_containers: false,
      ceph_images_and_ceph_alertmanager_image_defined: false,
    });
  });

  it('sets a plain switch the entry does not give to false, as Jinja reads it, and says so', () => {
    const { set } = run([prepareWith(only(SET.replace('      ceph_images: false\n', '')))], { images: LIST });
    expect(set.parameters.ceph_images).toBe(false);
    expect(set.notes.join('\n')).toMatch(/ceph_images .* is not set in ContainerImagePrepare\[0\]: false/);
  });

  it('names a second image of the same name after its first parameter', () => {
    const two = {
      file: 'list.j2',
      text: `container_images_template:
- imagename: "{{namespace}}/{{name_prefix}}keystone{{name_suffix}}:{{tag}}"
  params: [ContainerKeystoneImage]
- imagename: "{{namespace_stein}}/{{name_prefix_stein}}keystone{{name_suffix_stein}}:{{tag_stein}}"
  params: [ContainerKeystoneImageStein]
- imagename: "{{namespace}}/openstack-keystone:{{tag}}"
`,
    };
    const { set } = run([prepareWith(only(SET))], { images: two });
    expect(Object.keys(set.images)).toEqual(['keystone', 'keystone_2', 'keystone_stein']);
    expect(set.images.keystone_2!.imported!.line).toBe(6);
  });
});

describe('import tripleo: bad input', () => {
  it('requires the image list, naming where tripleo-common installs it (USAGE)', () => {
    const err = thrown(() => importTripleo([PREPARE]));
    expect(err.code).toBe('USAGE');
    expect(err.message).toContain('--images');
    expect(err.message).toContain('/usr/share/tripleo-common/container-images/tripleo_containers.yaml.j2');
    expect(thrown(() => importTripleo([LIST])).message).toMatch(/ContainerImagePrepare/);
    expect(thrown(() => importTripleo([PREPARE, LIST], undefined, { images: LIST })).message).toMatch(/one image list only/);
  });

  it('refuses bad entries with IMPORT_INVALID at file:line, never quoting a password', () => {
    const cases: [ImportInput, RegExp][] = [
      [prepareWith(`  - includes: ["nova(", ok]\n${SET}`), /prepare\.yaml:3: ContainerImagePrepare\[0\]\.includes: pattern "nova\(": not a regular expression/],
      [prepareWith(`  - excludes: ["(a+)+"]\n${SET}`), /prepare\.yaml:3: .*repeated group/],
      [prepareWith(`  - includes: nova\n${SET}`), /prepare\.yaml:3: ContainerImagePrepare\[0\]\.includes is a list/],
      [prepareWith(`  - push_destination: "http://x"\n${SET}`), /prepare\.yaml:3: .*push_destination is true or host/],
      [prepareWith(`  - tag_from_label: "{version"\n${SET}`), /prepare\.yaml:3: .*tag_from_label is a label name/],
      [prepareWith(`  - set: {tag: [a]}\n`), /prepare\.yaml:3: ContainerImagePrepare\[0\]\.set\.tag must be text/],
      [prepareWith(`  - ${SET.trim()}\n`, '  ContainerImageRegistryCredentials:\n    quay.io: {a: "s3cret-1", b: "s3cret-2"}\n'), /prepare\.yaml:\d+: .*exactly one username: password pair/],
      [prepareWith(`  - ${SET.trim()}\n`, '  ContainerImageRegistryCredentials:\n    "not a host": {a: "s3cret-1"}\n'), /is not a registry host/],
      [{ file: 'prepare.yaml', text: 'parameter_defaults:\n  Foo: 1\n' }, /no parameter_defaults\.ContainerImagePrepare/],
      [{ file: 'prepare.yaml', text: 'parameter_defaults:\n  ContainerImagePrepare: []\n' }, /is empty/],
      [{ file: 'prepare.yaml', text: 'parameter_defaults:\n  ContainerImagePrepare:\n  - [x]\n' }, /prepare\.yaml:3: ContainerImagePrepare\[0\] is a mapping/],
    ];
    for (const [input, message] of cases) {
      const err = thrown(() => run([input], { images: LIST, pushDestination: UNDERCLOUD }));
      expect(err.code, input.text).toBe('IMPORT_INVALID');
      expect(err.message, input.text).toMatch(message);
      expect(err.message).not.toContain('s3cret');
      expect(JSON.stringify(err.details)).not.toContain('s3cret');
    }
  });

  it('merges environment files as Heat does: a later file replaces a parameter', () => {
    const later = prepareWith(`  - ${SET.trim().replace('tag: current-tripleo', 'tag: from-later-file')}\n`);
    const { set } = run([PREPARE, later], { images: LIST });
    expect(set.parameters.tag).toBe('from-later-file');
    expect(set.rules).toHaveLength(1);
  });
});
