import { labelTemplate, renderLabelTemplate, templatePlaceholders } from '../imageset/template.js';

/** A tag discovered from labels, and the label values that made it. */
export interface LabelTag {
  tag: string;
  /** Every label the template read, with its value. */
  labels: Record<string, string>;
}

/**
 * Renders a `tag_from_label` value (a label name like `rdo_version`, or a template like
 * `{version}-{release}`) over an image's labels, and returns the labels it read, for the
 * lock's origin. A missing or empty label is LABEL_MISSING naming the image key and label.
 */
export function tagFromLabels(tagFromLabel: string, labels: Record<string, string>, key: string): LabelTag {
  const tag = renderLabelTemplate(tagFromLabel, labels, key);
  const used: Record<string, string> = {};
  for (const name of templatePlaceholders(labelTemplate(tagFromLabel))) used[name] = labels[name]!;
  return { tag, labels: used };
}
