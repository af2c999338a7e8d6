/**
 * A Kubespray import as the CLI runs it: the inventory read, then the values evaluated by
 * Ansible when it is installed (or asked for), else by the built-in evaluator.
 */
import { evaluateRequests, RUN_AS_IS, type AnsibleMode, type Blocking, type EvaluatorUsed } from './evaluator-choice.js';
import { KUBESPRAY_GROUPS, readInventoryVars } from './inventory.js';
import { finishImport, prepareKubespray, type KubesprayImport, type KubesprayImportOptions } from './kubespray.js';
import type { ImportInput } from './source.js';

export { ANSIBLE_MODES, type AnsibleMode } from './evaluator-choice.js';

/** Options of a run. */
export interface KubesprayRunOptions extends Omit<KubesprayImportOptions, 'inventoryFiles'> {
  /** The operator's inventory (a directory, or an inventory file next to its group_vars). */
  inventory?: string;
  ansible?: AnsibleMode;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** How to run the long synchronous steps (reading, evaluating, building the set). */
  blocking?: Blocking;
}

/** The set and warnings, and which evaluator gave them. */
export interface KubesprayRun extends KubesprayImport {
  evaluator: EvaluatorUsed;
}

/**
 * Imports as `importKubespray` does, reading `inventory`'s group_vars and evaluating with
 * Ansible per `ansible` (default `auto`). `always` without ansible-playbook on PATH is USAGE.
 * Both evaluators give the same set for what both can evaluate; Ansible also evaluates what
 * the built-in evaluator does not support, and reads the whole inventory.
 */
export async function runKubesprayImport(inputs: ImportInput[], options: KubesprayRunOptions = {}): Promise<KubesprayRun> {
  const inventoryFiles = options.inventory !== undefined ? await readInventoryVars(options.inventory, KUBESPRAY_GROUPS) : [];
  const blocking = options.blocking ?? RUN_AS_IS;
  const prepared = blocking(() => prepareKubespray(inputs, { ...options, inventoryFiles }));
  // The defaults' registries stay the sources under Ansible too, and --set wins over all.
  const extraVars = new Map(prepared.layers.pinned);
  for (const [k, v] of Object.entries(options.sets ?? {})) extraVars.set(k, v);
  const { outcomes, evaluator } = await evaluateRequests({
    mode: options.ansible ?? 'auto',
    defs: prepared.layers.defs,
    files: prepared.files,
    ...(options.inventory !== undefined ? { inventory: options.inventory, hostGroups: ['k8s_cluster', 'kube_control_plane'] } : {}),
    extraVars,
    requests: prepared.plan.requests,
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    blocking,
  });
  return { ...blocking(() => finishImport(prepared, outcomes)), evaluator };
}
