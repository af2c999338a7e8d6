/**
 * An operator's inventory as the built-in evaluator sees it: the group_vars of the groups the
 * host a tool's images are decided on is in, least specific first (Ansible's order for them).
 * Ansible itself reads the whole inventory (hosts, host_vars, every group); this is the part
 * that sets what the image lists depend on (`kube_network_plugin`, `offline.yml`,
 * `atmosphere_image_overrides`, ...).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { AirlockError, ErrorCodes } from '../../errors.js';
import type { ImportInput } from './source.js';

/** Kubespray: the groups of its first control-plane host, in increasing precedence. */
export const KUBESPRAY_GROUPS: readonly string[] = ['all', 'k8s_cluster', 'kube_control_plane'];
/** Atmosphere: the groups of its first controller (its playbooks deploy from there). */
export const ATMOSPHERE_GROUPS: readonly string[] = ['all', 'controllers'];

const VARS_FILE = /\.(ya?ml|json)$|^[^.]+$/;

async function isDir(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

/** Files of a group_vars directory, recursively, in name order (as Ansible loads them). */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const out: string[] = [];
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (e.name.startsWith('.')) continue;
    const path = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(path)));
    else if (e.isFile() && VARS_FILE.test(e.name)) out.push(path);
  }
  return out;
}

/**
 * The group_vars files of the inventory at `path` (a directory, or an inventory file whose
 * directory holds group_vars) for `groups`, as import inputs. A missing path is USAGE;
 * an inventory without group_vars gives none.
 */
export async function readInventoryVars(path: string, groups: readonly string[]): Promise<ImportInput[]> {
  const dir = (await isDir(path)) ? path : (await isFile(path)) ? dirname(path) : undefined;
  if (dir === undefined) throw new AirlockError(ErrorCodes.USAGE, `--inventory ${path}: no such directory or file`, { inventory: path });
  const files: string[] = [];
  for (const group of groups) {
    const base = join(dir, 'group_vars', group);
    if (await isDir(base)) files.push(...(await filesUnder(base)));
    for (const ext of ['', '.yml', '.yaml', '.json']) if (await isFile(base + ext)) files.push(base + ext);
  }
  return Promise.all(files.map(async (file) => ({ file, text: await readFile(file, 'utf8') })));
}
