/**
 * Evaluating an import's requests with Ansible itself, so every filter, test and lookup
 * works exactly as in the deployment. In a private temporary directory (deleted afterwards):
 *
 * - the vars files become the defaults of a role (`defaults/main/NNN-*.yml`, in order), so an
 *   inventory's group_vars override them as they override Kubespray's role defaults; files
 *   that are a role's own vars (Atmosphere's `roles/defaults/vars/main.yml`) become the
 *   role's vars, which win over the inventory as they do in the deployment;
 * - `--set` values and the pinned registry variables are extra vars (they win over all);
 * - one play on localhost (or, with an inventory, the first host of the groups the tool
 *   decides its images on, whose group_vars and host_vars then count), `connection:
 *   local`, no facts, runs a lookup plugin that templates every request and writes the
 *   values (or errors) to a JSON file.
 *
 * Nothing is run on any host: the lookup runs in ansible-playbook itself. Ansible's own
 * configuration and home are private to the run (no ~/.ansible.cfg, no ./ansible.cfg).
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { AirlockError, clip, ErrorCodes } from '../../errors.js';
import { fromPlain, type RawValue } from './jinja.js';
import { LOOKUP_NAME, LOOKUP_SOURCE } from './ansible-lookup.js';
import { runProcess } from './ansible-run.js';
import type { EvalOutcome, EvalRequest } from './evaluate.js';
import { QUOTE_MAX, type Problem } from './problems.js';

/** What Ansible is asked. */
export interface AnsibleEvaluation {
  /** Absolute path of ansible-playbook. */
  ansiblePlaybook: string;
  /** The vars files, in order (later ones override earlier ones); `roleVars` ones win over the inventory. */
  files: { file: string; text: string; roleVars?: boolean }[];
  /** An inventory directory or file (`-i`). */
  inventory?: string;
  /** With an inventory: the groups whose first host the play runs on, most specific first (`k8s_cluster`, `kube_control_plane`). */
  hostGroups?: readonly string[];
  /** Extra vars: `--set` values and the pinned registry variables. */
  extraVars: Map<string, RawValue>;
  requests: EvalRequest[];
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Five minutes: Kubespray's defaults evaluate in seconds; a hang should not last forever. */
export const DEFAULT_ANSIBLE_TIMEOUT_MS = 5 * 60 * 1000;

const ROLE = 'airlock_inputs';
/** Kubespray's hosts whose variables count: its first cluster host, else its first control-plane host. */
const DEFAULT_HOST_GROUPS = ['k8s_cluster', 'kube_control_plane'];

/** The play's host pattern: the first host of each group, then localhost; the play runs once, on the first that exists. */
const hostPattern = (groups: readonly string[]) => [...groups.map((g) => `${g}[0]`), 'localhost'].join(':');
/** The user's Ansible settings that still apply: vault passwords, to read encrypted inventory vars. */
const KEEP_ENV = /^ANSIBLE_VAULT_/;

/** JSON for Ansible of a raw value (dicts as objects). */
function plain(v: RawValue): unknown {
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [k, plain(x)]));
  if (Array.isArray(v)) return v.map(plain);
  return v;
}

/** A Jinja string literal holding `s`. */
const literal = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** The environment of the run: the caller's, minus its Ansible settings, with a private home and config. */
function environment(dir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ANSIBLE_') || KEEP_ENV.test(k)) env[k] = v;
  const home = join(dir, 'home');
  return {
    ...env,
    HOME: home,
    // A private HOME must not hide a pip --user or pyenv installation of Ansible.
    PYTHONUSERBASE: process.env.PYTHONUSERBASE ?? join(homedir(), '.local'),
    PYENV_ROOT: process.env.PYENV_ROOT ?? join(homedir(), '.pyenv'),
    PYTHONDONTWRITEBYTECODE: '1',
    ANSIBLE_CONFIG: join(dir, 'ansible.cfg'),
    ANSIBLE_HOME: join(home, '.ansible'),
    ANSIBLE_LOCAL_TEMP: join(dir, 'tmp'),
    ANSIBLE_REMOTE_TEMP: join(dir, 'tmp'),
    ANSIBLE_LOCALHOST_WARNING: 'false',
    ANSIBLE_INVENTORY_UNPARSED_WARNING: 'false',
    ANSIBLE_DEPRECATION_WARNINGS: 'false',
    ANSIBLE_RETRY_FILES_ENABLED: 'false',
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_FORCE_COLOR: 'false',
    ANSIBLE_HOST_KEY_CHECKING: 'false',
    ANSIBLE_GATHERING: 'explicit',
  };
}

async function writeRun(dir: string, e: AnsibleEvaluation): Promise<{ inventory: string; out: string }> {
  const defaults = join(dir, 'roles', ROLE, 'defaults', 'main');
  const vars = join(dir, 'roles', ROLE, 'vars', 'main');
  await Promise.all([
    mkdir(defaults, { recursive: true }),
    mkdir(vars, { recursive: true }),
    mkdir(join(dir, 'lookup_plugins')),
    mkdir(join(dir, 'home')),
    mkdir(join(dir, 'tmp')),
  ]);
  // Role defaults and vars load in name order: the number keeps the files' order.
  await Promise.all(
    e.files.map((f, i) =>
      writeFile(join(f.roleVars ? vars : defaults, `${String(i).padStart(3, '0')}-${basename(f.file).replace(/[^A-Za-z0-9_.-]/g, '_')}.yml`), f.text),
    ),
  );
  const requests = join(dir, 'requests.json');
  const out = join(dir, 'values.json');
  await writeFile(requests, JSON.stringify(e.requests.map((r) => (typeof r.raw === 'string' ? r.raw : plain(r.raw)))));
  await writeFile(join(dir, 'lookup_plugins', `${LOOKUP_NAME}.py`), LOOKUP_SOURCE);
  await writeFile(join(dir, 'extra-vars.json'), JSON.stringify({ ...Object.fromEntries([...e.extraVars].map(([k, v]) => [k, plain(v)])), ansible_connection: 'local' }));
  const inventory = e.inventory ? resolve(e.inventory) : join(dir, 'inventory.ini');
  if (!e.inventory) await writeFile(inventory, '');
  await writeFile(
    join(dir, 'ansible.cfg'),
    [
      '[defaults]',
      `roles_path = ${join(dir, 'roles')}`,
      `lookup_plugins = ${join(dir, 'lookup_plugins')}`,
      'interpreter_python = auto_silent',
      '[inventory]',
      // An inventory that does not parse at all is an error, not an empty inventory.
      `unparsed_is_failed = ${e.inventory ? 'True' : 'False'}`,
      '',
    ].join('\n'),
  );
  const play = [
    {
      name: 'airlock import: evaluate the variables',
      hosts: e.inventory ? hostPattern(e.hostGroups ?? DEFAULT_HOST_GROUPS) : 'localhost',
      gather_facts: false,
      connection: 'local',
      run_once: true,
      roles: [{ role: ROLE }],
      tasks: [{ name: 'evaluate', 'ansible.builtin.debug': { msg: `{{ lookup(${literal(LOOKUP_NAME)}, ${literal(requests)}, ${literal(out)}) }}` } }],
    },
  ];
  await writeFile(join(dir, 'play.json'), JSON.stringify(play));
  return { inventory, out };
}

/**
 * Ansible's error text without what the problem line already says: the template it failed
 * on (a leading `{{ ... }}: `) and repeats of a sentence (it often says one thing four times).
 */
function cleanMessage(message: string, expression: string): string {
  const text = message.replace(/\s+/g, ' ').trim();
  const body = text.split(`${expression}: `).join('').replace(/\{\{.*?\}\}: /g, '');
  const sentences = [...new Set(body.split(/\.\s+/).map((s) => s.replace(/\.$/, '').trim()))].filter((s) => s !== '');
  return clip(sentences.join('. '), QUOTE_MAX * 2);
}

function outcomeOf(raw: { value?: unknown; error?: string }, request: EvalRequest): EvalOutcome {
  if (raw.error === undefined) return { ok: true, value: fromPlain(raw.value) };
  const message = cleanMessage(raw.error, request.where.expression);
  const missing = /'([A-Za-z_][A-Za-z0-9_]*)' is undefined/.exec(raw.error)?.[1];
  const undefinedLike = missing !== undefined || /is undefined|has no attribute/.test(raw.error);
  const w = request.where;
  const problem: Problem = {
    file: w.file,
    ...(w.line ? { line: w.line } : {}),
    variable: w.variable,
    expression: w.expression,
    message: `Ansible: ${message}`,
    kind: undefinedLike ? 'undefined' : 'invalid',
    ...(missing ? { undefinedName: missing } : {}),
  };
  return { ok: false, problem };
}

/** The last lines of Ansible's output, for an error message. */
function tail(text: string): string {
  return clip(text.trim().split('\n').slice(-15).join('\n'), 2000);
}

/**
 * Evaluates `e.requests` with ansible-playbook; outcomes in request order. A failing run
 * (bad YAML Ansible refuses, an inventory it cannot read, a timeout) is IMPORT_INVALID with
 * Ansible's message; Ctrl-C stops it (INTERRUPTED). The temporary directory is removed in
 * every case.
 */
export async function evaluateWithAnsible(e: AnsibleEvaluation): Promise<EvalOutcome[]> {
  const dir = await mkdtemp(join(tmpdir(), 'airlock-ansible-'));
  try {
    const { inventory, out } = await writeRun(dir, e);
    const result = await runProcess(e.ansiblePlaybook, ['-i', inventory, '-e', `@${join(dir, 'extra-vars.json')}`, join(dir, 'play.json')], {
      cwd: dir,
      env: environment(dir),
      timeoutMs: e.timeoutMs ?? DEFAULT_ANSIBLE_TIMEOUT_MS,
      ...(e.signal ? { signal: e.signal } : {}),
    });
    const values = await readFile(out, 'utf8').then(
      (t) => JSON.parse(t) as { value?: unknown; error?: string }[],
      () => undefined,
    );
    if (result.code !== 0 || values === undefined || values.length !== e.requests.length) {
      const said = tail(`${result.stderr}\n${result.stdout}`.replace(/\n{2,}/g, '\n')) || `exit ${result.code ?? result.signal}`;
      throw new AirlockError(ErrorCodes.IMPORT_INVALID, `Ansible could not evaluate the variables:\n${said}`, { ansible: e.ansiblePlaybook });
    }
    return values.map((v, i) => outcomeOf(v, e.requests[i]!));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
