/**
 * `ContainerImagePrepare` entries as image set rules with TripleO's semantics: each entry
 * selects images (`selects: true`), matches with regular expressions searched in the image
 * name (`match: regex`; includes, when given, make excludes irrelevant), and reads
 * `tag_from_label` keeping the tag when the label is missing (`tag_from_label_fallback: tag`).
 */
import { AirlockError, ErrorCodes } from '../../errors.js';
import { PUSH_DESTINATION_RE } from '../schema.js';
import type { ParamValue, Rule } from '../types.js';
import type { PrepareEntry, PrepareEnvironment, PrepareModify } from './tripleo-prepare.js';

/** TripleO's undercloud registry listens here (`LocalContainerRegistry` + `:8787`). */
const UNDERCLOUD_REGISTRY_PORT = 8787;

/** Where an entry's `push_destination: true` goes: the operator's `--push-destination`, else `LocalContainerRegistry:8787`. */
export interface UndercloudRegistry {
  value: string;
  why: string;
}

/**
 * The registry `push_destination: true` stands for. `--push-destination` (already checked)
 * wins; else TripleO's own rule, `LocalContainerRegistry` on port 8787; else undefined (the
 * undercloud finds its registry itself, which airlock cannot do from elsewhere).
 */
export function undercloudRegistry(env: PrepareEnvironment, option: string | undefined): UndercloudRegistry | undefined {
  if (option !== undefined) return { value: option, why: '--push-destination' };
  const local = env.localRegistry;
  if (!local) return undefined;
  const host = local.value.includes(':') && !local.value.startsWith('[') ? `[${local.value}]` : local.value;
  const value = `${host}:${UNDERCLOUD_REGISTRY_PORT}`;
  if (!PUSH_DESTINATION_RE.test(value)) return undefined;
  return { value, why: `LocalContainerRegistry (${local.file}${local.line ? `:${local.line}` : ''}) on port ${UNDERCLOUD_REGISTRY_PORT}, as TripleO does` };
}

function pushOf(entry: PrepareEntry, undercloud: UndercloudRegistry | undefined): string | undefined {
  if (entry.pushDestination !== true) return entry.pushDestination;
  if (undercloud) return undercloud.value;
  throw new AirlockError(
    ErrorCodes.USAGE,
    `${entry.file}${entry.line ? `:${entry.line}` : ''}: ContainerImagePrepare[${entry.index}] has push_destination: true, TripleO's undercloud registry ` +
      `(its ctlplane address, port ${UNDERCLOUD_REGISTRY_PORT}), which airlock cannot discover from here: ` +
      `name it with --push-destination HOST[:PORT] (e.g. --push-destination 192.168.24.1:8787), or pass an environment file that sets LocalContainerRegistry`,
    { file: entry.file, ...(entry.line ? { line: entry.line } : {}), entry: entry.index },
  );
}

/**
 * An entry's tripleo-modify-image use as the rule's `modify`, as the image set file writes
 * it: its one step, the append tag as `tag_suffix`, `modify_only_with_labels` as
 * `only_with_labels` and `modify_only_with_source` as `only_images`, the keys of the images
 * whose template entry has one of those `image_source`s (`keysBySource`).
 */
function modifyRule(m: PrepareModify, keysBySource: ReadonlyMap<string, readonly string[]>): Record<string, unknown> {
  const out: Record<string, unknown> = { tag_suffix: m.appendTag };
  if (m.onlyWithLabels) out.only_with_labels = [...m.onlyWithLabels];
  if (m.onlyWithSource) out.only_images = [...new Set(m.onlyWithSource.flatMap((s) => keysBySource.get(s) ?? []))].sort();
  out.steps = [{ [m.step.kind]: m.step.value }];
  return out;
}

/**
 * One rule per entry, in order, named `ContainerImagePrepare[i]`. `sets[i]` is what the rule
 * sets (empty for the first entry, whose `set` is the image set's parameters);
 * `keysBySource` gives the image keys of each `image_source` of the image list, for
 * `modify_only_with_source`. Throws USAGE when an entry pushes to `true` and `undercloud`
 * is undefined.
 */
export function prepareRules(
  entries: readonly PrepareEntry[],
  sets: readonly Record<string, ParamValue>[],
  undercloud: UndercloudRegistry | undefined,
  keysBySource: ReadonlyMap<string, readonly string[]> = new Map(),
): Rule[] {
  return entries.map((entry, i) => {
    const rule: Rule = { name: `ContainerImagePrepare[${entry.index}]`, selects: true, match: 'regex' };
    if (entry.includes) rule.includes = [...entry.includes];
    if (entry.excludes) rule.excludes = [...entry.excludes];
    const set = sets[i] ?? {};
    if (Object.keys(set).length > 0) rule.set = { ...set };
    if (entry.tagFromLabel !== undefined) {
      rule.tag_from_label = entry.tagFromLabel;
      rule.tag_from_label_fallback = 'tag';
    }
    const push = pushOf(entry, undercloud);
    if (push !== undefined) rule.push_destination = push;
    // As the image set file writes it (the import is validated as a file would be).
    if (entry.modify) Object.assign(rule, { modify: modifyRule(entry.modify, keysBySource) });
    return rule;
  });
}
