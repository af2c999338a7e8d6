/**
 * Reads the Heat environment files that hold `ContainerImagePrepare` (the operator's
 * `containers-prepare-parameter.yaml`, and any others given with it): the entries, registry
 * credentials by name (never the secret), and the parameters TripleO's prepare step also
 * reads (`LocalContainerRegistry`, `NeutronMechanismDrivers`, `DockerRegistryMirror`).
 * Files are merged as `openstack overcloud deploy -e a -e b` merges them: a parameter in a
 * later file replaces the earlier one.
 */
import { isMap, isScalar, isSeq, type Node } from 'yaml';
import { LABEL_TEMPLATE_RE, PARAM_NAME_RE, PUSH_DESTINATION_RE, REGISTRY_HOST_RE } from '../schema.js';
import { compileRulePattern } from '../rule-regex.js';
import type { ParamValue } from '../types.js';
import { deref, importError, lineOf, parseYaml, scalarText, type ImportInput, type YamlSource } from './source.js';

/** A value with where it was written. */
export interface Located<T> {
  value: T;
  file: string;
  line?: number;
}

/** A key of an entry airlock keeps but does not act on (`modify_role`, `pull_source`, ...). */
export interface NotApplied {
  key: string;
  /** The value as compact text (clipped). */
  text: string;
}

/**
 * An entry's tripleo-modify-image use airlock applies: the task file as one modify step
 * (rpm_install.yml: `rpms`, modify_image.yml: `containerfile`, yum_update.yml: `update`),
 * the append tag, and the `modify_only_with_*` filters.
 */
export interface PrepareModify {
  /** The role's task file. */
  tasksFrom: string;
  appendTag: string;
  step: { kind: 'rpms' | 'containerfile' | 'update'; value: string };
  /** modify_only_with_labels: label names (any present selects the image). */
  onlyWithLabels?: string[];
  /** modify_only_with_source: the template entries' image_source values. */
  onlyWithSource?: string[];
  /** modify_vars airlock reads but has no use for, for the notes. */
  ignored: string[];
}

/** One `ContainerImagePrepare` entry. */
export interface PrepareEntry {
  index: number;
  file: string;
  line?: number;
  /** The entry's `set`, values as written (numbers as their text, `~` as ''). */
  set: Record<string, ParamValue>;
  hasSet: boolean;
  includes?: string[];
  excludes?: string[];
  tagFromLabel?: string;
  /** `true` stands for the undercloud's registry. */
  pushDestination?: string | true;
  /** `modify_*` airlock applies (see PrepareModify). */
  modify?: PrepareModify;
  /** `modify_*` airlock does not apply, `pull_source` and `multi_arch`, kept for the notes. */
  notApplied: NotApplied[];
  /** Keys TripleO does not read either. */
  unknown: string[];
}

/** One registry's login from `ContainerImageRegistryCredentials` (the password stays in the file). */
export interface RegistryLogin {
  registry: string;
  username: string;
  file: string;
  line?: number;
}

/** What the environment files say about preparing images. */
export interface PrepareEnvironment {
  entries: PrepareEntry[];
  credentials: RegistryLogin[];
  localRegistry?: Located<string>;
  neutronMechanismDrivers?: Located<string | string[]>;
  dockerRegistryMirror?: Located<string>;
}

/** Largest environment file read. */
export const MAX_ENVIRONMENT_BYTES = 4 * 1024 * 1024;
/** Most ContainerImagePrepare entries. */
export const MAX_PREPARE_ENTRIES = 256;
/** Most includes (or excludes) of one entry. */
export const MAX_ENTRY_PATTERNS = 1024;

const NOT_APPLIED = ['modify_role', 'modify_vars', 'modify_append_tag', 'modify_only_with_labels', 'modify_only_with_source', 'pull_source', 'multi_arch'];
const KNOWN = new Set(['set', 'includes', 'excludes', 'tag_from_label', 'push_destination', ...NOT_APPLIED]);

const clip = (s: string, max = 300) => (s.length <= max ? s : `${s.slice(0, max)}...`);
/** Longest registry host and push destination tested against the (backtracking) host patterns. */
const MAX_HOST_LENGTH = 255;
const MAX_DESTINATION_LENGTH = 1024;

/** A node of the entry as compact text for a note. */
function compact(node: unknown): string {
  if (isScalar(node)) return typeof node.value === 'string' ? JSON.stringify(node.value) : String(node.source ?? node.value);
  return clip(JSON.stringify((node as Node | null)?.toJSON?.() ?? null));
}

function setOf(src: YamlSource, node: unknown, where: string): Record<string, ParamValue> {
  if (node === null || node === undefined || (isScalar(node) && node.value === null)) return {};
  if (!isMap(node)) throw importError(src.file, lineOf(src, node), `${where}.set is a mapping of template parameters`);
  const out: Record<string, ParamValue> = {};
  for (const pair of node.items) {
    const key = scalarText(pair.key);
    const line = lineOf(src, pair.key);
    if (key === undefined || !PARAM_NAME_RE.test(key)) throw importError(src.file, line, `${where}.set: "${String(key ?? '').slice(0, 80)}" is not a parameter name (letters, digits and _)`);
    const value = deref(src, pair.value);
    if (value === null || value === undefined || (isScalar(value) && value.value === null)) out[key] = '';
    else if (isScalar(value) && typeof value.value === 'boolean') out[key] = value.value;
    else if (isScalar(value) && scalarText(value) !== undefined) out[key] = scalarText(value)!;
    else throw importError(src.file, line, `${where}.set.${key} must be text, a number or a boolean`);
  }
  return out;
}

function patternsOf(src: YamlSource, node: unknown, where: string): string[] | undefined {
  if (node === undefined || node === null || (isScalar(node) && node.value === null)) return undefined;
  if (!isSeq(node)) throw importError(src.file, lineOf(src, node), `${where} is a list of regular expressions`);
  if (node.items.length > MAX_ENTRY_PATTERNS) throw importError(src.file, lineOf(src, node), `${where}: more than ${MAX_ENTRY_PATTERNS} patterns`);
  return node.items.map((item) => {
    const n = deref(src, item);
    const pattern = scalarText(n);
    if (pattern === undefined || pattern === '') throw importError(src.file, lineOf(src, n), `${where}: each pattern is a non-empty string`);
    const c = compileRulePattern(pattern);
    if (!c.ok) throw importError(src.file, lineOf(src, n), `${where}: pattern "${clip(pattern, 80)}": ${c.reason}`);
    return pattern;
  });
}

function pushDestinationOf(src: YamlSource, node: unknown, where: string): string | true | undefined {
  if (node === undefined || node === null || (isScalar(node) && (node.value === null || node.value === false))) return undefined;
  if (isScalar(node) && node.value === true) return true;
  const raw = scalarText(node);
  // TripleO drops a trailing `/`. Length first: the patterns below backtrack on long input.
  const text = raw !== undefined && raw.length <= MAX_DESTINATION_LENGTH ? raw.replace(/\/+$/, '') : undefined;
  if (text === undefined || !PUSH_DESTINATION_RE.test(text)) {
    throw importError(src.file, lineOf(src, node), `${where}.push_destination is true or host[:port][/prefix], not "${clip(String(raw ?? ''), 80)}"`);
  }
  return text;
}

/** Where yum_update.yml reads repo files when modify_vars does not say (the role's default). */
const DEFAULT_REPOS_DIR = '/etc/yum.repos.d';

/**
 * A `modify_only_with_*` value as a list of names: undefined when absent or empty (TripleO
 * then does not filter), null when it is not a list of names (the entry is not applied).
 */
function namesOf(src: YamlSource, node: unknown): string[] | undefined | null {
  if (node === undefined || node === null || (isScalar(node) && node.value === null)) return undefined;
  if (!isSeq(node)) return null;
  const names = node.items.map((i) => scalarText(deref(src, i)));
  if (names.some((n) => !n)) return null;
  return names.length > 0 ? (names as string[]) : undefined;
}

/**
 * The modification airlock makes itself of an entry: tripleo-modify-image with a
 * `modify_append_tag` and one of its task files airlock runs, with only the variables that
 * task reads: rpm_install.yml (rpms_path), modify_image.yml (modify_dir_path; also when
 * tasks_from is not given, the role's default), yum_update.yml (yum_repos_dir_path, default
 * /etc/yum.repos.d; compare_host_packages is read and ignored: airlock always updates and
 * pins the result). `modify_only_with_labels` / `_source` become filters. Anything else (an
 * update_repo, dev_install.yml, a filter that is not a list) stays not applied (and noted).
 */
function modifyOf(src: YamlSource, get: (key: string) => unknown): PrepareModify | undefined {
  const role = scalarText(get('modify_role'));
  const tag = scalarText(get('modify_append_tag'));
  const vars = get('modify_vars');
  if (role !== 'tripleo-modify-image' || !tag || !isMap(vars)) return undefined;
  const labels = namesOf(src, get('modify_only_with_labels'));
  const sources = namesOf(src, get('modify_only_with_source'));
  if (labels === null || sources === null) return undefined;
  const keys = vars.items.map((p) => scalarText(p.key) ?? '');
  const text = (key: string) => scalarText(deref(src, vars.get(key, true)));
  const tasks = text('tasks_from') ?? (vars.has('tasks_from') ? undefined : 'modify_image.yml');
  const only = (...allowed: string[]) => keys.every((k) => k === 'tasks_from' || allowed.includes(k));
  let step: PrepareModify['step'] | undefined;
  const ignored: string[] = [];
  if (tasks === 'rpm_install.yml' && text('rpms_path') && only('rpms_path')) step = { kind: 'rpms', value: text('rpms_path')! };
  else if (tasks === 'modify_image.yml' && text('modify_dir_path') && only('modify_dir_path')) step = { kind: 'containerfile', value: text('modify_dir_path')! };
  else if (tasks === 'yum_update.yml' && only('yum_repos_dir_path', 'compare_host_packages')) {
    step = { kind: 'update', value: text('yum_repos_dir_path') || DEFAULT_REPOS_DIR };
    if (keys.includes('compare_host_packages')) ignored.push(`compare_host_packages: ${compact(deref(src, vars.get('compare_host_packages', true)))}`);
  }
  if (!step) return undefined;
  return { tasksFrom: tasks!, appendTag: tag, step, ...(labels ? { onlyWithLabels: labels } : {}), ...(sources ? { onlyWithSource: sources } : {}), ignored };
}

function entryOf(src: YamlSource, node: unknown, index: number): PrepareEntry {
  const where = `ContainerImagePrepare[${index}]`;
  const line = lineOf(src, node);
  if (!isMap(node)) throw importError(src.file, line, `${where} is a mapping (set, tag_from_label, includes, excludes, push_destination, ...)`);
  const get = (key: string) => deref(src, node.get(key, true));
  const entry: PrepareEntry = {
    index,
    file: src.file,
    ...(line ? { line } : {}),
    set: setOf(src, get('set'), where),
    hasSet: get('set') !== undefined,
    notApplied: [],
    unknown: [],
  };
  const includes = patternsOf(src, get('includes'), `${where}.includes`);
  const excludes = patternsOf(src, get('excludes'), `${where}.excludes`);
  if (includes && includes.length > 0) entry.includes = includes;
  if (excludes && excludes.length > 0) entry.excludes = excludes;
  const label = get('tag_from_label');
  if (label !== undefined && !(isScalar(label) && label.value === null)) {
    const text = scalarText(label);
    if (text === undefined || text.length > MAX_DESTINATION_LENGTH || !LABEL_TEMPLATE_RE.test(text)) {
      throw importError(src.file, lineOf(src, label), `${where}.tag_from_label is a label name or a template like {version}-{release}`);
    }
    entry.tagFromLabel = text;
  }
  const push = pushDestinationOf(src, get('push_destination'), where);
  if (push !== undefined) entry.pushDestination = push;
  const modify = modifyOf(src, get);
  if (modify) entry.modify = modify;
  for (const pair of node.items) {
    const key = scalarText(pair.key) ?? '';
    if (modify && key.startsWith('modify_')) continue;
    if (NOT_APPLIED.includes(key)) entry.notApplied.push({ key, text: compact(deref(src, pair.value)) });
    else if (!KNOWN.has(key)) entry.unknown.push(clip(key, 80));
  }
  return entry;
}

function credentialsOf(src: YamlSource, node: unknown): RegistryLogin[] {
  if (node === null || node === undefined || (isScalar(node) && node.value === null)) return [];
  if (!isMap(node)) throw importError(src.file, lineOf(src, node), 'ContainerImageRegistryCredentials is a mapping of registry to {username: password}');
  return node.items.map((pair) => {
    const registry = scalarText(pair.key) ?? '';
    const line = lineOf(src, pair.key);
    if (registry.length > MAX_HOST_LENGTH || !REGISTRY_HOST_RE.test(registry)) throw importError(src.file, line, `ContainerImageRegistryCredentials: "${clip(registry, 80)}" is not a registry host[:port]`);
    const users = deref(src, pair.value);
    // TripleO refuses anything but one {username: password} pair per registry. The password
    // is never read into anything airlock writes or prints.
    if (!isMap(users) || users.items.length !== 1) {
      throw importError(src.file, line, `ContainerImageRegistryCredentials.${registry} must hold exactly one username: password pair, as TripleO requires`);
    }
    const username = scalarText(users.items[0]!.key);
    if (!username) throw importError(src.file, line, `ContainerImageRegistryCredentials.${registry}: the username is empty`);
    return { registry, username, file: src.file, ...(line ? { line } : {}) };
  });
}

function located<T>(src: YamlSource, node: unknown, value: T): Located<T> {
  const line = lineOf(src, node);
  return { value, file: src.file, ...(line ? { line } : {}) };
}

/**
 * Reads `parameter_defaults` of each Heat environment file (a later file's parameter replaces
 * an earlier one's). IMPORT_INVALID at file:line for: a file over MAX_ENVIRONMENT_BYTES, bad
 * YAML, no ContainerImagePrepare list in any file, an entry that is not a mapping, a `set`
 * value that is not a scalar, includes/excludes that are not a list of patterns airlock can
 * run safely (see compileRulePattern), a bad tag_from_label or push_destination, and
 * credentials that are not one `username: password` per registry host.
 */
export function readPrepareEnvironment(inputs: ImportInput[]): PrepareEnvironment {
  const found = new Map<string, { src: YamlSource; node: unknown }>();
  for (const input of inputs) {
    if (Buffer.byteLength(input.text, 'utf8') > MAX_ENVIRONMENT_BYTES) {
      throw importError(input.file, undefined, `larger than ${MAX_ENVIRONMENT_BYTES} bytes`);
    }
    const [src] = parseYaml(input);
    const root = src!.doc.contents;
    if (root === null || (isScalar(root) && root.value === null)) continue;
    if (!isMap(root)) throw importError(input.file, lineOf(src!, root), 'a Heat environment file is a mapping with parameter_defaults');
    const defaults = deref(src!, root.get('parameter_defaults', true));
    if (defaults === undefined || defaults === null) continue;
    if (!isMap(defaults)) throw importError(input.file, lineOf(src!, defaults), 'parameter_defaults is a mapping of parameters');
    for (const pair of defaults.items) {
      const name = scalarText(pair.key);
      if (name !== undefined) found.set(name, { src: src!, node: deref(src!, pair.value) });
    }
  }
  const prepare = found.get('ContainerImagePrepare');
  if (!prepare || !isSeq(prepare.node)) {
    const where = prepare ? prepare.src.file : inputs.map((i) => i.file).join(', ');
    throw importError(where, prepare ? lineOf(prepare.src, prepare.node) : undefined, 'no parameter_defaults.ContainerImagePrepare list');
  }
  if (prepare.node.items.length === 0) throw importError(prepare.src.file, lineOf(prepare.src, prepare.node), 'ContainerImagePrepare is empty');
  if (prepare.node.items.length > MAX_PREPARE_ENTRIES) {
    throw importError(prepare.src.file, lineOf(prepare.src, prepare.node), `more than ${MAX_PREPARE_ENTRIES} ContainerImagePrepare entries`);
  }
  const env: PrepareEnvironment = {
    entries: prepare.node.items.map((item, i) => entryOf(prepare.src, deref(prepare.src, item), i)),
    credentials: [],
  };
  const creds = found.get('ContainerImageRegistryCredentials');
  if (creds) env.credentials = credentialsOf(creds.src, creds.node);
  const text = (name: string) => {
    const f = found.get(name);
    const value = f ? scalarText(f.node) : undefined;
    return f && value ? located(f.src, f.node, value) : undefined;
  };
  const local = text('LocalContainerRegistry');
  if (local) env.localRegistry = local;
  const mirror = text('DockerRegistryMirror');
  if (mirror) env.dockerRegistryMirror = mirror;
  const drivers = found.get('NeutronMechanismDrivers');
  if (drivers) {
    const n = drivers.node;
    const value = isSeq(n) ? n.items.map((i) => scalarText(deref(drivers.src, i)) ?? '') : scalarText(n);
    if (value !== undefined) env.neutronMechanismDrivers = located(drivers.src, n, value);
  }
  return env;
}
