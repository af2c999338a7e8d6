/**
 * The Atmosphere round trip with Ansible itself (CI installs ansible-core; see .ci/run):
 * `airlock import atmosphere` gives the same image set whether Ansible or the built-in
 * evaluator evaluates Atmosphere's role vars; a lock of that set, mirrored, rendered with
 * `render --format atmosphere` and put in the operator's inventory, makes Atmosphere's own
 * `atmosphere_images` (evaluated by Ansible with the role) give exactly the mirrored references.
 */
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseImageSet } from '../../src/imageset/load.js';
import { formatLock } from '../../src/lock/write.js';
import { fixturePath } from '../fixtures/importers/fixtures.js';
import { ansiblePlaybook, debugJson, lockOf } from './ansible-helpers.js';
import { makeCliSandbox, show, type CliSandbox } from './cli.js';
import { failureCode } from './leftovers.js';

const MIRROR = 'reg.local:5000/mirror';
const ROLE = fixturePath('atmosphere-2025/roles/defaults');
const ROLE_VARS = join(ROLE, 'vars', 'main.yml');
const INVENTORY = fixturePath('atmosphere-2025/inventory');

let sb: CliSandbox;
/** The fixture's inventory plus a release setting the role's vars must win over. */
let inventory: string;

beforeAll(async () => {
  sb = await makeCliSandbox();
  inventory = join(sb.dir, 'inventory');
  await cp(INVENTORY, inventory, { recursive: true });
  await writeFile(join(inventory, 'group_vars', 'all', 'release.yml'), 'atmosphere_release: "2024.1"\n');
});

afterAll(async () => {
  await sb?.remove();
});

const airlock = (args: string[]) => sb.run(args, { env: { TMPDIR: sb.dir }, timeoutMs: 120_000 });

/** What Atmosphere's own `atmosphere_images` gives on the first controller, evaluated by Ansible with the role and `inv`. */
async function atmosphereImages(inv: string): Promise<Record<string, string>> {
  const dir = join(sb.dir, `ansible-${Date.now()}`);
  await mkdir(join(dir, 'roles'), { recursive: true });
  await mkdir(join(dir, 'home'));
  await cp(ROLE, join(dir, 'roles', 'defaults'), { recursive: true });
  await writeFile(join(dir, 'ansible.cfg'), `[defaults]\nroles_path = ${join(dir, 'roles')}\n`);
  const play = [
    {
      hosts: 'controllers[0]',
      gather_facts: false,
      connection: 'local',
      roles: [{ role: 'defaults' }],
      tasks: [{ 'ansible.builtin.debug': { msg: '{{ atmosphere_images | to_json }}' } }],
    },
  ];
  await writeFile(join(dir, 'play.json'), JSON.stringify(play));
  const r = await ansiblePlaybook(dir, ['-i', inv, '-e', 'ansible_connection=local', 'play.json']);
  expect(r.code, show(r)).toBe(0);
  const images = debugJson(r.stdout) as Record<string, string> | undefined;
  if (!images) throw new Error(`the play printed no JSON:\n${r.stdout}`);
  return images;
}

describe('airlock import atmosphere with Ansible', () => {
  it('gives the same image set with Ansible and with the built-in evaluator (role vars over the inventory, overrides on top)', async () => {
    const a = join(sb.dir, 'ansible.yaml');
    const b = join(sb.dir, 'builtin.yaml');
    const [withAnsible, builtin] = await Promise.all([
      airlock(['import', 'atmosphere', ROLE_VARS, '--inventory', inventory, '--ansible', 'always', '-o', a]),
      airlock(['import', 'atmosphere', ROLE_VARS, '--inventory', inventory, '--ansible', 'never', '-o', b]),
    ]);
    expect(withAnsible.code, show(withAnsible)).toBe(0);
    expect(builtin.code, show(builtin)).toBe(0);
    expect(withAnsible.stderr).toContain("evaluated Atmosphere's variables with Ansible (");
    expect(withAnsible.stderr).toContain(`read the role's defaults too: ${join(ROLE, 'defaults', 'main.yml')}`);
    const [textA, textB] = await Promise.all([readFile(a, 'utf8'), readFile(b, 'utf8')]);
    expect(textA).toBe(textB);
    const set = parseImageSet(textA);
    expect(set.images.nova_api!.ref).toBe('registry.atmosphere.dev/library/nova:2025.1');
    expect(set.images.keystone_api!.ref).toBe('quay.io/example/keystone:2025.1-patched');
    expect(set.images.kube_proxy!.ref).toBe('registry.k8s.io/kube-proxy:v1.30.6');
  });

  it("a lock rendered with --format atmosphere makes Atmosphere's atmosphere_images give the mirrored references", async () => {
    const imagesYaml = join(sb.dir, 'round-trip.yaml');
    const imported = await airlock(['import', 'atmosphere', ROLE_VARS, '--inventory', inventory, '-o', imagesYaml]);
    expect(imported.code, show(imported)).toBe(0);
    const lock = lockOf(await readFile(imagesYaml, 'utf8'), (p) => `${MIRROR}/${p.source.repository}:${p.source.tag ?? 'pinned'}`);
    const lockFile = join(sb.dir, 'round-trip.lock.yaml');
    await writeFile(lockFile, formatLock(lock));
    const rendered = await airlock(['render', lockFile, '--format', 'atmosphere']);
    expect(rendered.code, show(rendered)).toBe(0);
    // The operator's overrides file is replaced by the rendered one (it carries every image).
    await rm(join(inventory, 'group_vars', 'all', 'images.yml'));
    await writeFile(join(inventory, 'group_vars', 'all', 'zz-airlock-images.yml'), rendered.stdout);
    const images = await atmosphereImages(inventory);
    const expected = Object.fromEntries(Object.values(lock.images).map((i) => [i.origin.imported!.name!, `${i.destination!}@${i.digest}`]));
    expect(images).toEqual(expected);
    expect(Object.keys(images)).toHaveLength(20);
  });

  it('--push-destination adds one rule sending every imported image there; a malformed one is refused', async () => {
    const out = join(sb.dir, 'pushed.yaml');
    const imported = await airlock(['import', 'atmosphere', ROLE_VARS, '--inventory', inventory, '--push-destination', 'registry.local:5000/mirror', '-o', out]);
    expect(imported.code, show(imported)).toBe(0);
    const set = parseImageSet(await readFile(out, 'utf8'));
    expect(set.rules.map((r) => r.push_destination)).toContain('registry.local:5000/mirror');
    const plan = await airlock(['plan', out]);
    expect(plan.code, show(plan)).toBe(0);
    expect(plan.stdout).toContain('registry.local:5000/mirror/');
    const bad = await airlock(['import', 'atmosphere', ROLE_VARS, '--inventory', inventory, '--push-destination', 'not a registry']);
    expect(bad.code).toBe(2);
  });

  it('unpinned, a registry move is the prefix alone, and Atmosphere then gives the mirrored references', async () => {
    const plain = join(sb.dir, 'plain-inventory');
    await cp(INVENTORY, plain, { recursive: true });
    await rm(join(plain, 'group_vars', 'all', 'images.yml'));
    const imagesYaml = join(sb.dir, 'prefix.yaml');
    const imported = await airlock(['import', 'atmosphere', ROLE_VARS, '--inventory', plain, '-o', imagesYaml]);
    expect(imported.code, show(imported)).toBe(0);
    // A mirror that keeps each reference whole under one path: the move Atmosphere's prefix is for.
    const lock = lockOf(await readFile(imagesYaml, 'utf8'), (p) => `${MIRROR}/${p.source.registry}/${p.source.repository}${p.source.tag ? `:${p.source.tag}` : ''}`);
    const lockFile = join(sb.dir, 'prefix.lock.yaml');
    await writeFile(lockFile, formatLock(lock));
    const rendered = await airlock(['render', lockFile, '--format', 'atmosphere', '--unpinned']);
    expect(rendered.code, show(rendered)).toBe(0);
    expect(rendered.stdout).toContain(`atmosphere_image_prefix: ${MIRROR}/\n`);
    expect(rendered.stdout).not.toContain('atmosphere_image_overrides');
    await writeFile(join(plain, 'group_vars', 'all', 'zz-airlock-images.yml'), rendered.stdout);
    const images = await atmosphereImages(plain);
    for (const image of Object.values(lock.images)) {
      const name = image.origin.imported!.name!;
      // Tagged images by tag; those the role pins by digest keep it.
      const pinnedInRole = image.origin.imported!.expression!.includes('@sha256:');
      expect(images[name], name).toBe(pinnedInRole ? `${image.destination!}@${image.digest}` : image.destination);
    }
  });

  it('reports what Ansible cannot evaluate, and refuses options of other formats', async () => {
    const file = join(sb.dir, 'broken.yml');
    await writeFile(file, '_atmosphere_images:\n  a: "{{ my_prefix }}quay.io/a:1"\n  b: "{{ versions[release] }}"\n');
    const [broken, asDeployed] = await Promise.all([
      airlock(['import', 'atmosphere', file, '--ansible', 'always']),
      airlock(['import', 'atmosphere', file, '--as-deployed']),
    ]);
    expect(broken.code, show(broken)).toBe(2);
    expect(failureCode(broken)).toBe('IMPORT_INVALID');
    expect(broken.stderr).toContain('2 problems in the Atmosphere variables:');
    expect(broken.stderr).toMatch(/broken\.yml:2: _atmosphere_images\.a: Ansible: .*'my_prefix' is undefined.*--set my_prefix=VALUE/);
    expect(asDeployed.code, show(asDeployed)).toBe(2);
    expect(failureCode(asDeployed)).toBe('USAGE');
  });
});
