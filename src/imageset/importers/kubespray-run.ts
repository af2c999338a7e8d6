/**
 * A Kubespray import as the CLI runs it: the inventory read, then the values evaluated by
 * Ansible when it is installed (or asked for), else by the built-in evaluator.
 */
import { AirlockError, ErrorCodes } from '../../errors.js';
import { evaluateWithAnsible } from './ansible-evaluate.js';
import { findExecutable } from './ansible-run.js';
import { evaluateBuiltin } from './kubespray-evaluate.js';
import { readInventoryVars } from './kubespray-inventory.js';
import { finishImport, prepareKubespray, type KubesprayImport, type KubesprayImportOptions } from './kubespray.js';
import type { ImportInput } from './source.js';

/** When to evaluate with Ansible: when installed (`auto`), always (fail without it), or never. */
export type AnsibleMode = 'auto' | 'always' | 'never';

/** The modes, for option parsing. */
export const ANSIBLE_MODES: readonly AnsibleMode[] = ['auto', 'always', 'never'];

/** Options of a run. */
export interface KubesprayRunOptions extends Omit<KubesprayImportOptions, 'inventoryFiles'> {
  /** The operator's inventory (a directory, or an inventory file next to its group_vars). */
  inventory?: string;
  ansible?: AnsibleMode;
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** The set and warnings, and which evaluator gave them. */
export interface KubesprayRun extends KubesprayImport {
  evaluator: { kind: 'ansible'; path: string } | { kind: 'builtin'; why: string };
}

/**
 * Imports as `importKubespray` does, reading `inventory`'s group_vars and evaluating with
 * Ansible per `ansible` (default `auto`). `always` without ansible-playbook on PATH is USAGE.
 * Both evaluators give the same set for what both can evaluate; Ansible also evaluates what
 * the built-in evaluator does not support, and reads the whole inventory.
 */
export async function runKubesprayImport(inputs: ImportInput[], options: KubesprayRunOptions = {}): Promise<KubesprayRun> {
  const mode = options.ansible ?? 'auto';
  const inventoryFiles = options.inventory !== undefined ? await readInventoryVars(options.inventory) : [];
  const prepared = prepareKubespray(inputs, { ...options, inventoryFiles });
  const path = mode === 'never' ? undefined : await findExecutable('ansible-playbook');
  if (mode === 'always' && !path) {
    throw new AirlockError(ErrorCodes.USAGE, '--ansible always: ansible-playbook is not on PATH (install ansible-core, or use --ansible never)');
  }
  if (!path) {
    const why = mode === 'never' ? '--ansible never' : 'ansible-playbook is not on PATH';
    return { ...finishImport(prepared, evaluateBuiltin(prepared.layers.defs, prepared.plan.requests, options.limits)), evaluator: { kind: 'builtin', why } };
  }
  const extraVars = new Map(prepared.layers.pinned);
  for (const [k, v] of Object.entries(options.sets ?? {})) extraVars.set(k, v);
  const outcomes = await evaluateWithAnsible({
    ansiblePlaybook: path,
    files: prepared.files,
    ...(options.inventory !== undefined ? { inventory: options.inventory } : {}),
    extraVars,
    requests: prepared.plan.requests,
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return { ...finishImport(prepared, outcomes), evaluator: { kind: 'ansible', path } };
}
