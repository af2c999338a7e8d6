/**
 * An Atmosphere import as the CLI runs it: the role's defaults read beside its vars, the
 * inventory read, then the templates evaluated by Ansible when it is installed (or asked
 * for), else by the built-in evaluator.
 */
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { finishAtmosphere, isRoleVars, prepareAtmosphere, type AtmosphereImportOptions } from './atmosphere.js';
import { evaluateRequests, RUN_AS_IS, type AnsibleMode, type Blocking, type EvaluatorUsed } from './evaluator-choice.js';
import { ATMOSPHERE_GROUPS, readInventoryVars } from './inventory.js';
import type { ImportedSet } from './kubespray-plan.js';
import type { ImportInput } from './source.js';

/** Options of a run. */
export interface AtmosphereRunOptions extends Omit<AtmosphereImportOptions, 'inventoryFiles'> {
  /** The operator's inventory (a directory, or an inventory file next to its group_vars). */
  inventory?: string;
  ansible?: AnsibleMode;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** How to run the long synchronous steps (reading, evaluating, building the set). */
  blocking?: Blocking;
}

/** The set, warnings, the evaluator that ran (none when nothing needed evaluating) and the files read besides those given. */
export interface AtmosphereRun {
  set: ImportedSet;
  warnings: string[];
  evaluator?: EvaluatorUsed;
  alsoRead: string[];
}

/** What follows a role's directory in the path of its vars file. */
const ROLE_VARS_TAIL = /[\\/]vars[\\/]main(?:\.ya?ml|[\\/][^\\/]+\.ya?ml)$/;

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

/**
 * The defaults file of each role whose vars file is given (`roles/defaults/defaults/main.yml`
 * for `roles/defaults/vars/main.yml`), when it exists and is not given too: Ansible always
 * loads a role's defaults with its vars, and Atmosphere's templates use them
 * (`atmosphere_image_prefix`, `atmosphere_kubernetes_version`).
 */
export async function roleDefaultsOf(files: string[]): Promise<string[]> {
  const given = new Set(files.map((f) => resolve(f)));
  const out: string[] = [];
  for (const f of files) {
    if (!isRoleVars(f)) continue;
    const role = f.replace(ROLE_VARS_TAIL, '');
    for (const name of ['main.yml', 'main.yaml']) {
      const candidate = join(role, 'defaults', name);
      if (!given.has(resolve(candidate)) && !out.includes(candidate) && (await exists(candidate))) out.push(candidate);
    }
  }
  return out;
}

/**
 * Imports as `importAtmosphere` does, with the role defaults beside any role vars given
 * read first, `inventory`'s group_vars (all, controllers) over the files, and the templates
 * evaluated by Ansible per `ansible` (default `auto`; Ansible then reads the whole
 * inventory). Files without templates need no evaluator.
 */
export async function runAtmosphereImport(inputs: ImportInput[], options: AtmosphereRunOptions = {}): Promise<AtmosphereRun> {
  const alsoRead = await roleDefaultsOf(inputs.map((i) => i.file));
  const defaults = await Promise.all(alsoRead.map(async (file) => ({ file, text: await readFile(file, 'utf8') })));
  const inventoryFiles = options.inventory !== undefined ? await readInventoryVars(options.inventory, ATMOSPHERE_GROUPS) : [];
  const blocking = options.blocking ?? RUN_AS_IS;
  const prepared = blocking(() => prepareAtmosphere([...defaults, ...inputs], { ...options, inventoryFiles }));
  if (prepared.requests.length === 0) return { ...blocking(() => finishAtmosphere(prepared, [])), alsoRead };
  const { outcomes, evaluator } = await evaluateRequests({
    mode: options.ansible ?? 'auto',
    defs: prepared.defs,
    files: prepared.files,
    ...(options.inventory !== undefined ? { inventory: options.inventory, hostGroups: ['controllers'] } : {}),
    extraVars: new Map(Object.entries(options.sets ?? {})),
    requests: prepared.requests,
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    blocking,
  });
  return { ...blocking(() => finishAtmosphere(prepared, outcomes)), evaluator, alsoRead };
}
