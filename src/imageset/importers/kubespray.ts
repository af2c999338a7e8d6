/**
 * `airlock import kubespray`: Kubespray's image list from its variables.
 *
 * - Files with Kubespray's `downloads:` table (its role defaults, `download.yml`) give the
 *   list Kubespray itself pulls (see kubespray-downloads.ts), with where each image comes
 *   from (`imported`) so `airlock render --format kubespray` can write back the variables
 *   Kubespray reads.
 * - Plain vars files (`foo_image_repo`/`foo_image_tag`, no `downloads:`) give one image per
 *   pair, as before (kubespray-pairs.ts).
 *
 * Later files override earlier ones, the inventory's group_vars override the files, and
 * `--set` overrides everything; registry overrides of the offline setup are set aside (see
 * kubespray-layers.ts). This module evaluates with the built-in evaluator; kubespray-run.ts
 * chooses between it and Ansible.
 */
import { dirname } from 'node:path';
import { AirlockError, ErrorCodes } from '../../errors.js';
import type { JinjaLimits } from './jinja.js';
import { evaluateBuiltin, type EvalOutcome } from './evaluate.js';
import { readVarsFile, type VarsFile } from './vars-files.js';
import { planDownloads } from './kubespray-downloads.js';
import { provenanceFile } from './kubespray-provenance.js';
import { layerVariables, type Layers } from './kubespray-layers.js';
import { isImageVariable, planPairs } from './kubespray-pairs.js';
import type { Finished, ImportedSet, ImportPlan } from './kubespray-plan.js';
import type { ImportOptions } from './index.js';
import { importError, NO_NOTES, type ImportInput, type ImportNotes } from './source.js';

export type { ImportedSet } from './kubespray-plan.js';

/** Which list to follow: `downloads` when a file has the table (auto), or the `*_image_repo` pairs. */
export type KubesprayMode = 'auto' | 'downloads' | 'variables';

/** Options of a Kubespray import. */
export interface KubesprayImportOptions {
  /** `--set NAME=VALUE`: over every file and the inventory, as Ansible's extra vars. */
  sets?: Record<string, string>;
  /** The inventory's group_vars files (see readInventoryVars), over the files. */
  inventoryFiles?: ImportInput[];
  /** Keep the offline setup's registry overrides: sources as deployed, not upstream. */
  asDeployed?: boolean;
  mode?: KubesprayMode;
  /** Evaluation limits (tests lower them). */
  limits?: JinjaLimits;
}

/** An import read and planned, before anything is evaluated. */
export interface PreparedImport {
  files: VarsFile[];
  inventory: VarsFile[];
  layers: Layers;
  plan: ImportPlan;
  mode: 'downloads' | 'variables';
  /** What is known before evaluation: the overrides set aside (a note and a warning). */
  overrides: string[];
}

/**
 * Reads the files and decides what to evaluate. IMPORT_INVALID for bad YAML, a file that is
 * not a map, or variables none of which is an image variable (not an image list);
 * USAGE for `mode: downloads` without a `downloads:` table.
 */
export function prepareKubespray(inputs: ImportInput[], options: KubesprayImportOptions = {}): PreparedImport {
  const files = inputs.map(readVarsFile);
  const inventory = (options.inventoryFiles ?? []).map(readVarsFile);
  const lastWithDownloads = files.findLastIndex((f) => f.downloads !== undefined);
  const mode = options.mode === 'variables' || (options.mode !== 'downloads' && lastWithDownloads < 0) ? 'variables' : 'downloads';
  if (mode === 'downloads' && lastWithDownloads < 0) {
    throw new AirlockError(ErrorCodes.USAGE, 'no downloads: table in the files given (Kubespray keeps it in roles/kubespray_defaults/defaults/main/download.yml)');
  }
  const defs = files.flatMap((f) => f.defs);
  if (mode === 'variables' && defs.length > 0 && !defs.some((d) => isImageVariable(d.name))) {
    throw importError(
      files.map((f) => f.file).join(', '),
      undefined,
      'no Kubespray image variables here (no downloads: table, no *_image_repo, *_image_tag or *_digest_checksum): not an image list',
    );
  }
  // Kubespray's defaults: the file with downloads:, those before it, and those in its
  // directory (defaults/main/*.yml come in name order, main.yml after download.yml).
  const home = mode === 'downloads' ? dirname(files[lastWithDownloads]!.file) : undefined;
  const layers = layerVariables(files, inventory, {
    isDefaults: (f, i) => mode === 'downloads' && (i <= lastWithDownloads || dirname(f.file) === home),
    asDeployed: options.asDeployed === true,
    sets: options.sets ?? {},
  });
  const plan = mode === 'downloads' ? planDownloads(files[lastWithDownloads]!.downloads!, layers.defs) : planPairs(layers.defs);
  return { files, inventory, layers, plan, mode, overrides: overrideNotes(layers) };
}

/** One note (and warning) naming the overrides set aside, grouped by file. */
function overrideNotes(layers: Layers): string[] {
  if (layers.ignored.length === 0) return [];
  const byFile = new Map<string, string[]>();
  for (const d of layers.ignored) {
    const file = provenanceFile(d.file);
    byFile.set(file, [...(byFile.get(file) ?? []), `${d.name}${d.line ? `:${d.line}` : ''}`]);
  }
  const where = [...byFile].map(([file, names]) => `${file} (${names.join(', ')})`).join('; ');
  return [`image sources are taken from the Kubespray defaults, not from the registry overrides in ${where}: a mirror is not a source (--as-deployed keeps them)`];
}

/** What an import gives: the set (its notes are the file's header) and warnings for the operator. */
export interface KubesprayImport {
  set: ImportedSet;
  warnings: string[];
}

/** The set a prepared import gives for these outcomes (in request order). */
export function finishImport(prepared: PreparedImport, outcomes: EvalOutcome[]): KubesprayImport {
  const done: Finished = prepared.plan.finish(outcomes);
  const notes = [...prepared.overrides, ...done.notes];
  return { set: notes.length > 0 ? { ...done.set, notes } : done.set, warnings: [...prepared.overrides, ...done.warnings] };
}

/**
 * Imports Kubespray's variables with the built-in evaluator (see the module comment).
 * Every expression that cannot be evaluated is reported in one IMPORT_INVALID, one line
 * each (file:line, variable, expression, how to supply it). What asks the operator to act
 * (registry overrides set aside, downloads whose switch could not be evaluated) goes to
 * `notes.warn`; the set's `notes` (its file header) say what was set aside or switched off.
 * `options` is typed with the import registry's options too, so index.ts lists this importer
 * with the others; only the Kubespray fields are read.
 */
export function importKubespray(inputs: ImportInput[], notes: ImportNotes = NO_NOTES, options: KubesprayImportOptions & ImportOptions = {}): ImportedSet {
  const prepared = prepareKubespray(inputs, options);
  const { set, warnings } = finishImport(prepared, evaluateBuiltin(prepared.layers.defs, prepared.plan.requests, options.limits));
  for (const w of warnings) notes.warn(w);
  return set;
}
