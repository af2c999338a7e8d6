/**
 * `airlock import kubespray` on Kubespray's defaults: the list Kubespray itself pulls (its
 * downloads: table plus the kubeadm images), switches, provenance, offline overrides, and
 * every problem reported at once. Fixtures are shaped like Kubespray 2.28 and 2.24.
 */
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../errors.js';
import { fixture, thrown } from '../../../test/fixtures/importers/fixtures.js';
import { generatedDownloads } from '../../../test/fixtures/importers/kubespray-generated/generate.js';
import { importKubespray, type KubesprayImportOptions } from './kubespray.js';
import { NO_NOTES, type ImportInput } from './source.js';

const V228 = 'kubespray-v2.28/roles/kubespray_defaults/defaults/main/';
const INVENTORY = 'kubespray-v2.28/inventory/mycluster/group_vars/';
const PAUSE = 'sha256:6210c0bf05396716df932f0729df69de0533933e5ad9871fd07b61811c4c28df';

/** Kubespray 2.28's defaults, in the order a shell glob gives them. */
const defaults = (): ImportInput[] => ['checksums.yml', 'download.yml', 'main.yml'].map((f) => fixture(V228 + f));
const inventory = (): ImportInput[] => [fixture(`${INVENTORY}all/offline.yml`), fixture(`${INVENTORY}k8s_cluster/k8s-cluster.yml`)];

/** Imports, collecting warnings. */
function run(inputs: ImportInput[], options: KubesprayImportOptions = {}) {
  const warnings: string[] = [];
  const set = importKubespray(inputs, { warn: (m) => warnings.push(m) }, options);
  return { set, warnings };
}

const refs = (inputs: ImportInput[], options: KubesprayImportOptions = {}) =>
  Object.fromEntries(Object.entries(run(inputs, options).set.images).map(([k, v]) => [k, v.ref]));

describe('importKubespray: Kubespray 2.28 defaults', () => {
  it("gives Kubespray's own list: every container download and the kubeadm images", () => {
    expect(refs(defaults())).toEqual({
      calico_cni: 'quay.io/calico/cni:v3.27.3',
      calico_node: 'quay.io/calico/node:v3.27.3',
      calico_policy: 'quay.io/calico/kube-controllers:v3.27.3',
      cilium: 'quay.io/cilium/cilium:v1.15.4',
      // The download's repo is "{{ cilium_operator_image_repo }}-generic".
      cilium_operator: 'quay.io/cilium/operator-generic:v1.15.4',
      coredns: 'registry.k8s.io/coredns/coredns:v1.11.1',
      dnsautoscaler: 'registry.k8s.io/cpa/cluster-proportional-autoscaler:v1.8.8',
      // kube_version is the first of kube_supported_versions; etcd's version is looked up by its major version.
      etcd: 'quay.io/coreos/etcd:v3.5.12',
      kube_apiserver: 'registry.k8s.io/kube-apiserver:v1.30.4',
      kube_controller_manager: 'registry.k8s.io/kube-controller-manager:v1.30.4',
      kube_proxy: 'registry.k8s.io/kube-proxy:v1.30.4',
      kube_scheduler: 'registry.k8s.io/kube-scheduler:v1.30.4',
      // Speaker and controller share metallb_image_tag.
      metallb_controller: 'quay.io/metallb/controller:v0.13.9',
      metallb_speaker: 'quay.io/metallb/speaker:v0.13.9',
      netcheck_server: 'docker.io/mirantis/k8s-netchecker-server:v1.2.2',
      nginx: 'docker.io/library/nginx:1.25.2-alpine',
      nodelocaldns: 'registry.k8s.io/dns/k8s-dns-node-cache:1.22.28',
      pod_infra: `registry.k8s.io/pause:3.9@${PAUSE}`,
    });
  });

  it('imports downloads Kubespray skips for these variables switched off, one parameter each', () => {
    const { set, warnings } = run(defaults());
    expect(set.parameters).toEqual({
      download_calico_cni: true,
      download_calico_node: true,
      download_calico_policy: true,
      download_cilium: false,
      download_cilium_operator: false,
      download_coredns: true,
      download_dnsautoscaler: true,
      download_etcd: false,
      download_metallb_controller: false,
      download_metallb_speaker: false,
      download_netcheck_server: false,
      download_nginx: true,
      download_nodelocaldns: true,
    });
    expect(set.images.cilium_operator!.enabled_by).toBe('download_cilium_operator');
    // Always pulled: no switch.
    expect(set.images.pod_infra!.enabled_by).toBeUndefined();
    expect(set.images.kube_apiserver!.enabled_by).toBeUndefined();
    expect(set.notes).toEqual([expect.stringContaining('netcheck_server, etcd, cilium, cilium_operator, metallb_speaker, metallb_controller')]);
    expect(warnings).toEqual([]);
  });

  it('records where Kubespray builds each reference, with only the variables the download names', () => {
    const { set } = run(defaults());
    expect(set.images.cilium_operator!.imported).toEqual({
      tool: 'kubespray',
      file: 'roles/kubespray_defaults/defaults/main/download.yml',
      line: 145,
      name: 'cilium_operator',
      expression: '{{ cilium_operator_image_repo }}-generic:{{ cilium_operator_image_tag }}',
      parameters: ['cilium_operator_digest_checksum'],
    });
    expect(set.images.metallb_speaker!.imported?.expression).toBe('{{ metallb_speaker_image_repo }}:{{ metallb_image_tag }}');
    expect(set.images.kube_scheduler!.imported).toEqual({
      tool: 'kubespray',
      file: 'roles/kubespray_defaults/defaults/main/download.yml',
      line: 97,
      name: 'kube-scheduler',
      expression: '{{ kube_image_repo }}/kube-scheduler:{{ kube_version }}',
    });
  });

  it("follows the inventory: its group_vars decide the switches, and its offline registries are set aside", () => {
    const { set, warnings } = run([...defaults(), ...inventory()]);
    expect(set.parameters).toMatchObject({ download_cilium_operator: true, download_calico_node: false, download_metallb_speaker: true });
    // Sources stay upstream although offline.yml points every registry at the mirror.
    expect(set.images.cilium_operator!.ref).toBe('quay.io/cilium/operator-generic:v1.15.4');
    expect(set.images.kube_apiserver!.ref).toBe('registry.k8s.io/kube-apiserver:v1.30.4');
    expect(warnings).toEqual([
      'image sources are taken from the Kubespray defaults, not from the registry overrides in group_vars/all/offline.yml (kube_image_repo:6, gcr_image_repo:7, github_image_repo:8, docker_image_repo:9, quay_image_repo:10): a mirror is not a source (--as-deployed keeps them)',
    ]);
    expect(set.notes?.[0]).toBe(warnings[0]);
  });

  it('as deployed, the offline registries are the sources', () => {
    const r = refs([...defaults(), ...inventory()], { asDeployed: true });
    expect(r.cilium_operator).toBe('myprivateregisry.com/cilium/operator-generic:v1.15.4');
    expect(r.kube_proxy).toBe('myprivateregisry.com/kube-proxy:v1.30.4');
  });

  it('the inventory counts the same whether given as files or through inventoryFiles', () => {
    expect(run(defaults(), { inventoryFiles: inventory() }).set).toEqual(run([...defaults(), ...inventory()]).set);
  });

  it('--set overrides everything, registries included, and reaches {% if %} in etcd_image_tag', () => {
    const r = refs(defaults(), { sets: { host_architecture: 'arm64', etcd_deployment_type: 'docker', quay_image_repo: 'quay.example.org' } });
    expect(r.etcd).toBe('quay.example.org/coreos/etcd:v3.5.12-arm64');
    expect(run(defaults(), { sets: { etcd_deployment_type: 'docker' } }).set.parameters.download_etcd).toBe(true);
  });

  it('a switch it cannot evaluate counts as on, with a warning naming what is missing', () => {
    const { set, warnings } = run([fixture(`${V228}checksums.yml`), fixture(`${V228}download.yml`)]);
    expect(set.parameters.download_cilium_operator).toBe(true);
    expect(set.parameters.download_pod_infra).toBeUndefined();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^could not tell whether Kubespray pulls netcheck_server, etcd, calico_node, .*\(deploy_netchecker is undefined, etcd_deployment_type is undefined, kube_network_plugin is undefined/);
  });
});

describe('importKubespray: older Kubespray (2.24 shape)', () => {
  const old = () => [fixture('kubespray-v2.24/roles/kubespray-defaults/defaults/main/download.yml')];

  it('evaluates regex_replace, split() and sha256: fields, and names the old role directory', () => {
    const { set } = run(old(), { sets: { etcd_deployment_type: 'docker', kube_network_plugin: 'flannel', dns_mode: 'coredns' } });
    expect(Object.fromEntries(Object.entries(set.images).map(([k, v]) => [k, v.ref]))).toEqual({
      dnsautoscaler: 'registry.k8s.io/cpa/cluster-proportional-autoscaler-amd64:v1.8.8',
      etcd: 'quay.io/coreos/etcd:v3.5.10',
      flannel: 'docker.io/flannel/flannel:v0.22.0-amd64',
      kube_apiserver: 'registry.k8s.io/kube-apiserver:v1.29.5',
      kube_controller_manager: 'registry.k8s.io/kube-controller-manager:v1.29.5',
      kube_proxy: 'registry.k8s.io/kube-proxy:v1.29.5',
      kube_scheduler: 'registry.k8s.io/kube-scheduler:v1.29.5',
      pod_infra: 'registry.k8s.io/pause:3.9',
    });
    expect(set.images.etcd!.imported).toMatchObject({ file: 'roles/kubespray-defaults/defaults/main/download.yml', parameters: ['etcd_digest_checksum'] });
  });

  it('pins an image whose sha256 field gives a digest', () => {
    const { set } = run(old(), { sets: { pod_infra_digest_checksum: PAUSE } });
    expect(set.images.pod_infra!.ref).toBe(`registry.k8s.io/pause:3.9@${PAUSE}`);
  });

  it('Kubespray 2.27 and later write kube_version without v; kubeadm tags keep theirs', () => {
    const { set } = run(old(), { sets: { kube_version: '1.29.5', kube_major_version: 'v1.29', pod_infra_version: '3.9' } });
    expect(set.images.kube_proxy).toMatchObject({ ref: 'registry.k8s.io/kube-proxy:v1.29.5', imported: { expression: '{{ kube_image_repo }}/kube-proxy:v{{ kube_version }}' } });
  });
});

describe('importKubespray: what it refuses', () => {
  const downloadsFile = (entries: string, vars = '') => ({
    file: 'download.yml',
    text: `kube_image_repo: registry.k8s.io\nkube_version: v1.30.4\n${vars}downloads:\n${entries}`,
  });

  it('a vars file without any image variable is not an image list', () => {
    const err = thrown(() => importKubespray([{ file: 'k8s-cluster.yml', text: 'kube_network_plugin: cilium\nmetallb_enabled: true\n' }]));
    expect(err.code).toBe(ErrorCodes.IMPORT_INVALID);
    expect(err.message).toContain('not an image list');
  });

  it('reports every expression it cannot evaluate in one error, one line each', () => {
    const text = [
      '  a:',
      '    container: true',
      '    repo: "{{ a_repo }}"',
      '    tag: v1',
      '  b:',
      '    container: true',
      '    repo: quay.io/b',
      '    tag: "{{ b_version | b64decode }}"',
      '  c:',
      '    container: true',
      '    repo: quay.io/c',
      "    tag: \"{{ c_version + }}\"",
      '  d:',
      '    container: true',
      '    repo: quay.io/d',
      '    tag: "{{ d_tag }}"',
      '',
    ].join('\n');
    const err = thrown(() => importKubespray([downloadsFile(text, 'b_version: v1\nd_tag: "{{ versions[kube_version] }}"\nversions: {}\n')]));
    expect(err.code).toBe(ErrorCodes.IMPORT_INVALID);
    const lines = err.message.split('\n');
    expect(lines[0]).toBe('4 problems in the Kubespray variables:');
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(/^ {2}download\.yml:9: downloads\.a\.repo: 'a_repo' is undefined .*--set a_repo=VALUE/),
      expect.stringMatching(/^ {2}download\.yml:14: downloads\.b\.tag: the filter "b64decode" is not supported .*install ansible-core, or --ansible always/),
      expect.stringMatching(/^ {2}download\.yml:18: downloads\.c\.tag: the expression ends too early/),
      // The problem is where the lookup is written: in d_tag, not in the download.
      expect.stringMatching(/^ {2}download\.yml:4: d_tag: 'versions' has no key 'v1\.30\.4' \(in "\{\{ versions\[kube_version\] \}\}"\); .*--set d_tag=VALUE/),
    ]);
    expect(err.details).toMatchObject({ file: 'download.yml', line: 9, variable: 'downloads.a.repo' });
    expect((err.details.problems as unknown[]).length).toBe(4);
  });

  it('cuts long expressions in messages', () => {
    const long = `{{ x${' ~ y'.repeat(2000)} }}`;
    const err = thrown(() => importKubespray([downloadsFile(`  a:\n    container: true\n    repo: quay.io/a\n    tag: "${long}"\n`)]));
    expect(err.message.length).toBeLessThan(1200);
  });

  it('stops at once on a runaway expression, with a short message', () => {
    const err = thrown(() => importKubespray([downloadsFile(`  a:\n    container: true\n    repo: quay.io/a\n    tag: "{{ 'v' * 99999999 }}"\n`)]));
    expect(err.code).toBe(ErrorCodes.IMPORT_INVALID);
    expect(err.message).toMatch(/^download\.yml:\d+: downloads\.a\.tag: evaluation stopped: a value would be longer than/);
    expect(err.message.length).toBeLessThan(300);
  });

  it('a container download without repo or tag is a problem', () => {
    const err = thrown(() => importKubespray([downloadsFile('  a:\n    container: true\n    repo: quay.io/a\n')]));
    expect(err.details).toMatchObject({ variable: 'downloads.a.tag' });
  });

  it('a download switched off that does not evaluate is left out, not a problem', () => {
    const { set } = run([downloadsFile('  a:\n    enabled: false\n    container: true\n    repo: "{{ nope }}"\n    tag: v1\n')]);
    expect(set.images.a).toBeUndefined();
    expect(set.notes).toEqual(['left out, switched off and not evaluable for these variables: a']);
  });
});

describe('importKubespray: scale', () => {
  it('imports 20,000 variables and 1,000 downloads in linear time, well under 2 s', () => {
    const time = (vars: number, downloads: number) => {
      const text = generatedDownloads(vars, downloads);
      const started = performance.now();
      const set = importKubespray([{ file: 'download.yml', text }], NO_NOTES);
      expect(Object.keys(set.images)).toHaveLength(downloads + 4);
      return performance.now() - started;
    };
    time(2000, 100); // warm up
    const small = time(5000, 250);
    const large = time(20000, 1000);
    // CI machines are slower and shared: the bound leaves room, the ratio shows linearity.
    expect(large).toBeLessThan(4000);
    expect(large / small).toBeLessThan(8);
  });
});
