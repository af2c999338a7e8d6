import { rename, rm, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { AirlockError, ErrorCodes } from '../errors.js';
import { importFormatOf, importImageSet, readImportInputs, stringifyImageSet, type ImportedImageSet, type ImportInput, type ImportNotes } from '../imageset/importers/index.js';
import { ANSIBLE_MODES, runKubesprayImport } from '../imageset/importers/kubespray-run.js';
import { interruptSignal } from './interrupt.js';

/** Flags of `airlock import`. */
export interface ImportFlags {
  output?: string;
  /** tripleo: TripleO's image list. */
  images?: string;
  /** tripleo: the registry `push_destination: true` stands for. */
  pushDestination?: string;
  /** kubespray: the operator's inventory. */
  inventory?: string;
  /** kubespray: `NAME=VALUE` variables over everything. */
  set?: string[];
  /** kubespray: auto | always | never. */
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

/** The kubespray import: evaluated with Ansible or the built-in evaluator (said on stderr), warnings on stderr. */
async function importKubesprayRun(inputs: ImportInput[], flags: ImportFlags): Promise<ImportedImageSet> {
  const ansible = ANSIBLE_MODES.find((m) => m === (flags.ansible ?? 'auto'));
  if (!ansible) throw new AirlockError(ErrorCodes.USAGE, `--ansible takes ${ANSIBLE_MODES.join(', ')}, got "${flags.ansible}"`);
  const { set, warnings, evaluator } = await runKubesprayImport(inputs, {
    ansible,
    sets: variablesOf(flags.set ?? []),
    ...(flags.inventory !== undefined ? { inventory: flags.inventory } : {}),
    ...(flags.asDeployed ? { asDeployed: true } : {}),
    signal: interruptSignal(),
  });
  process.stderr.write(
    evaluator.kind === 'ansible'
      ? `airlock: evaluated Kubespray's variables with Ansible (${evaluator.path})\n`
      : `airlock: evaluated Kubespray's variables with the built-in evaluator (${evaluator.why})\n`,
  );
  for (const w of warnings) STDERR_NOTES.warn(w);
  if (Object.keys(set.images).length === 0) {
    throw new AirlockError(ErrorCodes.IMPORT_INVALID, `${inputs.map((i) => i.file).join(', ')}: no images found for format kubespray`, { format: 'kubespray' });
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
  if (format !== 'tripleo' && (flags.images !== undefined || flags.pushDestination !== undefined)) {
    throw new AirlockError(ErrorCodes.USAGE, '--images and --push-destination are options of import tripleo only', { format });
  }
  const kubesprayOnly = flags.inventory !== undefined || (flags.set ?? []).length > 0 || (flags.ansible ?? 'auto') !== 'auto' || flags.asDeployed;
  if (format !== 'kubespray' && kubesprayOnly) {
    throw new AirlockError(ErrorCodes.USAGE, '--inventory, --set, --ansible and --as-deployed are options of import kubespray only', { format });
  }
  const images = flags.images !== undefined ? (await readImportInputs([flags.images]))[0] : undefined;
  const options = { ...(images ? { images } : {}), ...(flags.pushDestination !== undefined ? { pushDestination: flags.pushDestination } : {}) };
  const inputs = await readImportInputs(files);
  const set = format === 'kubespray' ? await importKubesprayRun(inputs, flags) : importImageSet(format, inputs, options, STDERR_NOTES);
  const sources = [...files, ...(flags.images !== undefined ? [flags.images] : [])];
  // Notes (what the import changed or could not carry over) stay with the file, as its header.
  const notes = set.notes && set.notes.length > 0 ? ['', ...set.notes] : [];
  const header = [`Imported by \`airlock import ${format}\` from ${sources.map((f) => basename(f)).join(', ')}`, ...notes].join('\n');
  const text = stringifyImageSet(set, header);
  if (!flags.output) {
    process.stdout.write(text);
    return;
  }
  await writeAtomic(flags.output, text);
  process.stdout.write(`${flags.output}: ${Object.keys(set.images).length} images\n`);
}
