/**
 * Which evaluator answers an import's requests: Ansible when it is installed (or asked for),
 * else the built-in one. Every importer of Ansible variables (Kubespray, Atmosphere) asks here,
 * so `--ansible auto|always|never` means the same for each.
 */
import { AirlockError, ErrorCodes } from '../../errors.js';
import { evaluateWithAnsible } from './ansible-evaluate.js';
import { findExecutable } from './ansible-run.js';
import { evaluateBuiltin, type EvalOutcome, type EvalRequest } from './evaluate.js';
import type { Definition, JinjaLimits, RawValue } from './jinja.js';

/** When to evaluate with Ansible: when installed (`auto`), always (fail without it), or never. */
export type AnsibleMode = 'auto' | 'always' | 'never';

/** The modes, for option parsing. */
export const ANSIBLE_MODES: readonly AnsibleMode[] = ['auto', 'always', 'never'];

/** Which evaluator gave the outcomes, and why the built-in one when it was. */
export type EvaluatorUsed = { kind: 'ansible'; path: string } | { kind: 'builtin'; why: string };

/** Everything either evaluator needs. */
export interface EvaluationInput {
  mode: AnsibleMode;
  /** The variables that count, layered (for the built-in evaluator). */
  defs: ReadonlyMap<string, Definition>;
  /** The files as written, in order (for Ansible); `roleVars` ones win over the inventory. */
  files: { file: string; text: string; roleVars?: boolean }[];
  inventory?: string;
  /** With an inventory: the groups whose first host Ansible evaluates on. */
  hostGroups?: readonly string[];
  /** Extra vars for Ansible (`--set`, and what an importer pins). */
  extraVars: Map<string, RawValue>;
  requests: EvalRequest[];
  limits?: JinjaLimits;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Runs a long synchronous step (the CLI lets a signal end the process at once during it); default: just runs it. */
  blocking?: Blocking;
}

/** How a caller runs long synchronous steps. */
export type Blocking = <T>(fn: () => T) => T;

/** Runs the step as it is. */
export const RUN_AS_IS: Blocking = (fn) => fn();

/**
 * The outcomes of `input.requests` (in order) and the evaluator that gave them. `always`
 * without ansible-playbook on PATH is USAGE.
 */
export async function evaluateRequests(input: EvaluationInput): Promise<{ outcomes: EvalOutcome[]; evaluator: EvaluatorUsed }> {
  const path = input.mode === 'never' ? undefined : await findExecutable('ansible-playbook');
  if (input.mode === 'always' && !path) {
    throw new AirlockError(ErrorCodes.USAGE, '--ansible always: ansible-playbook is not on PATH (install ansible-core, or use --ansible never)');
  }
  if (!path) {
    const why = input.mode === 'never' ? '--ansible never' : 'ansible-playbook is not on PATH';
    const outcomes = (input.blocking ?? RUN_AS_IS)(() => evaluateBuiltin(input.defs, input.requests, input.limits));
    return { outcomes, evaluator: { kind: 'builtin', why } };
  }
  const outcomes = await evaluateWithAnsible({
    ansiblePlaybook: path,
    files: input.files,
    ...(input.inventory !== undefined ? { inventory: input.inventory } : {}),
    ...(input.hostGroups ? { hostGroups: input.hostGroups } : {}),
    extraVars: input.extraVars,
    requests: input.requests,
    ...(input.timeoutMs !== undefined ? { timeoutMs: input.timeoutMs } : {}),
    ...(input.signal ? { signal: input.signal } : {}),
  });
  return { outcomes, evaluator: { kind: 'ansible', path } };
}
