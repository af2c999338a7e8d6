/**
 * The Kubespray round trip with Ansible itself (CI installs ansible-core; see .ci/run):
 * `airlock import kubespray` gives the same image set whether Ansible or the built-in
 * evaluator evaluates Kubespray's defaults; a lock of that set, mirrored under
 * reg.local:5000/mirror, rendered with `render --format kubespray` and given back to Ansible
 * with the same defaults and the operator's inventory (offline.yml included), makes
 * Kubespray's own expressions give exactly the mirrored references.
 */
import { cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseImageSet } from '../../src/imageset/load.js';
import { formatLock } from '../../src/lock/write.js';
import { fixturePath } from '../fixtures/importers/fixtures.js';
import { ansiblePlaybook, debugJson, lockOf } from './ansible-helpers.js';
import { makeCliSandbox, show, type CliSandbox } from './cli.js';
import { failureCode } from './leftovers.js';

const MIRROR = 'reg.local:5000/mirror';
const DEFAULTS = fixturePath('kubespray-v2.28/roles/kubespray_defaults/defaults/main');
const INVENTORY = fixturePath('kubespray-v2.28/inventory/mycluster');
const DEFAULT_FILES = ['checksums.yml', 'download.yml', 'main.yml'].map((f) => join(DEFAULTS, f));

let sb: CliSandbox;

beforeAll(async () => {
  sb = await makeCliSandbox();
});

afterAll(async () => {
  await sb?.remove();
});

/** Runs the CLI with TMPDIR in the sandbox, so what Ansible's run leaves behind can be checked. */
const airlock = (args: string[]) => sb.run(args, { env: { TMPDIR: sb.dir }, timeoutMs: 120_000 });

/**
 * What Kubespray's own expressions give, evaluated by Ansible with its defaults as a role and
 * the inventory (group_vars plus `extraGroupVars` in group_vars/all): for every container
 * download its `repo:tag` and checksum, and the kubeadm images' references.
 */
async function kubesprayReferences(extraGroupVars: string): Promise<{ downloads: Record<string, { ref: string; checksum: string }>; kubeadm: string }> {
  const dir = join(sb.dir, `ansible-${Date.now()}`);
  await mkdir(join(dir, 'roles', 'kubespray_defaults'), { recursive: true });
  await mkdir(join(dir, 'home'));
  await cp(join(DEFAULTS, '..', '..'), join(dir, 'roles', 'kubespray_defaults'), { recursive: true });
  await cp(INVENTORY, join(dir, 'inventory'), { recursive: true });
  // Sorted after offline.yml, so the rendered values win over the offline registries, as an operator would set it up.
  await writeFile(join(dir, 'inventory', 'group_vars', 'all', 'zz-airlock-images.yml'), extraGroupVars);
  await writeFile(join(dir, 'ansible.cfg'), `[defaults]\nroles_path = ${join(dir, 'roles')}\n`);
  const containers = "downloads | dict2items | selectattr('value.container', 'defined') | selectattr('value.container') | items2dict";
  const msg = `{{ {'downloads': ${containers}, 'kubeadm': kube_image_repo ~ '/kube-apiserver:' ~ kube_version} | to_json }}`;
  const play = [
    {
      hosts: 'k8s_cluster[0]',
      gather_facts: false,
      connection: 'local',
      roles: [{ role: 'kubespray_defaults' }],
      tasks: [{ 'ansible.builtin.debug': { msg } }],
    },
  ];
  await writeFile(join(dir, 'play.json'), JSON.stringify(play));
  const r = await ansiblePlaybook(dir, ['-i', join(dir, 'inventory'), '-e', 'ansible_connection=local', 'play.json']);
  expect(r.code, show(r)).toBe(0);
  const out = debugJson(r.stdout) as { downloads: Record<string, { repo: string; tag: string; checksum?: string }>; kubeadm: string } | undefined;
  if (!out) throw new Error(`the play printed no JSON:\n${r.stdout}`);
  const downloads = Object.fromEntries(Object.entries(out.downloads).map(([name, d]) => [name, { ref: `${d.repo}:${d.tag}`, checksum: d.checksum ?? '' }]));
  return { downloads, kubeadm: out.kubeadm };
}

describe('airlock import kubespray with Ansible', () => {
  it.each([
    ['the defaults alone', []],
    ['the defaults and the inventory', ['--inventory', INVENTORY]],
  ])('gives the same image set with Ansible and with the built-in evaluator: %s', async (_what, extra) => {
    const a = join(sb.dir, `ansible-${extra.length}.yaml`);
    const b = join(sb.dir, `builtin-${extra.length}.yaml`);
    const [withAnsible, builtin] = await Promise.all([
      airlock(['import', 'kubespray', ...DEFAULT_FILES, ...extra, '--ansible', 'always', '-o', a]),
      airlock(['import', 'kubespray', ...DEFAULT_FILES, ...extra, '--ansible', 'never', '-o', b]),
    ]);
    expect(withAnsible.code, show(withAnsible)).toBe(0);
    expect(builtin.code, show(builtin)).toBe(0);
    expect(withAnsible.stderr).toContain("evaluated Kubespray's variables with Ansible (");
    expect(builtin.stderr).toContain("evaluated Kubespray's variables with the built-in evaluator (--ansible never)");
    const [textA, textB] = await Promise.all([readFile(a, 'utf8'), readFile(b, 'utf8')]);
    expect(parseImageSet(textA)).toEqual(parseImageSet(textB));
    expect(textA).toBe(textB);
    expect(Object.keys(parseImageSet(textA).images)).toContain('cilium_operator');
    // Ansible ran in a private directory that is gone.
    expect((await readdir(sb.dir)).filter((f) => f.startsWith('airlock-ansible-'))).toEqual([]);
  });

  it("a lock rendered with --format kubespray makes Kubespray's own expressions give the mirrored references", async () => {
    const imagesYaml = join(sb.dir, 'round-trip.yaml');
    const imported = await airlock(['import', 'kubespray', ...DEFAULT_FILES, '--inventory', INVENTORY, '--ansible', 'always', '-o', imagesYaml]);
    expect(imported.code, show(imported)).toBe(0);
    expect(imported.stderr).toContain('not from the registry overrides in group_vars/all/offline.yml');
    const lock = lockOf(await readFile(imagesYaml, 'utf8'), (p) => `${MIRROR}/${p.source.repository}:${p.source.tag}`);
    expect(Object.keys(lock.images)).toContain('cilium_operator');
    expect(Object.keys(lock.images)).not.toContain('calico_node');
    const lockFile = join(sb.dir, 'round-trip.lock.yaml');
    await writeFile(lockFile, formatLock(lock));
    const rendered = await airlock(['render', lockFile, '--format', 'kubespray']);
    expect(rendered.code, show(rendered)).toBe(0);
    expect(rendered.stdout).toContain(`cilium_operator_image_repo: ${MIRROR}/cilium/operator\n`);

    const { downloads, kubeadm } = await kubesprayReferences(rendered.stdout);
    let compared = 0;
    for (const [key, image] of Object.entries(lock.images)) {
      const name = image.origin.imported!.name!;
      if (name.startsWith('kube-')) continue;
      expect(downloads[name]?.ref, key).toBe(image.destination);
      expect(image.origin.imported!.parameters, key).toEqual([`${name}_digest_checksum`]);
      expect(downloads[name]?.checksum, key).toBe(image.digest.slice('sha256:'.length));
      compared++;
    }
    // Every download the inventory enables: cilium, metallb, DNS, nginx, pause.
    expect(compared).toBe(9);
    expect(downloads.cilium_operator!.ref).toBe(`${MIRROR}/cilium/operator-generic:v1.15.4`);
    expect(kubeadm).toBe(lock.images.kube_apiserver!.destination);
  });

  it('reports every expression Ansible cannot evaluate, in one error', async () => {
    const file = join(sb.dir, 'broken-download.yml');
    await writeFile(
      file,
      [
        'kube_image_repo: registry.k8s.io',
        'kube_version: v1.30.4',
        'downloads:',
        '  a:',
        '    container: true',
        '    repo: "{{ a_repo }}"',
        '    tag: v1',
        '  b:',
        '    container: true',
        '    repo: quay.io/b',
        '    tag: "{{ versions[kube_version] }}"',
        '',
      ].join('\n'),
    );
    const r = await airlock(['import', 'kubespray', file, '--ansible', 'always']);
    expect(r.code, show(r)).toBe(2);
    expect(failureCode(r)).toBe('IMPORT_INVALID');
    expect(r.stderr).toContain('2 problems in the Kubespray variables:');
    expect(r.stderr).toMatch(/broken-download\.yml:6: downloads\.a\.repo: Ansible: .*'a_repo' is undefined.*--set a_repo=VALUE/);
    expect(r.stderr).toMatch(/broken-download\.yml:11: downloads\.b\.tag: Ansible: .*'versions' is undefined/);
  });

  it('refuses bad options with USAGE', async () => {
    const runs = await Promise.all([
      airlock(['import', 'kubespray', DEFAULT_FILES[1]!, '--set', 'not a name=1']),
      airlock(['import', 'kubespray', DEFAULT_FILES[1]!, '--ansible', 'sometimes']),
      airlock(['import', 'kubespray', DEFAULT_FILES[1]!, '--inventory', join(sb.dir, 'no-such-inventory')]),
      airlock(['import', 'kubernetes', DEFAULT_FILES[1]!, '--set', 'a=1']),
      airlock(['import', 'atmosphere', DEFAULT_FILES[1]!, '--as-deployed']),
    ]);
    for (const r of runs) {
      expect(r.code, show(r)).toBe(2);
      expect(failureCode(r)).toBe('USAGE');
    }
  });
});
