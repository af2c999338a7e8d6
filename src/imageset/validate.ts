import { ImageSetFileSchema, type ImageSetFile } from './schema.js';
import { formatPath, invalidImageSet, issuesToProblems, sortProblems, type ImageSetProblem, type Locate } from './problems.js';
import { dirname, resolve } from 'node:path';
import type { ImageEntry, ImageSet, ImportedFrom, ModifyStep, ParamValue, Rule } from './types.js';

type RawParams = NonNullable<ImageSetFile['parameters']>;

// Numbers normally arrive here already as their written text (see load.ts); String() covers plain objects.
function params(raw: RawParams | undefined): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  for (const [k, v] of Object.entries(raw ?? {})) out[k] = v === null ? '' : typeof v === 'number' ? String(v) : v;
  return out;
}

function rule(raw: NonNullable<ImageSetFile['rules']>[number], file: string): Rule {
  const r: Rule = {};
  if (raw.name !== undefined) r.name = raw.name;
  if (raw.selects !== undefined) r.selects = raw.selects;
  if (raw.set !== undefined) r.set = params(raw.set);
  if (raw.tag_from_label !== undefined) r.tag_from_label = raw.tag_from_label;
  if (raw.tag_from_label_fallback !== undefined) r.tag_from_label_fallback = raw.tag_from_label_fallback;
  if (raw.tag_from_label_unless_set_tag !== undefined) r.tag_from_label_unless_set_tag = raw.tag_from_label_unless_set_tag;
  if (raw.match !== undefined) r.match = raw.match;
  if (raw.includes !== undefined) r.includes = raw.includes;
  if (raw.excludes !== undefined) r.excludes = raw.excludes;
  if (raw.push_destination !== undefined) r.push_destination = raw.push_destination;
  if (raw.platforms !== undefined) r.platforms = raw.platforms;
  if (raw.verify !== undefined) r.verify = { key: resolve(dirname(file), raw.verify.key) };
  if (raw.modify !== undefined) {
    r.modify = {
      steps: raw.modify.steps.map((s) => {
        const [kind, value] = Object.entries(s)[0]! as [ModifyStep['kind'], string];
        return { kind, value };
      }),
      ...(raw.modify.tag_suffix !== undefined ? { tag_suffix: raw.modify.tag_suffix } : {}),
      ...(raw.modify.only_with_labels !== undefined ? { only_with_labels: [...raw.modify.only_with_labels] } : {}),
      ...(raw.modify.only_images !== undefined ? { only_images: [...raw.modify.only_images] } : {}),
      dir: dirname(file),
    };
  }
  return r;
}

/** The fields in their documented order, absent ones left out (so an import round-trips byte for byte). */
function importedFrom(raw: NonNullable<Exclude<ImageSetFile['images'][string], string>['imported']>): ImportedFrom {
  const out: ImportedFrom = { tool: raw.tool, file: raw.file };
  if (raw.line !== undefined) out.line = raw.line;
  if (raw.name !== undefined) out.name = raw.name;
  if (raw.expression !== undefined) out.expression = raw.expression;
  if (raw.parameters !== undefined) out.parameters = [...raw.parameters];
  return out;
}

function entry(raw: ImageSetFile['images'][string]): ImageEntry {
  if (typeof raw === 'string') return { ref: raw };
  const e: ImageEntry = { ref: raw.ref };
  if (raw.enabled_by !== undefined) e.enabled_by = raw.enabled_by;
  if (raw.platforms !== undefined) e.platforms = raw.platforms;
  if (raw.label_platform !== undefined) e.label_platform = raw.label_platform;
  if (raw.imported !== undefined) e.imported = importedFrom(raw.imported);
  return e;
}

/** Checks the schema cannot express: every `enabled_by` names a parameter the file defines, every `modify.only_images` key an image. */
function crossChecks(file: ImageSetFile, locate?: Locate): ImageSetProblem[] {
  const defined = new Set([
    ...Object.keys(file.parameters ?? {}),
    ...(file.rules ?? []).flatMap((r) => Object.keys(r.set ?? {})),
  ]);
  const problems: ImageSetProblem[] = [];
  for (const [key, raw] of Object.entries(file.images)) {
    if (typeof raw === 'string' || raw.enabled_by === undefined || defined.has(raw.enabled_by)) continue;
    const path = ['images', key, 'enabled_by'];
    const at = locate?.(path);
    problems.push({
      path: formatPath(path),
      ...(at ? { line: at.line, col: at.col } : {}),
      message: `parameter "${raw.enabled_by}" is not set in parameters or by any rule`,
    });
  }
  (file.rules ?? []).forEach((r, i) => {
    (r.modify?.only_images ?? []).forEach((key, j) => {
      if (Object.hasOwn(file.images, key)) return;
      const path = ['rules', i, 'modify', 'only_images', j];
      const at = locate?.(path);
      problems.push({ path: formatPath(path), ...(at ? { line: at.line, col: at.col } : {}), message: `"${key}" is not an image of this set` });
    });
  });
  return problems;
}

/**
 * Validates an already parsed image set (plain data) and normalises it: `KEY: "ref"` becomes
 * `{ref}`, missing parameters/rules/credentials become empty, numbers and empty values in
 * parameters become strings. Every problem is reported at once as IMAGESET_INVALID;
 * `locate` adds line numbers to them.
 */
export function validateImageSet(value: unknown, file = 'images.yaml', locate?: Locate): ImageSet {
  const parsed = ImageSetFileSchema.safeParse(value);
  if (!parsed.success) throw invalidImageSet(file, issuesToProblems(parsed.error.issues, value, locate));
  const raw = parsed.data;
  const more = crossChecks(raw, locate);
  if (more.length > 0) throw invalidImageSet(file, sortProblems(more));

  const images: Record<string, ImageEntry> = {};
  for (const key of Object.keys(raw.images).sort()) images[key] = entry(raw.images[key]!);
  return {
    version: 1,
    parameters: params(raw.parameters),
    images,
    rules: (raw.rules ?? []).map((r) => rule(r, file)),
    ...(raw.verify ? { verify: { key: resolve(dirname(file), raw.verify.key) } } : {}),
    credentials: { ...(raw.credentials ?? {}) },
    file,
  };
}
