/**
 * `airlock import atmosphere`: Atmosphere's image list from its variables.
 *
 * Atmosphere keeps its images in its role vars (`roles/defaults/vars/main.yml`) as
 * `_atmosphere_images`, each entry a template such as
 * `{{ atmosphere_image_prefix }}registry.k8s.io/kube-proxy:v{{ atmosphere_kubernetes_version }}`,
 * and builds `atmosphere_images` as `_atmosphere_images | combine(atmosphere_image_overrides)`.
 * This importer does the same: the map (or a literal `atmosphere_images:` map, as a rendered
 * manifest has), then the overrides on top, each entry's template evaluated (by Ansible or
 * the built-in evaluator, see atmosphere-run.ts) with the variables of every file given, the
 * inventory and `--set`. An overrides file alone imports its entries. A file with none of
 * these variables is read as a bare map of image key to reference, and refused unless every
 * value is one (a version string is not an image). Helm charts (`oci://`) are left out with
 * a note. Each image keeps where it came from (its Atmosphere name, file, line and template)
 * so `render --format atmosphere` writes back the names Atmosphere reads.
 */
import { AirlockError, clip } from '../../errors.js';
import { formatReference, parseReference } from '../../ref/reference.js';
import type { ImageEntry } from '../types.js';
import { evaluateBuiltin, textOf, type EvalOutcome, type EvalRequest } from './evaluate.js';
import type { ImportOptions } from './index.js';
import { rawText, type Definition, type JinjaLimits, type JinjaWhere, type RawValue } from './jinja.js';
import { isTemplate } from './jinja-lexer.js';
import { KeyAllocator } from './keys.js';
import { provenanceFile } from './kubespray-provenance.js';
import type { ImportedSet } from './kubespray-plan.js';
import { Problems, QUOTE_MAX, type Problem } from './problems.js';
import { importError, NO_NOTES, type ImportInput, type ImportNotes } from './source.js';
import { readVarsFile, type VarsFile } from './vars-files.js';

const IMAGES = 'atmosphere_images';
const BASE = '_atmosphere_images';
const OVERRIDES = 'atmosphere_image_overrides';
/** How Atmosphere builds `atmosphere_images` from the two maps (whatever the spacing and options). */
const COMBINE = /^\{\{-?\s*_atmosphere_images\s*\|\s*combine\(\s*atmosphere_image_overrides\b[^}]*\}\}$/;
/** A role's own vars file (`roles/NAME/vars/main.yml`): its variables win over the inventory. */
const ROLE_VARS = /(?:^|[\\/])roles[\\/][^\\/]+[\\/]vars[\\/]main(?:\.ya?ml|[\\/][^\\/]+\.ya?ml)$/;

/** Options of an Atmosphere import. */
export interface AtmosphereImportOptions {
  /** `--set NAME=VALUE`: over every file and the inventory. */
  sets?: Record<string, string>;
  /** The inventory's group_vars files, over the files (not over role vars). */
  inventoryFiles?: ImportInput[];
  /** Evaluation limits (tests lower them). */
  limits?: JinjaLimits;
}

/** One image as Atmosphere names it, with the value that gives its reference. */
interface Entry {
  name: string;
  raw: RawValue;
  where: JinjaWhere;
  /** Index of its request, when its value is a template. */
  request?: number;
}

/** An import read and planned, before anything is evaluated. */
export interface PreparedAtmosphere {
  /** The files as Ansible reads them; role vars marked. */
  files: (VarsFile & { roleVars: boolean })[];
  /** The variables that count, layered. */
  defs: Map<string, Definition>;
  /** The templates to evaluate. */
  requests: EvalRequest[];
  entries: Entry[];
  /** True when the files are bare maps of key to reference (no Atmosphere variable at all). */
  bare: boolean;
  /** What the operator should know before anything is evaluated. */
  warnings: string[];
}

/** True when `file` is a role's vars file (Atmosphere's `roles/defaults/vars/main.yml`). */
export function isRoleVars(file: string): boolean {
  return ROLE_VARS.test(file);
}

/** Files, then inventory, then role vars, then `--set`: later definitions win, as in Ansible. */
function layer(files: PreparedAtmosphere['files'], inventory: VarsFile[], sets: Record<string, string>): Map<string, Definition> {
  const defs = new Map<string, Definition>();
  for (const f of [...files.filter((x) => !x.roleVars), ...inventory, ...files.filter((x) => x.roleVars)]) for (const d of f.defs) defs.set(d.name, d);
  for (const [name, value] of Object.entries(sets)) defs.set(name, { name, file: '--set', value });
  return defs;
}

/** The file that defines `def` (to find its keys' lines). */
function fileOf(def: Definition, all: VarsFile[]): VarsFile | undefined {
  return all.find((f) => f.file === def.file && f.defs.includes(def));
}

/** The entries of a map variable, each placed at its key's line; a variable that is not a map is IMPORT_INVALID. */
function mapEntries(def: Definition, all: VarsFile[]): Entry[] {
  if (def.value === null) return [];
  if (!(def.value instanceof Map)) {
    throw importError(def.file, def.line, `${def.name} must be a map of image name to reference, not ${JSON.stringify(clip(rawText(def.value), QUOTE_MAX))}`, {
      variable: def.name,
    });
  }
  const lines = fileOf(def, all)?.keyLines.get(def.name);
  return [...def.value].map(([name, raw]) => {
    const line = lines?.get(name) ?? def.line;
    return { name, raw, where: { variable: `${def.name}.${name}`, file: def.file, ...(line ? { line } : {}), expression: rawText(raw) } };
  });
}

/** Every image Atmosphere would deploy for these variables: `atmosphere_images`, else the base map with the overrides on top. */
function imageEntries(defs: Map<string, Definition>, all: VarsFile[], warnings: string[]): Entry[] {
  const images = defs.get(IMAGES);
  const overrides = defs.get(OVERRIDES);
  const overrideEntries = overrides ? mapEntries(overrides, all) : [];
  if (images && images.value instanceof Map) {
    if (overrideEntries.length > 0) {
      warnings.push(`${OVERRIDES} left out: ${images.file}${images.line ? `:${images.line}` : ''} gives ${IMAGES} as a map, which Atmosphere uses as it is`);
    }
    return mapEntries(images, all);
  }
  if (images && !(typeof images.value === 'string' && COMBINE.test(images.value.trim()))) {
    throw importError(images.file, images.line, `${IMAGES} is built by ${JSON.stringify(clip(rawText(images.value), QUOTE_MAX))}; airlock follows Atmosphere's own "{{ _atmosphere_images | combine(atmosphere_image_overrides) }}" or a map`, {
      variable: IMAGES,
    });
  }
  const base = defs.get(BASE);
  const out = base ? mapEntries(base, all) : [];
  const index = new Map(out.map((e, i) => [e.name, i]));
  const unknown: string[] = [];
  for (const e of overrideEntries) {
    const at = index.get(e.name);
    if (at !== undefined) out[at] = e;
    else {
      if (base) unknown.push(e.name);
      index.set(e.name, out.push(e) - 1);
    }
  }
  if (unknown.length > 0) warnings.push(`${OVERRIDES} names images Atmosphere does not have (kept): ${clip(unknown.join(', '), QUOTE_MAX)}`);
  return out;
}

/** A bare map's entries: every top-level key of every file, later files overriding earlier ones. */
function bareEntries(files: VarsFile[]): Entry[] {
  const out = new Map<string, Entry>();
  for (const f of files) {
    for (const d of f.defs) {
      out.set(d.name, { name: d.name, raw: d.value, where: { variable: d.name, file: f.file, ...(d.line ? { line: d.line } : {}), expression: rawText(d.value) } });
    }
  }
  return [...out.values()];
}

/**
 * Reads the files and decides what to evaluate. IMPORT_INVALID for bad YAML, a file that is
 * not a map, an image variable that is not a map, or `atmosphere_images` built some other way.
 */
export function prepareAtmosphere(inputs: ImportInput[], options: AtmosphereImportOptions = {}): PreparedAtmosphere {
  const files = inputs.map((input) => ({ ...readVarsFile(input), roleVars: isRoleVars(input.file) }));
  const inventory = (options.inventoryFiles ?? []).map(readVarsFile);
  const all = [...files, ...inventory];
  const bare = !all.some((f) => f.defs.some((d) => d.name === IMAGES || d.name === BASE || d.name === OVERRIDES));
  const defs = layer(files, inventory, options.sets ?? {});
  const warnings: string[] = [];
  const entries = bare ? bareEntries(files) : imageEntries(defs, all, warnings);
  if (!bare && entries.length === 0) {
    throw importError(
      files.map((f) => f.file).join(', '),
      undefined,
      `no image here: no ${BASE} or ${IMAGES} map, and ${OVERRIDES} is empty (Atmosphere keeps its images in roles/defaults/vars/main.yml)`,
    );
  }
  const requests: EvalRequest[] = [];
  for (const e of entries) {
    if (typeof e.raw === 'string' && isTemplate(e.raw)) e.request = requests.push({ raw: e.raw, where: e.where }) - 1;
  }
  return { files, defs, requests, entries, bare, warnings };
}

/** True when `text` names an image with its tag or digest written out (`6.0.0-beta.3` does not). */
function namesImage(text: string): boolean {
  const last = text.slice(text.lastIndexOf('/') + 1);
  return /[:@]/.test(last);
}

const problemAt = (where: JinjaWhere, message: string): Problem => ({
  file: where.file,
  ...(where.line ? { line: where.line } : {}),
  variable: where.variable,
  expression: where.expression,
  message,
  kind: 'invalid',
});

/**
 * One problem per missing variable, naming the images that need it: with only the role vars
 * given, `atmosphere_image_prefix` is missing for every image, and that is one thing to supply.
 */
function grouped(problems: Problem[], names: Map<Problem, string>): Problem[] {
  const byMissing = new Map<string, Problem[]>();
  const out: Problem[] = [];
  for (const p of problems) {
    if (p.kind !== 'undefined' || !p.undefinedName) out.push(p);
    else byMissing.set(p.undefinedName, [...(byMissing.get(p.undefinedName) ?? []), p]);
  }
  for (const [missing, list] of byMissing) {
    const first = list[0]!;
    if (list.length === 1) out.push(first);
    else {
      const images = list.map((p) => names.get(p) ?? p.variable);
      out.push({ ...first, variable: missing, message: `'${missing}' is undefined (needed by ${list.length} images: ${clip(images.join(', '), QUOTE_MAX)})` });
    }
  }
  return out;
}

/** The set a prepared import gives for these outcomes (in request order), and its notes. */
export function finishAtmosphere(prepared: PreparedAtmosphere, outcomes: EvalOutcome[]): { set: ImportedSet; warnings: string[] } {
  const problems: Problem[] = [];
  const nameOf = new Map<Problem, string>();
  const keys = new KeyAllocator();
  const images: Record<string, ImageEntry> = {};
  const charts: string[] = [];
  for (const e of prepared.entries) {
    const outcome: EvalOutcome | undefined = e.request !== undefined ? outcomes[e.request] : undefined;
    if (outcome && !outcome.ok) {
      problems.push(outcome.problem);
      nameOf.set(outcome.problem, e.name);
      continue;
    }
    const text = outcome ? textOf(outcome.value) : typeof e.raw === 'string' ? e.raw : undefined;
    if (text === undefined || text.trim() === '') {
      if (prepared.bare) throw notAnImageList(e);
      problems.push(problemAt(e.where, `the value must be an image reference, not ${JSON.stringify(clip(rawText(e.raw), QUOTE_MAX))}`));
      continue;
    }
    const value = text.trim();
    if (value.startsWith('oci://')) {
      charts.push(e.name);
      continue;
    }
    if (prepared.bare && !isTemplate(rawText(e.raw)) && !namesImage(value)) throw notAnImageList(e);
    let ref: string;
    try {
      ref = formatReference(parseReference(value));
    } catch (err) {
      const why = err instanceof AirlockError ? err.message : String(err);
      problems.push(problemAt(e.where, `${JSON.stringify(clip(value, QUOTE_MAX))} is not an image reference: ${why}`));
      continue;
    }
    const expression = typeof e.raw === 'string' && isTemplate(e.raw) ? e.raw : undefined;
    images[keys.allocate(e.name)] = {
      ref,
      imported: {
        tool: 'atmosphere',
        file: provenanceFile(e.where.file),
        ...(e.where.line ? { line: e.where.line } : {}),
        name: e.name,
        ...(expression ? { expression } : {}),
      },
    };
  }
  if (problems.length > 0) {
    const list = new Problems();
    for (const p of grouped(problems, nameOf)) list.add(p);
    list.throwIfAny('Atmosphere');
  }
  const notes = charts.length > 0 ? [`left out ${charts.length} Helm chart${charts.length === 1 ? '' : 's'} (oci://), not container images: ${clip(charts.join(', '), QUOTE_MAX)}`] : [];
  const set: ImportedSet = {
    version: 1,
    parameters: {},
    images: Object.fromEntries(Object.keys(images).sort().map((k) => [k, images[k]!])),
    rules: [],
    credentials: {},
    ...(notes.length > 0 ? { notes } : {}),
  };
  return { set, warnings: [...prepared.warnings, ...notes] };
}

/** IMPORT_INVALID: a bare map whose value is not an image (a vars file that is not an image list). */
function notAnImageList(e: Entry): AirlockError {
  return importError(
    e.where.file,
    e.where.line,
    `${e.name}: ${JSON.stringify(clip(rawText(e.raw), QUOTE_MAX))} is not an image reference with a tag or digest; ` +
      `a file without ${IMAGES}, ${BASE} or ${OVERRIDES} must map image names to references (is this Atmosphere's image list?)`,
    { key: e.name },
  );
}

/**
 * Imports Atmosphere's variables with the built-in evaluator (see the module comment). Every
 * value that cannot be evaluated or is not a reference is reported in one IMPORT_INVALID;
 * a variable missing for many images is one problem. Warnings go to `notes.warn`. `options`
 * is typed with the import registry's options too, so index.ts lists this importer with the
 * others; only the Atmosphere fields are read.
 */
export function importAtmosphere(inputs: ImportInput[], notes: ImportNotes = NO_NOTES, options: AtmosphereImportOptions & ImportOptions = {}): ImportedSet {
  const prepared = prepareAtmosphere(inputs, options);
  const { set, warnings } = finishAtmosphere(prepared, evaluateBuiltin(prepared.defs, prepared.requests, options.limits));
  for (const w of warnings) notes.warn(w);
  return set;
}
