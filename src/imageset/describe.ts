import { formatPlatform } from '../oci/platform.js';
import { formatReference } from '../ref/reference.js';
import { destinationOf } from './destination.js';
import { planImageSet } from './rules.js';
import type { ImageSet, ImportedFrom, ParamValue } from './types.js';

/** One image of a planned set, as `airlock plan` shows it: nothing asked of any registry yet. */
export interface PlanRow {
  key: string;
  /** The source reference, parameters filled in (its tag may still move with tag_from_label). */
  source: string;
  /** Where it will be copied (push_destination), if anywhere. */
  destination?: string;
  /** The rules that applied, by index and name. */
  rules: { index: number; name?: string }[];
  /** The label (template) the tag will be read from. */
  tag_from_label?: string;
  /** Platforms kept when mirroring. */
  platforms?: string[];
  /** Where an importer found it. */
  imported?: ImportedFrom;
  /**
   * The modification the image gets, from rule `rule`; with `only_with_labels`, only when
   * resolve finds one of those labels on it.
   */
  modify?: { rule?: number; steps: { kind: string; value: string }[]; tag_suffix?: string; only_with_labels?: string[] };
}

/**
 * Plans `set` (see planImageSet) and describes each image that is switched on: source,
 * destination, rules, label, platforms, where it was imported from, and its modification. Offline.
 */
export function describePlan(set: ImageSet, overrides: Record<string, ParamValue> = {}): PlanRow[] {
  return planImageSet(set, overrides).map((p) => {
    const row: PlanRow = {
      key: p.key,
      source: formatReference(p.source),
      rules: p.rules.map((index) => (set.rules[index]?.name ? { index, name: set.rules[index]!.name! } : { index })),
    };
    if (p.pushDestination) row.destination = destinationOf(p.source, p.pushDestination.value, p.key);
    if (p.tagFromLabel) row.tag_from_label = p.tagFromLabel.value;
    if (p.platforms) row.platforms = p.platforms.value.map(formatPlatform);
    if (p.imported) row.imported = p.imported;
    if (p.modify) {
      const m = p.modify.value;
      row.modify = {
        ...(p.modify.rule !== undefined ? { rule: p.modify.rule } : {}),
        steps: m.steps.map((s) => ({ kind: s.kind, value: s.value })),
        ...(m.tag_suffix !== undefined ? { tag_suffix: m.tag_suffix } : {}),
        ...(m.only_with_labels !== undefined ? { only_with_labels: [...m.only_with_labels] } : {}),
      };
    }
    return row;
  });
}

/** One line per image: `KEY  SOURCE -> DESTINATION  [rules, label, platforms, imported from]`. */
export function formatPlan(rows: PlanRow[]): string {
  const width = Math.max(0, ...rows.map((r) => r.key.length));
  return rows
    .map((r) => {
      const notes = [
        r.rules.length ? `rules ${r.rules.map((x) => (x.name ? `${x.index} (${x.name})` : String(x.index))).join(', ')}` : '',
        r.tag_from_label ? `tag from label ${r.tag_from_label}` : '',
        r.platforms ? `platforms ${r.platforms.join(',')}` : '',
        r.modify ? `modify${r.modify.rule !== undefined ? ` (rule ${r.modify.rule})` : ''}: ${r.modify.steps.map((s) => s.kind).join(', ')}${r.modify.only_with_labels ? ` if labelled ${r.modify.only_with_labels.join(' or ')}` : ''}` : '',
        r.imported ? `imported from ${r.imported.tool} ${r.imported.file}${r.imported.line ? `:${r.imported.line}` : ''}${r.imported.name ? ` (${r.imported.name})` : ''}` : '',
      ].filter(Boolean);
      return `${r.key.padEnd(width)}  ${r.source}${r.destination ? ` -> ${r.destination}` : ''}${notes.length ? `  [${notes.join('; ')}]` : ''}`;
    })
    .map((l) => `${l}\n`)
    .join('');
}
