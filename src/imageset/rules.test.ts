import { describe, expect, it } from 'vitest';
import { parseImageSet } from './load.js';
import { isSwitchedOff, planImageSet, ruleApplies } from './rules.js';
import type { PlannedImage } from './types.js';
import { thrown } from '../../test/helpers/codes.js';


const byKey = (plan: PlannedImage[]) => Object.fromEntries(plan.map((p) => [p.key, p]));
const ref = (p: PlannedImage | undefined) => (p ? `${p.source.registry}/${p.source.repository}:${p.source.tag}` : undefined);

const TRIPLEO = `
parameters:
  namespace: quay.io/tripleomastercentos9
  name_prefix: openstack-
  name_suffix: ''
  tag: current-tripleo
  ceph_images: true
  ceph_namespace: quay.io/ceph
  ceph_image: ceph
  ceph_tag: v18
images:
  nova_api: "{namespace}/{name_prefix}nova-api{name_suffix}:{tag}"
  nova_compute: "{namespace}/{name_prefix}nova-compute{name_suffix}:{tag}"
  keystone: "{namespace}/{name_prefix}keystone{name_suffix}:{tag}"
  ceph:
    ref: "{ceph_namespace}/{ceph_image}:{ceph_tag}"
    enabled_by: ceph_images
`;

describe('planImageSet', () => {
  it('renders TripleO-style templates with name_prefix and name_suffix, sorted by key', () => {
    const set = parseImageSet(`${TRIPLEO}rules:\n  - set: {name_suffix: -debug}\n    includes: [keystone]\n`);
    const plan = planImageSet(set);
    expect(plan.map((p) => p.key)).toEqual(['ceph', 'keystone', 'nova_api', 'nova_compute']);
    const images = byKey(plan);
    expect(ref(images.nova_api)).toBe('quay.io/tripleomastercentos9/openstack-nova-api:current-tripleo');
    expect(ref(images.keystone)).toBe('quay.io/tripleomastercentos9/openstack-keystone-debug:current-tripleo');
    expect(images.nova_api!.template).toBe('{namespace}/{name_prefix}nova-api{name_suffix}:{tag}');
  });

  it('fills free-form parameters such as ceph_namespace, ceph_image and ceph_tag', () => {
    const set = parseImageSet(`${TRIPLEO}rules:\n  - set: {ceph_namespace: registry.local:8787/ceph, ceph_tag: v18.2.1}\n    includes: [ceph]\n`);
    const ceph = byKey(planImageSet(set)).ceph!;
    expect(ceph.source).toEqual({ registry: 'registry.local:8787', repository: 'ceph/ceph', tag: 'v18.2.1' });
    expect(ceph.params.ceph_tag).toBe('v18.2.1');
  });

  it('layers parameters: defaults, then rules in order (later win), then overrides', () => {
    const set = parseImageSet(`${TRIPLEO}rules:
  - set: {tag: a, name_prefix: first-}
  - set: {tag: b}
  - set: {tag: c}
    includes: [nova]
`);
    const images = byKey(planImageSet(set));
    expect(images.keystone!.source.tag).toBe('b');
    expect(images.keystone!.source.repository).toBe('tripleomastercentos9/first-keystone');
    expect(images.keystone!.rules).toEqual([0, 1]);
    expect(images.nova_api!.source.tag).toBe('c');
    expect(images.nova_api!.rules).toEqual([0, 1, 2]);
    const overridden = byKey(planImageSet(set, { tag: 'cli' }));
    expect(overridden.nova_api!.source.tag).toBe('cli');
    expect(overridden.nova_api!.params.tag).toBe('cli');
  });

  it('lets includes win over excludes, and applies excludes alone to everything else', () => {
    const set = parseImageSet(`${TRIPLEO}rules:
  - set: {tag: not-nova}
    excludes: [nova]
  - set: {tag: compute}
    includes: [nova-compute]
    excludes: [nova]
`);
    const images = byKey(planImageSet(set));
    expect(images.keystone!.source.tag).toBe('not-nova');
    expect(images.nova_api!.source.tag).toBe('current-tripleo');
    expect(images.nova_api!.rules).toEqual([]);
    expect(images.nova_compute!.source.tag).toBe('compute');
    expect(images.nova_compute!.rules).toEqual([1]);
  });

  it('matches includes against the image key as well as its repository', () => {
    const set = parseImageSet(`${TRIPLEO}rules:\n  - set: {tag: k}\n    includes: [nova_api]\n  - set: {tag: r}\n    includes: [openstack-keystone]\n`);
    const images = byKey(planImageSet(set));
    expect(images.nova_api!.source.tag).toBe('k');
    expect(images.keystone!.source.tag).toBe('r');
    expect(images.nova_compute!.source.tag).toBe('current-tripleo');
  });

  it('matches on the repository rendered with the parameters set before the rule, not on the tag', () => {
    const set = parseImageSet(`${TRIPLEO}rules:
  - set: {name_prefix: renamed-}
    includes: [keystone]
  - set: {tag: seen}
    includes: [renamed-keystone]
  - set: {tag: never}
    includes: [current-tripleo]
`);
    const images = byKey(planImageSet(set));
    expect(images.keystone!.source.tag).toBe('seen');
    expect(images.keystone!.rules).toEqual([0, 1]);
  });

  it('leaves out images switched off by their enabled_by parameter, in defaults, rules or overrides', () => {
    const keys = (yaml: string, overrides?: Record<string, string | boolean>) => planImageSet(parseImageSet(yaml), overrides).map((p) => p.key);
    expect(keys(TRIPLEO)).toContain('ceph');
    expect(keys(TRIPLEO.replace('ceph_images: true', 'ceph_images: false'))).toEqual(['keystone', 'nova_api', 'nova_compute']);
    expect(keys(`${TRIPLEO}rules:\n  - set: {ceph_images: false}\n`)).not.toContain('ceph');
    expect(keys(TRIPLEO, { ceph_images: 'no' })).not.toContain('ceph');
    expect(keys(TRIPLEO.replace('ceph_images: true', 'ceph_images: false'), { ceph_images: true })).toContain('ceph');
  });

  it('does not render switched-off images, so their parameters may be missing', () => {
    const set = parseImageSet('parameters: {ceph_images: false}\nimages:\n  ceph: {ref: "{ceph_namespace}/ceph:v18", enabled_by: ceph_images}\n');
    expect(planImageSet(set)).toEqual([]);
  });

  it('takes tag_from_label, push_destination and platforms from the last applying rule', () => {
    const set = parseImageSet(`${TRIPLEO}rules:
  - tag_from_label: rdo_version
    push_destination: registry.local:8787
    platforms: [linux/amd64]
  - tag_from_label: "{version}-{release}"
    excludes: [ceph]
  - push_destination: Mirror.Local:5000/airgap
    includes: [nova]
  - platforms: [linux/amd64, linux/arm64/v8]
    includes: [nova-compute]
`);
    const images = byKey(planImageSet(set));
    expect(images.keystone!.tagFromLabel).toEqual({ value: '{version}-{release}', rule: 1 });
    expect(images.ceph!.tagFromLabel).toEqual({ value: 'rdo_version', rule: 0 });
    expect(images.keystone!.pushDestination).toEqual({ value: 'registry.local:8787', rule: 0 });
    expect(images.nova_api!.pushDestination).toEqual({ value: 'mirror.local:5000/airgap', rule: 2 });
    expect(images.nova_api!.platforms).toEqual({ value: [{ os: 'linux', architecture: 'amd64' }], rule: 0 });
    expect(images.nova_compute!.platforms).toEqual({
      value: [
        { os: 'linux', architecture: 'amd64' },
        { os: 'linux', architecture: 'arm64', variant: 'v8' },
      ],
      rule: 3,
    });
  });

  it('leaves tag_from_label, push_destination and platforms out when no rule sets them', () => {
    const [p] = planImageSet(parseImageSet('images:\n  pause: registry.k8s.io/pause:3.9\n'));
    expect(p).toEqual({
      key: 'pause',
      template: 'registry.k8s.io/pause:3.9',
      source: { registry: 'registry.k8s.io', repository: 'pause', tag: '3.9' },
      params: {},
      rules: [],
      labelPlatform: { os: 'linux', architecture: 'amd64' },
    });
  });

  it("prefers an image's own platforms and label_platform to the rules' and defaults", () => {
    const set = parseImageSet(`images:
  pause:
    ref: registry.k8s.io/pause:3.9
    platforms: [linux/arm64]
    label_platform: linux/arm64
rules:
  - platforms: [linux/amd64]
`);
    const [p] = planImageSet(set);
    expect(p!.platforms).toEqual({ value: [{ os: 'linux', architecture: 'arm64' }] });
    expect(p!.labelPlatform).toEqual({ os: 'linux', architecture: 'arm64' });
  });

  it('keeps plain references with a digest, normalised the Docker way', () => {
    const digest = `sha256:${'c'.repeat(64)}`;
    const set = parseImageSet(`images:\n  dnsmasq: "andyshinn/dnsmasq:2.72@${digest}"\n  nginx: nginx\n`);
    const images = byKey(planImageSet(set));
    expect(images.dnsmasq!.source).toEqual({ registry: 'docker.io', repository: 'andyshinn/dnsmasq', tag: '2.72', digest });
    expect(images.nginx!.source).toEqual({ registry: 'docker.io', repository: 'library/nginx', tag: 'latest' });
  });

  it('throws TEMPLATE_PARAM_MISSING naming the image and the parameter', () => {
    const set = parseImageSet('parameters: {namespace: quay.io/x}\nimages:\n  nova_api: "{namespace}/nova-api:{tag}"\n');
    const err = thrown(() => planImageSet(set));
    expect(err.code).toBe('TEMPLATE_PARAM_MISSING');
    expect(err.details).toMatchObject({ image: 'nova_api', parameter: 'tag' });
    expect(planImageSet(set, { tag: 'x' })[0]!.source.tag).toBe('x');
  });

  it('throws REF_INVALID naming the image when the rendered reference is not valid', () => {
    const set = parseImageSet('parameters: {namespace: Quay.io/UPPER}\nimages:\n  nova_api: "{namespace}/nova-api:x"\n');
    const err = thrown(() => planImageSet(set));
    expect(err.code).toBe('REF_INVALID');
    expect(err.details).toMatchObject({ image: 'nova_api', reference: 'Quay.io/UPPER/nova-api:x' });
  });
});

describe('rule helpers', () => {
  it('apply a rule without includes or excludes to every image', () => {
    expect(ruleApplies({}, ['anything'])).toBe(true);
    expect(ruleApplies({ includes: [], excludes: [] }, ['anything'])).toBe(true);
  });

  it('read false, "false", "no" and "0" as switched off, anything else as on', () => {
    expect([false, 'false', 'No', '0'].map(isSwitchedOff)).toEqual([true, true, true, true]);
    expect([true, 'true', 'yes', '', undefined].map(isSwitchedOff)).toEqual([false, false, false, false, false]);
  });
});

describe('planImageSet with several bad images', () => {
  it('reports every failing image at once, with the first code', () => {
    const set = parseImageSet('images:\n  a: "{missing}/x:1"\n  b: "ok/image:1"\n  c: "{other}/y:1"\n');
    const err = thrown(() => planImageSet(set));
    expect(err.code).toBe('TEMPLATE_PARAM_MISSING');
    expect((err.details.failures as { key: string }[]).map((f) => f.key)).toEqual(['a', 'c']);
  });
});

describe('rules with match: regex (TripleO includes/excludes)', () => {
  const keys = (yaml: string) => planImageSet(parseImageSet(`${TRIPLEO}rules:\n${yaml}`)).map((p) => p.key);
  const tags = (yaml: string) => Object.fromEntries(planImageSet(parseImageSet(`${TRIPLEO}rules:\n${yaml}`)).map((p) => [p.key, p.source.tag]));

  it('searches regular expressions in the full image name, not in the key', () => {
    expect(tags('  - {match: regex, includes: ["nova-(api|compute)$|nova-api:"], set: {tag: x}}\n')).toMatchObject({
      nova_api: 'x',
      nova_compute: 'current-tripleo',
      keystone: 'current-tripleo',
    });
    // The key nova_api is not the name; the tag is part of the name.
    expect(tags('  - {match: regex, includes: [nova_api], set: {tag: x}}\n').nova_api).toBe('current-tripleo');
    const suffixed = planImageSet(parseImageSet(`${TRIPLEO}rules:\n  - {match: regex, includes: [":current-tripleo$"], set: {name_suffix: -x}}\n`));
    expect(byKey(suffixed).keystone!.source.repository).toBe('tripleomastercentos9/openstack-keystone-x');
    // The name is rendered with the rule's own set: a rule setting another tag no longer matches the old one.
    expect(tags('  - {match: regex, includes: [":current-tripleo$"], set: {tag: x}}\n').keystone).toBe('current-tripleo');
    expect(tags('  - {match: regex, includes: ["^quay\\\\.io/ceph/"], set: {tag: x}}\n')).toMatchObject({ ceph: 'v18', keystone: 'current-tripleo' });
  });

  it('ignores every exclude when includes are given, as tripleo-common does', () => {
    const t = tags('  - {match: regex, includes: [nova], excludes: [nova-api, ".*"], set: {tag: x}}\n');
    expect(t).toMatchObject({ nova_api: 'x', nova_compute: 'x', keystone: 'current-tripleo' });
    expect(tags('  - {match: regex, excludes: [nova-api, "^quay.io/ceph"], set: {tag: x}}\n')).toMatchObject({
      nova_api: 'current-tripleo',
      nova_compute: 'x',
      keystone: 'x',
      ceph: 'v18',
    });
  });

  it("matches the name rendered with the rule's own set, as each ContainerImagePrepare entry renders its names", () => {
    expect(tags('  - {match: regex, includes: ["^mirror.local/"], set: {namespace: mirror.local/tripleo, tag: m}}\n').keystone).toBe('m');
    // Substring mode keeps matching on what the image was before the rule.
    expect(tags('  - {includes: ["mirror.local/"], set: {namespace: mirror.local/tripleo, tag: m}}\n').keystone).toBe('current-tripleo');
  });

  it('refuses a bad or dangerous pattern at load with IMAGESET_INVALID at its line', () => {
    const err = thrown(() => parseImageSet(`${TRIPLEO}rules:\n  - match: regex\n    includes:\n      - nova\n      - "(a+)+"\n`, 'images.yaml'));
    expect(err.code).toBe('IMAGESET_INVALID');
    expect(err.message).toMatch(/^images\.yaml:22:\d+: rules\.0\.includes\.1: pattern "\(a\+\)\+": a repeated group/);
    expect(thrown(() => parseImageSet(`${TRIPLEO}rules:\n  - {match: regex, excludes: ["nova["]}\n`)).message).toMatch(/not a regular expression/);
    // The same text is a fine substring.
    expect(keys('  - {excludes: ["nova["]}\n')).toHaveLength(4);
  });

  it('refuses patterns given in code the loader would refuse, with IMAGESET_INVALID', () => {
    const set = parseImageSet(TRIPLEO);
    set.rules.push({ match: 'regex', includes: ['(x*)*'] });
    expect(thrown(() => planImageSet(set)).code).toBe('IMAGESET_INVALID');
    expect(thrown(() => ruleApplies({ match: 'regex', includes: ['['] }, ['x'])).code).toBe('IMAGESET_INVALID');
  });

  it('refuses an unknown match mode', () => {
    expect(thrown(() => parseImageSet(`${TRIPLEO}rules:\n  - {match: glob}\n`)).message).toMatch(/match is substring or regex/);
  });
});

describe('rules that select (TripleO ContainerImagePrepare entries)', () => {
  const plan = (yaml: string) => byKey(planImageSet(parseImageSet(`${TRIPLEO}rules:\n${yaml}`)));

  it('leaves out images that no selecting rule applies to', () => {
    const images = plan(`  - {selects: true, match: regex, excludes: [nova-api, "ceph.*"]}
  - {selects: true, match: regex, includes: [nova-compute], set: {tag: other}}
`);
    expect(Object.keys(images)).toEqual(['keystone', 'nova_compute']);
    expect(images.nova_compute!.source.tag).toBe('other');
  });

  it('starts an image afresh at each selecting rule: the last one that applies gives its values', () => {
    const images = plan(`  - selects: true
    tag_from_label: rdo_version
    push_destination: undercloud.ctlplane:8787
    platforms: [linux/amd64]
  - selects: true
    includes: [nova-compute]
    set: {name_suffix: -hotfix}
  - set: {tag: late}
    includes: [keystone]
`);
    expect(images.nova_compute!.rules).toEqual([1]);
    expect(images.nova_compute!.tagFromLabel).toBeUndefined();
    expect(images.nova_compute!.pushDestination).toBeUndefined();
    expect(images.nova_compute!.platforms).toBeUndefined();
    expect(images.nova_compute!.source.repository).toBe('tripleomastercentos9/openstack-nova-compute-hotfix');
    expect(images.nova_api!.rules).toEqual([0]);
    expect(images.nova_api!.pushDestination).toEqual({ value: 'undercloud.ctlplane:8787', rule: 0 });
    // A rule that does not select layers on top as usual.
    expect(images.keystone!.rules).toEqual([0, 2]);
    expect(images.keystone!.source.tag).toBe('late');
    expect(images.keystone!.tagFromLabel).toEqual({ value: 'rdo_version', rule: 0 });
  });

  it('changes nothing when no rule selects', () => {
    expect(Object.keys(plan('  - {includes: [nova], set: {tag: x}}\n'))).toEqual(['ceph', 'keystone', 'nova_api', 'nova_compute']);
  });
});

describe('tag_from_label switches', () => {
  const plan = (yaml: string) => byKey(planImageSet(parseImageSet(`${TRIPLEO}rules:\n${yaml}`)));

  it('tag_from_label_fallback: tag travels with the label to the resolver; the default is to fail', () => {
    const images = plan(`  - {tag_from_label: rdo_version, tag_from_label_fallback: tag}
  - {tag_from_label: "{version}", includes: [keystone]}
  - {tag_from_label: "{release}", includes: [ceph], tag_from_label_fallback: error}
`);
    expect(images.nova_api!.tagFromLabel).toEqual({ value: 'rdo_version', rule: 0, fallback: 'tag' });
    expect(images.keystone!.tagFromLabel).toEqual({ value: '{version}', rule: 1 });
    expect(images.ceph!.tagFromLabel).toEqual({ value: '{release}', rule: 2 });
  });

  it('tag_from_label_unless_set_tag keeps the tag a rule sets, as later TripleO releases do', () => {
    const images = plan(`  - {tag_from_label: rdo_version}
  - {tag_from_label: rdo_version, tag_from_label_unless_set_tag: true, set: {tag: hotfix}, includes: [nova-api]}
  - {tag_from_label: rdo_version, tag_from_label_unless_set_tag: true, includes: [keystone]}
  - {tag_from_label: rdo_version, set: {tag: labelled}, includes: [nova-compute]}
`);
    expect(images.nova_api!.tagFromLabel).toBeUndefined();
    expect(images.nova_api!.source.tag).toBe('hotfix');
    expect(images.keystone!.tagFromLabel).toEqual({ value: 'rdo_version', rule: 2 });
    expect(images.nova_compute!.tagFromLabel).toEqual({ value: 'rdo_version', rule: 3 });
    expect(images.ceph!.tagFromLabel).toEqual({ value: 'rdo_version', rule: 0 });
  });

  it('refuses the switches without tag_from_label in the same rule', () => {
    const err = thrown(() => parseImageSet(`${TRIPLEO}rules:\n  - {tag_from_label_fallback: tag}\n  - {tag_from_label_unless_set_tag: true}\n`));
    expect(err.code).toBe('IMAGESET_INVALID');
    expect(err.message).toMatch(/rules\.0\.tag_from_label_fallback: tag_from_label_fallback needs tag_from_label/);
    expect(err.message).toMatch(/rules\.1\.tag_from_label_unless_set_tag: tag_from_label_unless_set_tag needs tag_from_label/);
    expect(thrown(() => parseImageSet(`${TRIPLEO}rules:\n  - {tag_from_label: v, tag_from_label_fallback: keep}\n`)).message).toMatch(/error or tag/);
  });
});
