/**
 * `airlock import tripleo`: TripleO's `ContainerImagePrepare` (the operator's Heat
 * environment) and TripleO's image list (`tripleo_containers.yaml.j2` from tripleo-common)
 * as one image set, with TripleO's semantics kept:
 *
 * - parameters: the first entry's `set` (name_prefix/name_suffix hyphenated and
 *   neutron_driver decided as TripleO does), plus one boolean per `{% if %}` condition;
 * - images: every entry of the list, keyed by name, `enabled_by` the parameter of the
 *   condition it is under, `imported` with its line and every Heat parameter it sets;
 * - rules: one per entry (see tripleo-rules.ts), later entries' `set` as the rules' `set`;
 * - credentials: each registry's user, the password to come from an environment variable.
 *
 * What airlock does not act on (modify_*, pull_source, multi_arch, DockerRegistryMirror,
 * unknown keys) and every adjustment made is returned as `notes`, for the file's header.
 */
import { AirlockError, ErrorCodes } from '../../errors.js';
import { PUSH_DESTINATION_RE } from '../schema.js';
import type { ImageEntry, ImageSet, ParamValue } from '../types.js';
import { validateImageSet } from '../validate.js';
import { importError, NO_NOTES, type ImportInput, type ImportNotes } from './source.js';
import { conditionVariables, describeCondition, evaluateCondition } from './tripleo-condition.js';
import { credentialSources } from './tripleo-credentials.js';
import { tripleoKeys } from './tripleo-keys.js';
import { conditionSwitches, neutronDriverOf, switchValues, templateInputs, type ConditionSwitch } from './tripleo-parameters.js';
import { readPrepareEnvironment, type PrepareEnvironment } from './tripleo-prepare.js';
import { prepareRules, undercloudRegistry } from './tripleo-rules.js';
import { isImageTemplate, parseImageTemplate, type ImageTemplate } from './tripleo-template.js';

/** Where the tripleo-common package installs the image list, for the message that asks for it. */
const PACKAGED_IMAGE_LIST = '/usr/share/tripleo-common/container-images/tripleo_containers.yaml.j2';

/** What `airlock import tripleo` takes besides its files. */
export interface TripleoImportOptions {
  /** `--images`: TripleO's image list. It may also be given among the files (it is told apart by its `container_images_template:`). */
  images?: ImportInput;
  /** `--push-destination`: the registry `push_destination: true` stands for. */
  pushDestination?: string;
}

/** The image set and what the import could not carry over or changed, one line each. */
export type TripleoImport = ImageSet & { notes: string[] };

function splitInputs(inputs: ImportInput[], options: TripleoImportOptions): { template: ImportInput; environments: ImportInput[] } {
  const templates = inputs.filter((i) => isImageTemplate(i.text));
  if (options.images) templates.push(options.images);
  const environments = inputs.filter((i) => !isImageTemplate(i.text));
  if (templates.length === 0) {
    throw new AirlockError(
      ErrorCodes.USAGE,
      `tripleo: give TripleO's image list with --images tripleo_containers.yaml.j2 (the tripleo-common package installs it as ${PACKAGED_IMAGE_LIST})`,
      {},
    );
  }
  if (templates.length > 1) {
    throw new AirlockError(ErrorCodes.USAGE, `tripleo: one image list only, got ${templates.map((t) => t.file).join(', ')}`, {});
  }
  if (environments.length === 0) {
    throw new AirlockError(ErrorCodes.USAGE, 'tripleo: give the Heat environment file with ContainerImagePrepare (containers-prepare-parameter.yaml)', {});
  }
  return { template: templates[0]!, environments };
}

function checkPushOption(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  // Length first: the pattern backtracks on long input.
  const v = value.length <= 1024 ? value.replace(/\/+$/, '') : '';
  if (!PUSH_DESTINATION_RE.test(v)) {
    throw new AirlockError(ErrorCodes.USAGE, `--push-destination "${value.slice(0, 200)}" is not host[:port][/prefix], e.g. 192.168.24.1:8787`, {});
  }
  return v;
}

/** What a note is for: `warn` notes ask the operator to act, and are also printed. */
type Note = (text: string, warn?: boolean) => void;

/** Notes for what the entries hold that airlock does not act on. */
function entryNotes(env: PrepareEnvironment, note: Note): void {
  const first = env.entries[0]!;
  for (const e of env.entries) {
    const where = `ContainerImagePrepare[${e.index}] (${e.file}${e.line ? `:${e.line}` : ''})`;
    const listed = (keys: (k: string) => boolean) =>
      e.notApplied
        .filter((n) => keys(n.key))
        .map((n) => `${n.key}: ${n.text}`)
        .join(', ');
    if (e.modify) {
      const m = e.modify;
      const filters = [m.onlyWithSource && `only images whose image_source is ${m.onlyWithSource.join(' or ')} (only_images)`, m.onlyWithLabels && `only images with a label ${m.onlyWithLabels.join(' or ')} (only_with_labels, read by resolve)`].filter(Boolean);
      note(
        `${where}: modify_role tripleo-modify-image (${m.tasksFrom}) is applied as this rule's modify: ${m.step.kind} ${m.step.value}, tag suffix ${m.appendTag}` +
          `${filters.length > 0 ? `, ${filters.join(' or ')}` : ''} (airlock modify --${m.step.kind}, through buildah)`,
      );
      if (m.ignored.length > 0) note(`${where}: ignored (airlock always runs the update and pins its result): ${m.ignored.join(', ')}`, true);
    }
    const modify = listed((k) => k.startsWith('modify_'));
    if (modify) note(`${where}: not applied yet (airlock copies images unchanged and renders them without an appended tag): ${modify}`, true);
    const pull = listed((k) => k === 'pull_source');
    if (pull) note(`${where}: not applied (images are read from the registries their names give): ${pull}`, true);
    const arch = listed((k) => k === 'multi_arch');
    if (arch) note(`${where}: not applied (airlock keeps every platform of an image unless a rule's platforms say otherwise): ${arch}`, true);
    if (e.unknown.length > 0) note(`${where}: ignored, as TripleO ignores them: ${e.unknown.join(', ')}`, true);
    if (e.index > 0) {
      const inherited = Object.keys(first.set).filter((k) => !Object.hasOwn(e.set, k));
      if (inherited.length > 0) {
        note(`${where} does not set ${inherited.join(', ')}: TripleO takes them from its built-in defaults, this image set from ContainerImagePrepare[0]`);
      }
    }
  }
  if (!first.hasSet) {
    note('ContainerImagePrepare[0] has no set: TripleO uses its built-in defaults, which airlock does not have; add them under parameters', true);
  }
  if (env.dockerRegistryMirror) note(`DockerRegistryMirror ${env.dockerRegistryMirror.value}: not applied; images are read from their own registries`, true);
}

/** The image keys of each `image_source` of the list (`keys` in the list's order), for modify_only_with_source. */
function keysBySource(template: ImageTemplate, keys: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  template.entries.forEach((e, i) => {
    if (e.imageSource !== undefined) out.set(e.imageSource, [...(out.get(e.imageSource) ?? []), keys[i]!]);
  });
  return out;
}

/** The images of the list, with their keys, switches and where they came from. */
function imagesOf(template: ImageTemplate, parameters: Record<string, ParamValue>, switches: Map<string, ConditionSwitch>): Record<string, ImageEntry> {
  const keys = tripleoKeys(template.entries, parameters);
  const images: Record<string, ImageEntry> = {};
  template.entries.forEach((e, i) => {
    const image: ImageEntry = { ref: e.ref };
    if (e.condition) image.enabled_by = switches.get(describeCondition(e.condition))!.parameter;
    image.imported = { tool: 'tripleo', file: template.file, line: e.line, name: e.imagename, parameters: [...e.params] };
    images[keys[i]!] = image;
  });
  return images;
}

/**
 * Imports TripleO's `ContainerImagePrepare` with its image list (see the module doc).
 * `inputs` are Heat environment files (later ones override earlier ones' parameters) and,
 * optionally, the image list; `options.images` gives the list too. Errors: USAGE when the
 * image list or the environment is missing, for a bad `--push-destination`, or when an entry
 * has `push_destination: true` and neither `--push-destination` nor `LocalContainerRegistry`
 * names the registry; IMPORT_INVALID at file:line for anything it cannot read (see
 * readPrepareEnvironment and parseImageTemplate). No password is read into the result.
 */
export function importTripleo(inputs: ImportInput[], warnings: ImportNotes = NO_NOTES, options: TripleoImportOptions = {}): TripleoImport {
  const { template: templateInput, environments } = splitInputs(inputs, options);
  const pushOption = checkPushOption(options.pushDestination);
  const env = readPrepareEnvironment(environments);
  const template = parseImageTemplate(templateInput);
  const notes: string[] = [];
  const note: Note = (text, warn = false) => {
    notes.push(text);
    if (warn) warnings.warn(text);
  };

  const listReadsNeutron = template.entries.some((e) => e.condition && conditionVariables(e.condition).includes('neutron_driver'));
  const setsNeutron = env.entries.some((e) => Object.hasOwn(e.set, 'neutron_driver'));
  const neutron = listReadsNeutron || setsNeutron ? neutronDriverOf(env) : undefined;
  const sets = env.entries.map((e) => templateInputs(e.set, `ContainerImagePrepare[${e.index}]`, neutron, notes));
  const parameters: Record<string, ParamValue> = { ...sets[0]! };
  if (neutron && !Object.hasOwn(parameters, 'neutron_driver')) {
    parameters.neutron_driver = neutron.value;
    note(`neutron_driver: ${neutron.value} (${neutron.why})`);
  }

  const taken = new Set(sets.flatMap((s) => Object.keys(s)));
  const switches = conditionSwitches(template.entries, parameters, taken);
  for (const s of switches.values()) {
    const where = `${template.file}:${s.line}`;
    if (s.derived) {
      const value = evaluateCondition(s.condition, parameters);
      parameters[s.parameter] = value;
      note(`${s.parameter}: true when {% if ${describeCondition(s.condition)} %} (${where}) holds; ${value} with these values; set it to switch those images`);
    } else if (!Object.hasOwn(parameters, s.parameter)) {
      parameters[s.parameter] = false;
      note(`${s.parameter} (${where}) is not set in ContainerImagePrepare[0]: false, as Jinja reads an undefined variable (TripleO's built-in defaults may say otherwise)`, true);
    }
  }
  // Later entries render the list with their own set: their switches follow it.
  const ruleSets = sets.map((s, i) => (i === 0 ? {} : { ...s, ...switchValues(switches, parameters, s) }));

  const undercloud = undercloudRegistry(env, pushOption);
  const images = imagesOf(template, parameters, switches);
  const rules = prepareRules(env.entries, ruleSets, undercloud, keysBySource(template, tripleoKeys(template.entries, parameters)));
  const pushesToUndercloud = env.entries.some((e) => e.pushDestination === true);
  if (pushesToUndercloud && undercloud) note(`push_destination: true is ${undercloud.value} (${undercloud.why})`);
  if (!pushesToUndercloud && pushOption) note(`--push-destination ${pushOption} is not used: no entry has push_destination: true`, true);
  entryNotes(env, note);

  const { credentials, notes: credentialNotes } = credentialSources(env.credentials);
  for (const n of credentialNotes) note(n, true);

  const draft = { version: 1, parameters, images, rules, credentials };
  let set: ImageSet;
  try {
    set = validateImageSet(draft, 'the imported image set');
  } catch (err) {
    // Every piece was checked on the way in; a set that still does not load is reported, not written.
    const why = err instanceof AirlockError ? err.message : String(err);
    throw importError(template.file, undefined, `the import does not give a valid image set: ${why}`);
  }
  delete set.file;
  return { ...set, notes };
}
