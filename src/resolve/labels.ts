import { hasCode, ErrorCodes } from '../errors.js';
import { labelTemplate, renderLabelTemplate, templatePlaceholders } from '../imageset/template.js';

/** A tag discovered from labels, and the label values that made it. */
export interface LabelTag {
  tag: string;
  /** Every label the template read, with its value (only those the image has, after a fallback). */
  labels: Record<string, string>;
  /** True when a label was missing and the fallback tag was kept. */
  fellBack?: true;
}

/**
 * Renders a `tag_from_label` value (a label name like `rdo_version`, or a template like
 * `{version}-{release}`) over an image's labels, and returns the labels it read, for the
 * lock's origin. A missing or empty label is LABEL_MISSING naming the image key and label,
 * unless `fallbackTag` is given: then that tag is returned (`fellBack`), as TripleO keeps the
 * tag it was asked for when the label is not there.
 */
export function tagFromLabels(tagFromLabel: string, labels: Record<string, string>, key: string, fallbackTag?: string): LabelTag {
  const names = templatePlaceholders(labelTemplate(tagFromLabel));
  let tag: string;
  try {
    tag = renderLabelTemplate(tagFromLabel, labels, key);
  } catch (err) {
    if (fallbackTag === undefined || !hasCode(err, ErrorCodes.LABEL_MISSING)) throw err;
    const present: Record<string, string> = {};
    for (const name of names) if (Object.hasOwn(labels, name) && labels[name] !== '') present[name] = labels[name]!;
    return { tag: fallbackTag, labels: present, fellBack: true };
  }
  const used: Record<string, string> = {};
  for (const name of names) used[name] = labels[name]!;
  return { tag, labels: used };
}
