/**
 * The built CLI, TripleO end to end without a registry: `airlock import tripleo` writes an
 * image set from ContainerImagePrepare and the image list, `airlock plan` shows what TripleO
 * would prepare, and `airlock render --format tripleo` (over a lock made from that plan)
 * writes the Heat parameters TripleO reads, under their real names.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import { makeCliSandbox, show, type CliSandbox } from './cli.js';
import { failureCode } from './leftovers.js';
import { fixturePath } from '../fixtures/importers/fixtures.js';

const PREPARE = fixturePath('tripleo/containers-prepare-parameter.yaml');
const LIST = fixturePath('tripleo/tripleo_containers.yaml.j2');
const HOTFIX = fixturePath('tripleo/containers-prepare-hotfix.yaml');
const UNDERCLOUD = '192.168.24.1:8787';

interface PlanRow {
  key: string;
  source: string;
  destination?: string;
  rules: { index: number; name?: string }[];
  tag_from_label?: string;
  imported?: { tool: string; file: string; line?: number; name?: string; parameters?: string[] };
  modify?: { rule?: number; steps: { kind: string; value: string }[]; tag_suffix?: string; only_with_labels?: string[] };
}

let sb: CliSandbox;
let imagesFile: string;
let importRun: Awaited<ReturnType<CliSandbox['run']>>;

beforeAll(async () => {
  sb = await makeCliSandbox();
  imagesFile = join(sb.dir, 'images.yaml');
  importRun = await sb.run(['import', 'tripleo', PREPARE, '--images', LIST, '--push-destination', UNDERCLOUD, '-o', imagesFile]);
});

afterAll(async () => {
  await sb?.remove();
});

async function plan(...args: string[]): Promise<PlanRow[]> {
  return planOf(imagesFile, ...args);
}

async function planOf(file: string, ...args: string[]): Promise<PlanRow[]> {
  const r = await sb.run(['plan', file, '--json', ...args]);
  expect(r.code, show(r)).toBe(0);
  return JSON.parse(r.stdout) as PlanRow[];
}

/** A lock as `resolve` would write it for these rows, with made-up digests: what render reads. */
function lockOf(rows: PlanRow[]): string {
  const images: Record<string, unknown> = {};
  for (const row of rows) {
    const digest = `sha256:${createHash('sha256').update(row.key).digest('hex')}`;
    images[row.key] = {
      source: `${row.source}@${digest}`,
      tag: row.source.split(':').at(-1),
      digest,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      size: 1234,
      ...(row.destination ? { destination: row.destination } : {}),
      origin: { template: row.source, ...(row.imported ? { imported: row.imported } : {}) },
    };
  }
  return stringify({ version: 1, images });
}

describe('airlock import tripleo', () => {
  it('writes the image set, its notes in the header and as warnings, and never the registry password', async () => {
    expect(importRun.code, show(importRun)).toBe(0);
    expect(importRun.stdout).toBe(`${imagesFile}: 15 images\n`);
    expect(importRun.stderr).toMatch(/airlock: warning: ContainerImagePrepare\[0\] .*not applied yet.*modify_role: "tripleo-modify-image"/);
    expect(importRun.stderr).toMatch(/set QUAY_IO_PASSWORD/);
    const text = await readFile(imagesFile, 'utf8');
    expect(text.startsWith('# Imported by `airlock import tripleo` from containers-prepare-parameter.yaml, tripleo_containers.yaml.j2\n')).toBe(true);
    expect(text).toMatch(/^# ContainerImagePrepare\[0\] .*modify_append_tag: "-updated"/m);
    expect(text).toMatch(/^# neutron_driver_ovn: true when \{% if neutron_driver == "ovn" %\}/m);
    expect(text).not.toContain('p@55w0rd');
    expect(importRun.stderr).not.toContain('p@55w0rd');
  });

  it('plan shows the images TripleO would prepare, with the values of the entry that selects each', async () => {
    const rows = await plan();
    expect(rows.map((r) => r.key)).toEqual([
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
    const by = Object.fromEntries(rows.map((r) => [r.key, r]));
    expect(by.haproxy).toMatchObject({
      source: 'quay.io/tripleomastercentos9/openstack-haproxy:current-tripleo',
      destination: `${UNDERCLOUD}/tripleomastercentos9/openstack-haproxy:current-tripleo`,
      rules: [{ index: 0, name: 'ContainerImagePrepare[0]' }],
      tag_from_label: 'rdo_version',
      imported: { tool: 'tripleo', line: 13, parameters: ['ContainerHAProxyImage', 'ContainerHAProxyConfigImage'] },
    });
    expect(by.nova_compute).toMatchObject({ source: 'quay.io/tripleomastercentos9/openstack-nova-compute:hotfix-2024-05', rules: [{ index: 1 }] });
    expect(by.nova_compute!.tag_from_label).toBeUndefined();
    expect(by.ceph_daemon).toMatchObject({
      source: 'quay.io/ceph/daemon:v6.0.8',
      destination: 'registry.example.com:5000/ceph/ceph/daemon:v6.0.8',
      tag_from_label: '{version}-{release}',
    });
  });

  it('plan --set switches images by their condition parameters', async () => {
    const keys = (await plan('--set', 'neutron_driver_ovn=false', '--set', 'neutron_driver_odl=true', '--set', 'ceph_images=false')).map((r) => r.key);
    expect(keys).toContain('neutron_server_opendaylight');
    expect(keys).not.toContain('neutron_server_ovn');
    expect(keys).not.toContain('ovn_controller');
    expect(keys).not.toContain('prometheus');
    expect(keys).not.toContain('ceph_daemon');
  });

  it('render --format tripleo writes every real Heat parameter of each image', async () => {
    const lockFile = join(sb.dir, 'images.lock.yaml');
    await writeFile(lockFile, lockOf(await plan()));
    const r = await sb.run(['render', lockFile, '--format', 'tripleo']);
    expect(r.code, show(r)).toBe(0);
    const params = parseYaml(r.stdout).parameter_defaults as Record<string, string>;
    const haproxy = params.ContainerHAProxyImage!;
    expect(haproxy).toMatch(new RegExp(`^${UNDERCLOUD}/tripleomastercentos9/openstack-haproxy:current-tripleo@sha256:[0-9a-f]{64}$`));
    expect(params.ContainerHAProxyConfigImage).toBe(haproxy);
    expect(params.PrometheusContainerImage).toMatch(new RegExp(`^${UNDERCLOUD}/prometheus/prometheus:v2\\.33\\.4@sha256:`));
    expect(params.ContainerCephDaemonImage).toMatch(/^registry\.example\.com:5000\/ceph\/ceph\/daemon:v6\.0\.8@sha256:/);
    expect(params.ContainerNovaComputeImage).toBe(params.ContainerNovaLibvirtConfigImage);
    expect(params.ContainerFluentdClientImage).toBe(params.ContainerFluentdImage);
    expect(Object.keys(params).filter((p) => p.startsWith('ContainerNovaApi'))).toEqual([]);
    expect(Object.keys(params).some((p) => /HAProxy/.test(p) && p !== 'ContainerHAProxyImage' && p !== 'ContainerHAProxyConfigImage')).toBe(false);
    expect(Object.keys(params)).toHaveLength(19);
  });

  it('without --images is USAGE naming where tripleo-common installs the list; push_destination: true needs a registry', async () => {
    const out = join(sb.dir, 'nothing.yaml');
    const [noList, noRegistry, otherFormat] = await Promise.all([
      sb.run(['import', 'tripleo', PREPARE, '-o', out]),
      sb.run(['import', 'tripleo', PREPARE, '--images', LIST, '-o', out]),
      sb.run(['import', 'atmosphere', PREPARE, '--images', LIST]),
    ]);
    for (const r of [noList, noRegistry, otherFormat]) {
      expect(r.code, show(r)).toBe(2);
      expect(failureCode(r)).toBe('USAGE');
    }
    expect(noList.stderr).toContain('/usr/share/tripleo-common/container-images/tripleo_containers.yaml.j2');
    expect(noRegistry.stderr).toMatch(/push_destination: true.*--push-destination/);
    expect(existsSync(out)).toBe(false);
  });
});

describe('airlock import tripleo: tripleo-modify-image', () => {
  it('maps rpm_install.yml, modify_image.yml and yum_update.yml to modify steps, modify_only_with_source to the images of those sources and modify_only_with_labels to only_with_labels; what it cannot run stays a note', async () => {
    const out = join(sb.dir, 'hotfix.yaml');
    const r = await sb.run(['import', 'tripleo', HOTFIX, '--images', LIST, '--push-destination', UNDERCLOUD, '-o', out]);
    expect(r.code, show(r)).toBe(0);
    const text = await readFile(out, 'utf8');
    const set = parseYaml(text) as { rules: { name: string; modify?: unknown }[] };
    expect(Object.fromEntries(set.rules.map((rule) => [rule.name, rule.modify ?? null]))).toEqual({
      'ContainerImagePrepare[0]': null,
      'ContainerImagePrepare[1]': { tag_suffix: '-hotfix', steps: [{ rpms: '/home/stack/nova-hotfix-pkgs' }] },
      'ContainerImagePrepare[2]': { tag_suffix: '-custom', steps: [{ containerfile: '/home/stack/nova-custom' }] },
      'ContainerImagePrepare[3]': { tag_suffix: '-updated', steps: [{ update: '/home/stack/yum.repos.d' }] },
      // The kolla images of the list (yum_repos_dir_path not given: the role's default).
      'ContainerImagePrepare[4]': { tag_suffix: '-updated', only_images: ['fluentd', 'neutron_server_opendaylight'], steps: [{ update: '/etc/yum.repos.d' }] },
      'ContainerImagePrepare[5]': { tag_suffix: '-custom', only_with_labels: ['kolla_version', 'rdo_version'], steps: [{ containerfile: '/home/stack/heat-custom' }] },
      'ContainerImagePrepare[6]': null,
    });
    // dev_install.yml is not run: a warning and a note; compare_host_packages is read and ignored, said so.
    expect(r.stderr).toMatch(/ContainerImagePrepare\[6\] [^\n]*not applied yet[^\n]*"tasks_from":"dev_install\.yml"/);
    expect(r.stderr).toMatch(/ContainerImagePrepare\[3\] [^\n]*ignored[^\n]*compare_host_packages: true/);
    expect(r.stderr).not.toMatch(/ContainerImagePrepare\[[0-5]\] [^\n]*not applied/);
    expect(text).toMatch(/^# ContainerImagePrepare\[4\] .*\(yum_update\.yml\) is applied as this rule's modify: update \/etc\/yum\.repos\.d, tag suffix -updated, only images whose image_source is kolla/m);
    expect(text).toMatch(/^# ContainerImagePrepare\[2\] .*\(modify_image\.yml\) is applied as this rule's modify: containerfile \/home\/stack\/nova-custom/m);

    // The plan says which images get which modification; a tripleo image of entry 4 gets none.
    const by = Object.fromEntries((await planOf(out)).map((row) => [row.key, row]));
    expect(by.nova_compute!.modify).toEqual({ rule: 1, steps: [{ kind: 'rpms', value: '/home/stack/nova-hotfix-pkgs' }], tag_suffix: '-hotfix' });
    expect(by.nova_libvirt!.modify).toEqual({ rule: 2, steps: [{ kind: 'containerfile', value: '/home/stack/nova-custom' }], tag_suffix: '-custom' });
    expect(by.keystone!.modify).toEqual({ rule: 3, steps: [{ kind: 'update', value: '/home/stack/yum.repos.d' }], tag_suffix: '-updated' });
    expect(by.fluentd!.modify).toEqual({ rule: 4, steps: [{ kind: 'update', value: '/etc/yum.repos.d' }], tag_suffix: '-updated' });
    expect(by.haproxy).toMatchObject({ rules: [{ index: 4 }] });
    expect(by.haproxy!.modify).toBeUndefined();
    expect(by.heat_all!.modify).toEqual({ rule: 5, steps: [{ kind: 'containerfile', value: '/home/stack/heat-custom' }], tag_suffix: '-custom', only_with_labels: ['kolla_version', 'rdo_version'] });
    expect(by.ovn_controller).toMatchObject({ rules: [{ index: 6 }] });
    expect(by.ovn_controller!.modify).toBeUndefined();
    expect(by.aodh_api!.modify).toBeUndefined();
  });
});
