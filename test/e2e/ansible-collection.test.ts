/**
 * The Ansible collection in ansible/ (airlock.airlock), run by the real ansible-playbook
 * (CI installs ansible-core; see .ci/run) against localhost, with a Distribution registry
 * started here and the airlock CLI from dist/ on PATH. The image_manifest playbook replaces
 * Atmosphere's own (same variables, Atmosphere's defaults role giving atmosphere_images): with
 * and without mirroring, one image, a second run changing nothing, check mode, and bad input
 * failing with a clear message. The resolve, mirror, bundle_create and bundle_import roles
 * are idempotent, and warm fails with airlock's error code. The audit role checks a cluster
 * (an HTTPS stand-in of the Kubernetes API) against a lock: clean, drifted (failing the play,
 * or registered for a report), and from a pods file.
 */
import { ansiblePlaybook } from './ansible-helpers.js';
import { chmod, mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeconfig, startKubeApi, type KubeApi } from '../helpers/kube-api.js';
import { makeCa, makeServerCert } from '../helpers/openssl.js';
import { fakeDigest, podOf } from '../helpers/pods.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { CLI_MAIN, PROJECT_ROOT, makeCliSandbox, show, type CliResult, type CliSandbox } from './cli.js';

let R: TestRegistry;
let sb: CliSandbox;
/** The directory the plays run in: ansible.cfg, the collections, the outputs. */
let dir: string;

/** Atmosphere's defaults role, shaped like its own (role vars build atmosphere_images from a prefix and overrides). */
const ATMOSPHERE_VARS = `_atmosphere_images:
  ceph: "{{ atmosphere_image_prefix }}ceph/ceph:v18"
  keystone_api: "{{ atmosphere_image_prefix }}openstack/keystone-api:2024.1"
  nova_api: "{{ atmosphere_image_prefix }}openstack/nova-api:2024.1"
atmosphere_images: "{{ _atmosphere_images | combine(atmosphere_image_overrides, recursive=True) }}"
`;

beforeAll(async () => {
  [R, sb] = await Promise.all([startRegistry(), makeCliSandbox()]);
  dir = sb.dir;
  // The sample images are the "upstream" images Atmosphere would pull.
  const pushed = await sb.run(['mirror', 'samples/images.txt', '--from', 'oci:samples/layout', '--to', `${R.host}/src`], { cwd: PROJECT_ROOT });
  expect(pushed.code, show(pushed)).toBe(0);

  // ANSIBLE_COLLECTIONS_PATH layout: ansible_collections/NAMESPACE/NAME; the repository's tree is linked in.
  const collections = join(dir, 'collections', 'ansible_collections');
  const atmosphere = join(collections, 'vexxhost', 'atmosphere');
  await mkdir(join(collections, 'airlock'), { recursive: true });
  await symlink(join(PROJECT_ROOT, 'ansible'), join(collections, 'airlock', 'airlock'));
  await mkdir(join(atmosphere, 'roles', 'defaults', 'vars'), { recursive: true });
  await mkdir(join(atmosphere, 'roles', 'defaults', 'defaults'), { recursive: true });
  await writeFile(join(atmosphere, 'galaxy.yml'), 'namespace: vexxhost\nname: atmosphere\nversion: 1.0.0\nreadme: README.md\nauthors: [test]\n');
  await writeFile(join(atmosphere, 'roles', 'defaults', 'vars', 'main.yml'), ATMOSPHERE_VARS);
  await writeFile(join(atmosphere, 'roles', 'defaults', 'defaults', 'main.yml'), `atmosphere_image_prefix: "${R.host}/src/"\natmosphere_image_overrides: {}\n`);
  await writeFile(join(dir, 'ansible.cfg'), `[defaults]\ncollections_path = ${join(dir, 'collections')}\ninterpreter_python = auto_silent\nretry_files_enabled = false\n[connection]\npipelining = true\n`);
  // The airlock command the modules find on PATH: the CLI from dist/.
  const wrapper = join(sb.bin, 'airlock');
  await writeFile(wrapper, `#!/bin/sh\nexec "${process.execPath}" "${CLI_MAIN}" "$@"\n`);
  await chmod(wrapper, 0o755);
});

afterAll(async () => {
  await R?.stop();
  await sb?.remove();
});

/** Runs ansible-playbook in `dir` with the sandbox's environment (airlock on PATH, private HOME and store). */
function playbook(args: string[]): Promise<CliResult> {
  // The interpreter running ansible-playbook: no interpreter discovery on each run.
  const interpreter = ['-e', 'ansible_python_interpreter={{ ansible_playbook_python }}'];
  return ansiblePlaybook(dir, ['-i', 'localhost,', '-c', 'local', ...interpreter, ...args], { ...sb.env, ANSIBLE_FORCE_COLOR: '0' });
}

/** The play recap of localhost. */
function recap(r: CliResult): { ok: number; changed: number; failed: number } {
  const m = /localhost\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)/.exec(r.stdout);
  if (!m) throw new Error(`no play recap:\n${show(r)}`);
  return { ok: Number(m[1]), changed: Number(m[2]), failed: Number(m[3]) };
}

/** Atmosphere's image_manifest playbook, run as the operator would, with airlock's collection in its place. */
const manifestPlay = (vars: Record<string, unknown>, extra: string[] = []) => playbook(['airlock.airlock.image_manifest', '-e', JSON.stringify(vars), ...extra]);

/** The manifest's overrides (name -> reference). */
async function overrides(file: string): Promise<Record<string, string>> {
  const text = await readFile(file, 'utf8');
  expect(text).toMatch(/^# Generated by airlock \(render --format atmosphere\)/);
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/^ {2}([a-z_]+): (\S+)$/gm)) out[m[1]!] = m[2]!;
  return out;
}

/** True when the registry holds `repo@digest`. */
async function holds(reference: string): Promise<boolean> {
  const [, repo, digest] = /^[^/]+\/(.+?)(?::[^:/@]+)?@(sha256:[0-9a-f]{64})$/.exec(reference)!;
  const res = await fetch(`${R.url}/v2/${repo}/manifests/${digest}`, {
    method: 'HEAD',
    headers: { Accept: 'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json' },
  });
  return res.status === 200;
}

/** The digests the sample layout pins, by Atmosphere name. */
const SOURCES: Record<string, string> = {
  ceph: 'ceph/ceph:v18',
  keystone_api: 'openstack/keystone-api:2024.1',
  nova_api: 'openstack/nova-api:2024.1',
};

// Each test writes its own files and registry paths: they run at once.
describe.concurrent('airlock.airlock.image_manifest', () => {
  it('without mirroring: writes the pinned references under the registry and copies nothing', async () => {
    const path = join(dir, 'plain.yml');
    const lock = join(dir, 'plain.lock.yaml');
    const r = await manifestPlay({ image_manifest_path: path, image_manifest_registry: `${R.host}/plain`, image_manifest_lock_path: lock });
    expect(r.code, show(r)).toBe(0);
    expect(recap(r)).toMatchObject({ changed: 1, failed: 0 });
    const refs = await overrides(path);
    expect(Object.keys(refs)).toEqual(['ceph', 'keystone_api', 'nova_api']);
    for (const [name, source] of Object.entries(SOURCES)) {
      expect(refs[name]).toMatch(new RegExp(`^${R.host}/plain/src/${source.replace(/[.]/g, '\\.')}@sha256:[0-9a-f]{64}$`));
      expect(await holds(refs[name]!), name).toBe(false);
    }
    // The lock kept beside it pins the same digests.
    const lockText = await readFile(lock, 'utf8');
    for (const ref of Object.values(refs)) expect(lockText).toContain(ref.slice(ref.indexOf('@') + 1));
  });

  it('with mirroring: copies every image, a second run changes nothing, and check mode writes nothing', async () => {
    const path = join(dir, 'mirrored.yml');
    const vars = { image_manifest_path: path, image_manifest_registry: `${R.host}/mirrored`, image_manifest_mirror: true };
    const first = await manifestPlay(vars);
    expect(first.code, show(first)).toBe(0);
    expect(recap(first)).toMatchObject({ changed: 1, failed: 0 });
    const refs = await overrides(path);
    expect(Object.keys(refs)).toHaveLength(3);
    for (const ref of Object.values(refs)) expect(await holds(ref), ref).toBe(true);

    const before = await stat(path);
    const again = await manifestPlay({ ...vars, image_manifest_force: true });
    expect(again.code, show(again)).toBe(0);
    expect(recap(again)).toMatchObject({ changed: 0, failed: 0 });
    expect((await stat(path)).mtimeMs).toBe(before.mtimeMs);

    // Check mode against another registry: reports the change, writes and copies nothing.
    const checked = await manifestPlay({ ...vars, image_manifest_force: true, image_manifest_registry: `${R.host}/elsewhere` }, ['--check', '--diff']);
    expect(checked.code, show(checked)).toBe(0);
    expect(recap(checked)).toMatchObject({ changed: 1, failed: 0 });
    expect(checked.stdout).toContain(`+  keystone_api: ${R.host}/elsewhere/src/openstack/keystone-api:2024.1@sha256:`);
    expect(await overrides(path)).toEqual(refs);
    expect(await holds(refs.keystone_api!.replace('/mirrored/', '/elsewhere/'))).toBe(false);
  });

  it('image_manifest_images mirrors only the image named; the manifest lists all', async () => {
    const path = join(dir, 'one.yml');
    const r = await playbook([
      'airlock.airlock.image_manifest',
      '-e', `image_manifest_path=${path}`,
      '-e', `image_manifest_registry=${R.host}/one`,
      '-e', 'image_manifest_mirror=true',
      '-e', 'image_manifest_images=keystone_api',
    ]);
    expect(r.code, show(r)).toBe(0);
    const refs = await overrides(path);
    expect(Object.keys(refs)).toEqual(['ceph', 'keystone_api', 'nova_api']);
    expect(await holds(refs.keystone_api!)).toBe(true);
    expect(await holds(refs.nova_api!)).toBe(false);
    expect(await holds(refs.ceph!)).toBe(false);
  });

  it('fails clearly: a variable of the wrong type, an unknown image (of a comma-separated list), an existing file, an airlock error with its code', async () => {
    const path = join(dir, 'bad.yml');
    const existing = join(dir, 'existing.yml');
    await writeFile(existing, 'atmosphere_image_overrides: {}\n');
    const [wrongType, unknown, missing, kept] = await Promise.all([
      manifestPlay({ image_manifest_path: path, image_manifest_mirror: ['yes'], image_manifest_images: { keystone_api: true } }),
      manifestPlay({ image_manifest_path: path, image_manifest_registry: `${R.host}/x`, image_manifest_mirror: true, image_manifest_images: 'keystone_api,glance_api' }),
      manifestPlay({ image_manifest_path: path, atmosphere_image_overrides: { nova_api: `${R.host}/src/openstack/nova-api:no-such-tag` } }),
      manifestPlay({ image_manifest_path: existing }),
    ]);
    // As in Atmosphere, an existing manifest is kept unless forced.
    expect(kept.code, show(kept)).not.toBe(0);
    expect(kept.stdout).toContain(`File ${existing} already exists, use -e image_manifest_force=true to overwrite`);
    expect(await readFile(existing, 'utf8')).toBe('atmosphere_image_overrides: {}\n');
    expect(wrongType.code, show(wrongType)).not.toBe(0);
    expect(wrongType.stdout).toContain("argument 'image_manifest_mirror' is of type <class 'list'> and we were unable to convert to bool");
    expect(wrongType.stdout).toContain("argument 'image_manifest_images' is of type <class 'dict'> and we were unable to convert to list");
    expect(unknown.code, show(unknown)).not.toBe(0);
    expect(unknown.stdout).toContain('image_manifest_images names images atmosphere_images does not have: glance_api');
    expect(missing.code, show(missing)).not.toBe(0);
    expect(missing.stdout).toMatch(/airlock resolve failed \[REGISTRY_NOT_FOUND\] \(exit 1, failure\)/);
    await expect(stat(path)).rejects.toThrow();
  });
});

describe('the resolve, mirror, bundle_create, bundle_import and warm roles', () => {
  it('resolve, mirror, bundle and import: changed on the first run, unchanged on the second and in check mode', async () => {
    await writeFile(
      join(dir, 'images.yaml'),
      `version: 1\nimages:\n  keystone_api: ${R.host}/src/openstack/keystone-api:2024.1\n  ceph: ${R.host}/src/ceph/ceph:v18\nrules:\n  - push_destination: ${R.host}/roles\n`,
    );
    const play = [
      {
        name: 'Across the air gap',
        hosts: 'localhost',
        gather_facts: false,
        roles: [
          { role: 'airlock.airlock.resolve', vars: { airlock_resolve_src: join(dir, 'images.yaml'), airlock_resolve_dest: join(dir, 'images.lock.yaml') } },
          { role: 'airlock.airlock.mirror', vars: { airlock_mirror_src: join(dir, 'images.lock.yaml') } },
          { role: 'airlock.airlock.bundle_create', vars: { airlock_bundle_create_src: join(dir, 'images.lock.yaml'), airlock_bundle_create_dest: join(dir, 'images.tar') } },
          { role: 'airlock.airlock.bundle_import', vars: { airlock_bundle_import_src: join(dir, 'images.tar'), airlock_bundle_import_to: `${R.host}/imported` } },
        ],
      },
    ];
    await writeFile(join(dir, 'airgap.yml'), JSON.stringify(play));

    const first = await playbook(['airgap.yml']);
    expect(first.code, show(first)).toBe(0);
    expect(recap(first)).toMatchObject({ changed: 4, failed: 0 });
    const lock = await readFile(join(dir, 'images.lock.yaml'), 'utf8');
    const digest = /keystone_api:\n(?:.*\n)*?\s+digest: (sha256:[0-9a-f]{64})/.exec(lock)![1]!;
    expect(await holds(`${R.host}/roles/src/openstack/keystone-api@${digest}`)).toBe(true);
    expect(await holds(`${R.host}/imported/src/openstack/keystone-api@${digest}`)).toBe(true);

    const second = await playbook(['airgap.yml']);
    expect(second.code, show(second)).toBe(0);
    expect(recap(second)).toMatchObject({ changed: 0, failed: 0 });

    const again = await playbook(['airgap.yml', '--check']);
    expect(again.code, show(again)).toBe(0);
    expect(recap(again)).toMatchObject({ changed: 0, failed: 0 });
  });

  it('warm fails with airlock error code when containerd is not there', async () => {
    const play = [
      {
        hosts: 'localhost',
        gather_facts: false,
        roles: [{ role: 'airlock.airlock.warm', vars: { airlock_warm_src: join(dir, 'images.tar'), airlock_warm_containerd: join(dir, 'no-containerd.sock') } }],
      },
    ];
    await writeFile(join(dir, 'warm.yml'), JSON.stringify(play));
    const r = await playbook(['warm.yml']);
    expect(r.code, show(r)).not.toBe(0);
    expect(r.stdout).toMatch(/airlock warm failed \[CONTAINERD_FAILED\] \(exit 1, failure\)/);
    // Check mode runs airlock warm --dry-run, which reads the node: the same failure.
    const checked = await playbook(['warm.yml', '--check']);
    expect(checked.code, show(checked)).not.toBe(0);
    expect(checked.stdout).toMatch(/--dry-run/);
    expect(checked.stdout).toMatch(/\[CONTAINERD_FAILED\]/);
  });
});

describe.concurrent('the audit role', () => {
  const REG = 'registry.local:5000/mirror';
  const D = { keystone: fakeDigest('keystone'), nova: fakeDigest('nova'), novaMoved: fakeDigest('nova-moved') };
  const image = (key: string, repo: string, digest: string) =>
    `  ${key}:\n    source: quay.io/${repo}:2024.1@${digest}\n    tag: "2024.1"\n    digest: ${digest}\n    mediaType: application/vnd.oci.image.manifest.v1+json\n    size: 700\n    destination: ${REG}/${repo}:2024.1\n    origin: {template: quay.io/${repo}:2024.1}\n`;
  const LOCK = `version: 1\nimages:\n${image('keystone', 'openstack.kolla/keystone', D.keystone)}${image('nova', 'openstack.kolla/nova-api', D.nova)}`;
  const keystone = podOf('openstack', 'keystone-api-0', [{ name: 'keystone-api', image: `${REG}/openstack.kolla/keystone:2024.1@${D.keystone}`, imageID: `${REG}/openstack.kolla/keystone@${D.keystone}` }]);
  const CLEAN = [
    keystone,
    podOf('openstack', 'nova-api-0', [{ name: 'nova-api', image: `${REG}/openstack.kolla/nova-api:2024.1@${D.nova}`, imageID: `${REG}/openstack.kolla/nova-api@${D.nova}` }]),
    // Still creating: counted, not checked.
    podOf('openstack', 'nova-api-1', [{ name: 'nova-api', image: `${REG}/openstack.kolla/nova-api:2024.1@${D.nova}` }]),
  ];
  // nova-api pinned to a digest the lock does not pin: one digest-drift, with the locked reference as the fix.
  const DRIFTED = [keystone, podOf('openstack', 'nova-api-0', [{ name: 'nova-api', image: `${REG}/openstack.kolla/nova-api:2024.1@${D.novaMoved}`, imageID: `${REG}/openstack.kolla/nova-api@${D.novaMoved}` }])];
  const FIX = `${REG}/openstack.kolla/nova-api:2024.1@${D.nova}`;
  /** A registered result of the audit module. */
  interface Audited {
    changed: boolean;
    failed?: boolean;
    clean: boolean;
    pods: number;
    containers: number;
    pending: number;
    registries: unknown[];
    findings: { namespace: string; pod: string; container: string; code: string; fix?: string; key?: string }[];
    msg?: string;
    error_code?: string;
  }
  let clean: KubeApi;
  let drifted: KubeApi;
  let work: string;

  beforeAll(async () => {
    work = join(dir, 'audit');
    await mkdir(work);
    const ca = await makeCa(work);
    const server = await makeServerCert(work, ca);
    [clean, drifted] = await Promise.all([startKubeApi(CLEAN, server, { tokens: ['t'] }), startKubeApi(DRIFTED, server, { tokens: ['t'] })]);
    await Promise.all([
      writeFile(join(work, 'images.lock.yaml'), LOCK),
      writeFile(join(work, 'clean.kubeconfig'), kubeconfig(clean.url, ca.certFile, { token: 't' })),
      writeFile(join(work, 'drifted.kubeconfig'), kubeconfig(drifted.url, ca.certFile, { token: 't' })),
      writeFile(join(work, 'pods.json'), JSON.stringify({ apiVersion: 'v1', kind: 'List', items: DRIFTED })),
      writeFile(join(work, 'not-pods.json'), 'NAME READY STATUS\n'),
    ]);
  });

  afterAll(async () => {
    await Promise.all([clean?.stop(), drifted?.stop()]);
  });

  /** A play of the audit role with `vars`, written to `name`.yml, and its path. */
  async function auditPlay(name: string, vars: Record<string, unknown>, after: unknown[] = []): Promise<string> {
    const play = [
      {
        hosts: 'localhost',
        gather_facts: false,
        tasks: [
          { name: 'Audit', 'ansible.builtin.include_role': { name: 'airlock.airlock.audit' }, vars: { airlock_audit_lock: [join(work, 'images.lock.yaml')], ...vars } },
          ...after,
        ],
      },
    ];
    const file = join(work, `${name}.yml`);
    await writeFile(file, JSON.stringify(play));
    return file;
  }

  it('pods running the lock: ok, changed=0, and check mode runs it too', async () => {
    const before = clean.requests.length;
    const kube = join(work, 'clean.kubeconfig');
    const r = await playbook([
      await auditPlay('clean', { airlock_audit_kubeconfig: kube }, [
        { name: 'In check mode', 'airlock.airlock.audit': { lock: [join(work, 'images.lock.yaml')], kubeconfig: kube }, check_mode: true, register: 'checked' },
        { name: 'It ran', 'ansible.builtin.assert': { that: ['checked.clean', 'checked.pods == 3', 'not checked.changed'] } },
      ]),
    ]);
    expect(r.code, show(r)).toBe(0);
    expect(recap(r)).toMatchObject({ changed: 0, failed: 0 });
    expect(r.stdout).toContain('airlock audit: 3 pod(s), 3 container(s) (1 not running yet, 0 reporting only an image ID), no findings');
    // Both listed the pods: check mode did not skip the read-only audit.
    expect(clean.requests.slice(before).filter((q) => q.startsWith('/api/v1/pods'))).toHaveLength(2);
  });

  it('a drifted pod fails the play, naming the finding and its fix', async () => {
    const r = await playbook([await auditPlay('drift-fail', { airlock_audit_kubeconfig: join(work, 'drifted.kubeconfig') })]);
    expect(r.code, show(r)).not.toBe(0);
    expect(recap(r)).toMatchObject({ changed: 0, failed: 1 });
    expect(r.stdout).toContain(`airlock audit found 1 finding(s) [digest-drift] in 2 pod(s), 2 container(s): openstack/nova-api-0/nova-api digest-drift: ${REG}/openstack.kolla/nova-api:2024.1@${D.novaMoved}`);
    expect(r.stdout).toContain(`(use ${FIX})`);
  });

  it('fail_on_findings false registers the findings and goes on; a pods file gives the same; a bad pods file fails with its code', async () => {
    const out = join(work, 'report.json');
    const lock = [join(work, 'images.lock.yaml')];
    const play = await auditPlay('drift-report', { airlock_audit_kubeconfig: join(work, 'drifted.kubeconfig'), airlock_audit_fail_on_findings: false }, [
      { name: 'From a pods file', 'airlock.airlock.audit': { lock, pods_file: join(work, 'pods.json'), fail_on_findings: false }, register: 'from_file' },
      { name: 'From a file that is not pods', 'airlock.airlock.audit': { lock, pods_file: join(work, 'not-pods.json') }, register: 'bad', ignore_errors: true },
      { name: 'Report', 'ansible.builtin.copy': { dest: out, content: '{{ {"api": airlock_audit_result, "file": from_file, "bad": bad} | to_json }}' } },
    ]);
    const r = await playbook([play]);
    expect(r.code, show(r)).toBe(0);
    expect(recap(r)).toMatchObject({ changed: 1, failed: 0 });
    expect(r.stdout).toContain('airlock audit: 2 pod(s), 2 container(s) (0 not running yet, 0 reporting only an image ID), 1 finding(s): digest-drift');
    const report = JSON.parse(await readFile(out, 'utf8')) as Record<'api' | 'file' | 'bad', Audited>;
    for (const got of [report.api, report.file]) {
      expect(got).toMatchObject({ changed: false, clean: false, pods: 2, containers: 2, pending: 0 });
      expect(got.findings.map((f) => [f.namespace, f.pod, f.container, f.code, f.fix, f.key])).toEqual([['openstack', 'nova-api-0', 'nova-api', 'digest-drift', FIX, 'nova']]);
      expect(got.registries).toEqual([{ registry: 'registry.local:5000', images: 2, pods: 2, containers: 2 }]);
    }
    expect(report.bad).toMatchObject({ failed: true, error_code: 'AUDIT_INPUT_INVALID' });
    expect(report.bad.msg).toMatch(/^airlock audit failed \[AUDIT_INPUT_INVALID\] \(exit 2, invalid input\)/);
  });
});
