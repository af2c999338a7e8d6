import { AirlockError, ErrorCodes } from '../errors.js';
import { parseRegistryNamespace } from '../transport/registry/transport.js';
import { parsePlatform, type Platform } from '../oci/platform.js';
import { parseReference, type ImageReference } from '../ref/reference.js';
import { fillTemplate, renderTemplate } from './template.js';
import type { ImageEntry, ImageSet, ParamValue, PlannedImage, Rule, ValueOrigin } from './types.js';

/** The platform whose labels `tag_from_label` reads in a multi-arch image unless the image says otherwise. */
export const DEFAULT_LABEL_PLATFORM = 'linux/amd64';

/** True for a parameter value that switches an image off: `false`, or the strings false / no / 0. */
export function isSwitchedOff(value: ParamValue | undefined): boolean {
  if (value === false) return true;
  return typeof value === 'string' && ['false', 'no', '0'].includes(value.trim().toLowerCase());
}

/**
 * Whether `rule` applies to an image known by `names` (its key and repository). With
 * `includes`, only images containing one of them (includes win over excludes); otherwise,
 * with `excludes`, every image containing none of them; with neither, every image.
 */
export function ruleApplies(rule: Rule, names: readonly string[]): boolean {
  const hit = (list: string[] | undefined) => (list ?? []).some((s) => names.some((n) => n.includes(s)));
  if (rule.includes && rule.includes.length > 0) return hit(rule.includes);
  if (rule.excludes && rule.excludes.length > 0) return !hit(rule.excludes);
  return true;
}

/** `registry/path` of a (possibly half-rendered) reference: tag and digest cut off. */
function repositoryPart(rendered: string): string {
  const noDigest = rendered.split('@')[0]!;
  const colon = noDigest.lastIndexOf(':');
  return colon > noDigest.lastIndexOf('/') ? noDigest.slice(0, colon) : noDigest;
}

function sourceRef(key: string, entry: ImageEntry, params: Record<string, ParamValue>): ImageReference {
  const text = renderTemplate(entry.ref, params, key);
  try {
    return parseReference(text);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new AirlockError(ErrorCodes.REF_INVALID, `image "${key}": ${why}`, { image: key, reference: text, template: entry.ref }, { cause: err });
  }
}

function pushDestination(value: string): string {
  let target;
  try {
    target = parseRegistryNamespace(value);
  } catch (err) {
    throw new AirlockError(ErrorCodes.IMAGESET_INVALID, `push_destination "${value}" is not host[:port][/prefix]`, { value }, { cause: err });
  }
  return target.repository ? `${target.root}/${target.repository}` : target.root;
}

function planOne(key: string, entry: ImageEntry, set: ImageSet, overrides: Record<string, ParamValue>): PlannedImage | undefined {
  let params: Record<string, ParamValue> = { ...set.parameters };
  const applied: number[] = [];
  let tagFromLabel: ValueOrigin<string> | undefined;
  let push: ValueOrigin<string> | undefined;
  let platforms: ValueOrigin<string[]> | undefined;
  set.rules.forEach((rule, index) => {
    // Matching sees the template filled with the parameters before this rule (unset ones
    // stay as `{name}`), as TripleO matches on image names that rules do not change.
    const names = [key, repositoryPart(fillTemplate(entry.ref, (n) => (Object.hasOwn(params, n) ? String(params[n]) : undefined)))];
    if (!ruleApplies(rule, names)) return;
    applied.push(index);
    if (rule.set) params = { ...params, ...rule.set };
    if (rule.tag_from_label !== undefined) tagFromLabel = { value: rule.tag_from_label, rule: index };
    if (rule.push_destination !== undefined) push = { value: pushDestination(rule.push_destination), rule: index };
    if (rule.platforms !== undefined) platforms = { value: rule.platforms, rule: index };
  });
  params = { ...params, ...overrides };
  if (entry.enabled_by !== undefined && isSwitchedOff(params[entry.enabled_by])) return undefined;
  // The image's own list is the most specific setting, so it wins over every rule.
  if (entry.platforms !== undefined) platforms = { value: entry.platforms };

  const planned: PlannedImage = {
    key,
    template: entry.ref,
    source: sourceRef(key, entry, params),
    params,
    rules: applied,
    labelPlatform: parsePlatform(entry.label_platform ?? DEFAULT_LABEL_PLATFORM),
  };
  if (tagFromLabel) planned.tagFromLabel = tagFromLabel;
  if (push) planned.pushDestination = push;
  if (entry.imported) planned.imported = entry.imported;
  if (platforms) {
    const value: Platform[] = platforms.value.map((p) => parsePlatform(p));
    planned.platforms = platforms.rule === undefined ? { value } : { value, rule: platforms.rule };
  }
  return planned;
}

/**
 * Applies the rules to every image, sorted by key. Parameters layer in this order: the
 * set's `parameters`, then each applying rule's `set` in rule order, then `overrides` (the
 * CLI's). `tag_from_label`, `push_destination` and `platforms` come from the last applying
 * rule (an image's own `platforms` win over rules), each with the index of that rule.
 * Images whose `enabled_by` parameter ends up switched off (see isSwitchedOff) are left out.
 * Every image is planned; when some fail, one error is thrown with the code of the first
 * (TEMPLATE_PARAM_MISSING, REF_INVALID, ...) and `details.failures` listing each image's.
 */
export function planImageSet(set: ImageSet, overrides: Record<string, ParamValue> = {}): PlannedImage[] {
  const out: PlannedImage[] = [];
  const failures: { key: string; code: string; message: string; error: AirlockError }[] = [];
  for (const key of Object.keys(set.images).sort()) {
    try {
      const planned = planOne(key, set.images[key]!, set, overrides);
      if (planned) out.push(planned);
    } catch (err) {
      if (!(err instanceof AirlockError)) throw err;
      failures.push({ key, code: err.code, message: err.message, error: err });
    }
  }
  if (failures.length === 1) throw failures[0]!.error;
  if (failures.length > 1) {
    const first = failures[0]!.error;
    throw new AirlockError(
      first.code,
      `${failures.length} images cannot be planned:\n  ${failures.map((f) => f.message).join('\n  ')}`,
      { ...first.details, failures: failures.map(({ key, code, message }) => ({ key, code, message })) },
    );
  }
  return out;
}
