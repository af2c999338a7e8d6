import { AirlockError, ErrorCodes } from '../errors.js';
import { parseRegistryNamespace } from '../transport/registry/transport.js';
import { parsePlatform, type Platform } from '../oci/platform.js';
import { parseReference, type ImageReference } from '../ref/reference.js';
import { compileRulePattern, MAX_MATCHED_NAME_LENGTH } from './rule-regex.js';
import { fillTemplate, renderTemplate } from './template.js';
import type { ImageEntry, ImageSet, ParamValue, PlannedImage, Rule, RuleModify, ValueOrigin, VerifyKey } from './types.js';

/** The platform whose labels `tag_from_label` reads in a multi-arch image unless the image says otherwise. */
export const DEFAULT_LABEL_PLATFORM = 'linux/amd64';

/** True for a parameter value that switches an image off: `false`, or the strings false / no / 0. */
export function isSwitchedOff(value: ParamValue | undefined): boolean {
  if (value === false) return true;
  return typeof value === 'string' && ['false', 'no', '0'].includes(value.trim().toLowerCase());
}

/** Compiled `match: regex` patterns, once per rule object (a plan runs every rule on every image). */
const compiled = new WeakMap<Rule, { includes: RegExp[]; excludes: RegExp[] }>();

function patternsOf(rule: Rule): { includes: RegExp[]; excludes: RegExp[] } {
  let c = compiled.get(rule);
  if (!c) {
    const compile = (list: string[] | undefined) =>
      (list ?? []).map((pattern) => {
        const r = compileRulePattern(pattern);
        if (!r.ok) {
          // The loader refuses these with file:line; this is for sets built in code.
          throw new AirlockError(ErrorCodes.IMAGESET_INVALID, `rule${rule.name ? ` "${rule.name}"` : ''}: pattern "${pattern.slice(0, 80)}": ${r.reason}`, {
            pattern: pattern.slice(0, 1000),
          });
        }
        return r.regex;
      });
    c = { includes: compile(rule.includes), excludes: compile(rule.excludes) };
    compiled.set(rule, c);
  }
  return c;
}

/**
 * Whether `rule` applies to an image known by `names`. With `includes`, only images matching
 * one of them (excludes are then ignored, as in TripleO); otherwise, with `excludes`, every
 * image matching none of them; with neither, every image. `match: substring` (the default):
 * a name contains the text (`names` are the key and repository); `match: regex`: the regular
 * expression is found anywhere in a name (`names` is the image name). A pattern the loader
 * would refuse throws IMAGESET_INVALID.
 */
export function ruleApplies(rule: Rule, names: readonly string[]): boolean {
  const includes = rule.includes ?? [];
  const excludes = rule.excludes ?? [];
  if (rule.match === 'regex') {
    const p = patternsOf(rule);
    const hit = (list: RegExp[]) => list.some((re) => names.some((n) => re.test(n)));
    if (includes.length > 0) return hit(p.includes);
    if (excludes.length > 0) return !hit(p.excludes);
    return true;
  }
  const hit = (list: string[]) => list.some((s) => names.some((n) => n.includes(s)));
  if (includes.length > 0) return hit(includes);
  if (excludes.length > 0) return !hit(excludes);
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

/** `template` with the parameters there are; unset ones stay as `{name}`. */
function partlyRendered(template: string, params: Record<string, ParamValue>): string {
  return fillTemplate(template, (n) => (Object.hasOwn(params, n) ? String(params[n]) : undefined));
}

/**
 * The names a rule matches an image by. Substring: the key and the repository rendered with
 * the parameters before this rule (rules do not rename what they match). Regex: the image
 * name as TripleO renders it for a ContainerImagePrepare entry, with the entry's own `set`
 * (here, the rule's) over what the image had before it.
 */
function matchNames(key: string, entry: ImageEntry, rule: Rule, before: Record<string, ParamValue>): string[] {
  if (rule.match !== 'regex') return [key, repositoryPart(partlyRendered(entry.ref, before))];
  const name = partlyRendered(entry.ref, { ...before, ...rule.set });
  if (name.length > MAX_MATCHED_NAME_LENGTH) {
    throw new AirlockError(ErrorCodes.REF_INVALID, `image "${key}": its name is longer than ${MAX_MATCHED_NAME_LENGTH} characters`, { image: key });
  }
  return [name];
}

/**
 * Whether a rule's modify may apply to the image `key`: always without `only_images`; with
 * it, when it lists the key or when `only_with_labels` is left for resolve to decide.
 */
function modifiesKey(m: RuleModify, key: string): boolean {
  return m.only_images === undefined || m.only_images.includes(key) || m.only_with_labels !== undefined;
}

/** True when a `set` value gives a tag (TripleO: `if not mapping_args.get('tag')`). */
function givesTag(rule: Rule): boolean {
  const tag = rule.set?.tag;
  return tag !== undefined && tag !== false && tag !== '';
}

function planOne(key: string, entry: ImageEntry, set: ImageSet, overrides: Record<string, ParamValue>): PlannedImage | undefined {
  let params: Record<string, ParamValue> = { ...set.parameters };
  let applied: number[] = [];
  let tagFromLabel: PlannedImage['tagFromLabel'];
  let push: ValueOrigin<string> | undefined;
  let platforms: ValueOrigin<string[]> | undefined;
  let modify: ValueOrigin<RuleModify> | undefined;
  let verify: ValueOrigin<VerifyKey> | undefined = set.verify ? { value: set.verify } : undefined;
  const selecting = set.rules.some((r) => r.selects);
  let selected = false;
  set.rules.forEach((rule, index) => {
    // A selecting rule starts from the parameters, as each ContainerImagePrepare entry
    // renders its images from the defaults and its own set only.
    const base = rule.selects ? set.parameters : params;
    if (!ruleApplies(rule, matchNames(key, entry, rule, base))) return;
    if (rule.selects) {
      selected = true;
      applied = [];
      params = { ...set.parameters };
      tagFromLabel = undefined;
      push = undefined;
      platforms = undefined;
      modify = undefined;
      verify = set.verify ? { value: set.verify } : undefined;
    }
    applied.push(index);
    if (rule.set) params = { ...params, ...rule.set };
    if (rule.tag_from_label !== undefined) {
      if (rule.tag_from_label_unless_set_tag && givesTag(rule)) {
        // The tag this rule sets is the one wanted: no label overrides it.
        tagFromLabel = undefined;
      } else {
        tagFromLabel = { value: rule.tag_from_label, rule: index };
        if (rule.tag_from_label_fallback === 'tag') tagFromLabel.fallback = 'tag';
      }
    }
    if (rule.push_destination !== undefined) push = { value: pushDestination(rule.push_destination), rule: index };
    if (rule.platforms !== undefined) platforms = { value: rule.platforms, rule: index };
    if (rule.verify !== undefined) verify = { value: rule.verify, rule: index };
    // The last applying rule with modify decides, also that an image its only_images leaves out stays as it is.
    if (rule.modify !== undefined) modify = modifiesKey(rule.modify, key) ? { value: rule.modify, rule: index } : undefined;
  });
  if (selecting && !selected) return undefined;
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
  if (modify) planned.modify = modify;
  if (verify) planned.verify = verify;
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
 * Rules with `selects` (TripleO's ContainerImagePrepare entries): when any rule selects,
 * images no selecting rule applies to are left out, and a selecting rule that applies starts
 * the image afresh from `parameters` (earlier rules' values and indices are dropped).
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
