import { rename, rm, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { PUSH_DESTINATION_RE } from '../imageset/schema.js';
import { AirlockError, ErrorCodes } from '../errors.js';
import {
  importFormatOf,
  importImageSet,
  readImportInputs,
  stringifyImageSet,
  type ImportedImageSet,
  type ImportInput,
  type ImportNotes,
  type ImportOptions,
} from '../imageset/importers/index.js';
import { runAtmosphereImport } from '../imageset/importers/atmosphere-run.js';
import { ANSIBLE_MODES, type AnsibleMode, type EvaluatorUsed } from '../imageset/importers/evaluator-choice.js';
import { runKubesprayImport } from '../imageset/importers/kubespray-run.js';
import { blockingSection, interruptSignal } from './interrupt.js';

/** Flags of `airlock import`. */
export interface ImportFlags {
  output?: string;
  /** tripleo: TripleO's image list. */
  images?: string;
  /** tripleo: the registry `push_destination: true` stands for. */
  pushDestination?: string;
  /** kubespray, atmosphere: the operator's inventory. */
  inventory?: string;
  /** kubespray, atmosphere: `NAME=VALUE` variables over everything. */
  set?: string[];
  /** kubespray, atmosphere: auto | always | never. */
  ansible?: string;
  /** kubespray: keep the offline registry overrides as sources. */
  asDeployed?: boolean;
}

/** Importer warnings go to stderr, so stdout stays the image set. */
const STDERR_NOTES: ImportNotes = { warn: (m) => void process.stderr.write(`airlock: warning: ${m}\n`) };

/** `--set NAME=VALUE` options as variables; a malformed one is USAGE. */
function variablesOf(sets: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of sets) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(s);
    if (!m) throw new AirlockError(ErrorCodes.USAGE, `--set takes NAME=VALUE with NAME an Ansible variable name, got "${s}"`);
    out[m[1]!] = m[2]!;
  }
  return out;
}

/** `--ansible` as a mode; anything else is USAGE. */
function ansibleModeOf(flag: string | undefined): AnsibleMode {
  const mode = ANSIBLE_MODES.find((m) => m === (flag ?? 'auto'));
  if (!mode) throw new AirlockError(ErrorCodes.USAGE, `--ansible takes ${ANSIBLE_MODES.join(', ')}, got "${flag}"`);
  return mode;
}

/** Says on stderr which evaluator read the tool's variables. */
function sayEvaluator(tool: string, evaluator: EvaluatorUsed | undefined): void {
  if (!evaluator) return;
  process.stderr.write(
    evaluator.kind === 'ansible'
      ? `airlock: evaluated ${tool}'s variables with Ansible (${evaluator.path})\n`
      : `airlock: evaluated ${tool}'s variables with the built-in evaluator (${evaluator.why})\n`,
  );
}

/** The kubespray import: evaluated with Ansible or the built-in evaluator (said on stderr), warnings on stderr. */
async function importKubesprayRun(inputs: ImportInput[], flags: ImportFlags): Promise<ImportedImageSet> {
  const { set, warnings, evaluator } = await runKubesprayImport(inputs, {
    ansible: ansibleModeOf(flags.ansible),
    sets: variablesOf(flags.set ?? []),
    ...(flags.inventory !== undefined ? { inventory: flags.inventory } : {}),
    ...(flags.asDeployed ? { asDeployed: true } : {}),
    signal: interruptSignal(),
    blocking: blockingSection,
  });
  sayEvaluator('Kubespray', evaluator);
  for (const w of warnings) STDERR_NOTES.warn(w);
  return set;
}

/** The atmosphere import: the role's defaults read too (said on stderr), evaluated as Kubespray's are. */
async function importAtmosphereRun(inputs: ImportInput[], flags: ImportFlags): Promise<ImportedImageSet> {
  const { set, warnings, evaluator, alsoRead } = await runAtmosphereImport(inputs, {
    ansible: ansibleModeOf(flags.ansible),
    sets: variablesOf(flags.set ?? []),
    ...(flags.inventory !== undefined ? { inventory: flags.inventory } : {}),
    signal: interruptSignal(),
    blocking: blockingSection,
  });
  for (const f of alsoRead) process.stderr.write(`airlock: read the role's defaults too: ${f}\n`);
  sayEvaluator('Atmosphere', evaluator);
  for (const w of warnings) STDERR_NOTES.warn(w);
  return set;
}

/** The set for `format`: the Ansible-variable formats evaluate (async); the others read their files. */
async function importFor(format: string, inputs: ImportInput[], flags: ImportFlags, options: ImportOptions): Promise<ImportedImageSet> {
  const set =
    format === 'kubespray'
      ? await importKubesprayRun(inputs, flags)
      : format === 'atmosphere'
        ? await importAtmosphereRun(inputs, flags)
        : blockingSection(() => importImageSet(format, inputs, options, STDERR_NOTES));
  if (Object.keys(set.images).length === 0) {
    throw new AirlockError(ErrorCodes.IMPORT_INVALID, `${inputs.map((i) => i.file).join(', ')}: no images found for format ${format}`, { format });
  }
  return set;
}

/** Writes `text` to `file` through a temp file and a rename, so a reader never sees half of it. */
async function writeAtomic(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, text, { flag: 'wx' });
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new AirlockError(ErrorCodes.USAGE, `cannot write ${file}: ${(err as Error).message}`, { file });
  }
}

/** `airlock import FORMAT FILE... [-o FILE]`. */
export async function run(format: string, files: string[], flags: ImportFlags): Promise<void> {
  // A typo in the format is a usage error before any file is read.
  importFormatOf(format);
  if (format !== 'tripleo' && flags.images !== undefined) throw new AirlockError(ErrorCodes.USAGE, '--images is an option of import tripleo only', { format });
  if (flags.pushDestination !== undefined && !PUSH_DESTINATION_RE.test(flags.pushDestination)) {
    throw new AirlockError(ErrorCodes.USAGE, `--push-destination "${flags.pushDestination}" is not host[:port][/prefix]`);
  }
  if (format !== 'kubespray' && flags.asDeployed) throw new AirlockError(ErrorCodes.USAGE, '--as-deployed is an option of import kubespray only', { format });
  const ansibleOnly = flags.inventory !== undefined || (flags.set ?? []).length > 0 || (flags.ansible ?? 'auto') !== 'auto';
  if (format !== 'kubespray' && format !== 'atmosphere' && ansibleOnly) {
    throw new AirlockError(ErrorCodes.USAGE, '--inventory, --set and --ansible are options of import kubespray and import atmosphere only', { format });
  }
  const images = flags.images !== undefined ? (await readImportInputs([flags.images]))[0] : undefined;
  const options = { ...(images ? { images } : {}), ...(flags.pushDestination !== undefined ? { pushDestination: flags.pushDestination } : {}) };
  const inputs = await readImportInputs(files);
  const set = await importFor(format, inputs, flags, options);
  // TripleO's entries carry their own destinations; other formats get one rule for every image.
  if (format !== 'tripleo' && flags.pushDestination !== undefined) set.rules.push({ push_destination: flags.pushDestination });
  const sources = [...files, ...(flags.images !== undefined ? [flags.images] : [])];
  // Notes (what the import changed or could not carry over) stay with the file, as its header.
  const notes = set.notes && set.notes.length > 0 ? ['', ...set.notes] : [];
  const header = [`Imported by \`airlock import ${format}\` from ${sources.map((f) => basename(f)).join(', ')}`, ...notes].join('\n');
  const text = blockingSection(() => stringifyImageSet(set, header));
  if (!flags.output) {
    process.stdout.write(text);
    return;
  }
  await writeAtomic(flags.output, text);
  process.stdout.write(`${flags.output}: ${Object.keys(set.images).length} images\n`);
}
