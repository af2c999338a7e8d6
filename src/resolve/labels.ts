import { AirlockError, ErrorCodes } from '../errors.js';

const PLACEHOLDER = /\{([^{}]+)\}/g;

/** A tag discovered from labels, and the label values that made it. */
export interface LabelTag {
  tag: string;
  /** Every label the template read, with its value. */
  labels: Record<string, string>;
}

/** The label names a `tag_from_label` template reads: `rdo_version`, or each `{name}` of `{version}-{release}`. */
export function templateLabels(template: string): string[] {
  if (!template.includes('{')) return [template.trim()];
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1]!.trim());
}

/**
 * Renders a `tag_from_label` template against an image's labels: a plain label name gives
 * that label's value; otherwise every `{name}` is replaced by label `name`. A missing or
 * empty label is LABEL_MISSING naming the image key and every label that is missing.
 */
export function renderLabelTemplate(template: string, labels: Record<string, string>, key: string): LabelTag {
  const names = templateLabels(template);
  const missing = names.filter((n) => !labels[n]);
  if (missing.length > 0 || names.length === 0) {
    throw new AirlockError(
      ErrorCodes.LABEL_MISSING,
      `${key}: the image has no label ${missing.map((m) => `"${m}"`).join(', ') || '(none named)'} (tag_from_label "${template}")`,
      { key, labels: missing, template },
    );
  }
  const used: Record<string, string> = {};
  for (const n of names) used[n] = labels[n]!;
  const tag = template.includes('{') ? template.replace(PLACEHOLDER, (_, n: string) => labels[n.trim()]!) : labels[names[0]!]!;
  return { tag, labels: used };
}
