import { AirlockError, ErrorCodes } from '../errors.js';
import type { ParamValue } from './types.js';

/** `{name}`; label names may hold dots and dashes (`{org.opencontainers.image.version}`). */
const PLACEHOLDER_RE = /\{([^{}\s]+)\}/g;

/** The placeholder names of a template, in order of appearance, without repeats. */
export function templatePlaceholders(template: string): string[] {
  return [...new Set([...template.matchAll(PLACEHOLDER_RE)].map((m) => m[1]!))];
}

/** Replaces every `{name}` with `value(name)`; `undefined` leaves the placeholder as written. */
export function fillTemplate(template: string, value: (name: string) => string | undefined): string {
  return template.replace(PLACEHOLDER_RE, (whole, name: string) => value(name) ?? whole);
}

/**
 * Renders a reference template with parameters (`{namespace}/{name_prefix}nova-api:{tag}`).
 * Booleans render as `true`/`false`. A placeholder without a parameter throws
 * TEMPLATE_PARAM_MISSING with details {image, parameter, template}.
 */
export function renderTemplate(template: string, params: Record<string, ParamValue>, image: string): string {
  return fillTemplate(template, (name) => {
    // hasOwn: `{constructor}` must not find Object's own members.
    const v = Object.hasOwn(params, name) ? params[name] : undefined;
    if (v === undefined) {
      throw new AirlockError(
        ErrorCodes.TEMPLATE_PARAM_MISSING,
        `image "${image}": template "${template}" uses {${name}}, which no parameter or rule sets`,
        { image, parameter: name, template },
      );
    }
    return String(v);
  });
}

/** `tag_from_label` as a template: a bare label name (`rdo_version`) means `{rdo_version}`. */
export function labelTemplate(tagFromLabel: string): string {
  return tagFromLabel.includes('{') ? tagFromLabel : `{${tagFromLabel}}`;
}

/**
 * Renders a `tag_from_label` value (a label name or a template such as `{version}-{release}`)
 * over an image's config labels. A missing or empty label throws LABEL_MISSING with details
 * {image, label, template}: an empty label cannot make a meaningful tag.
 */
export function renderLabelTemplate(tagFromLabel: string, labels: Record<string, string>, image: string): string {
  const template = labelTemplate(tagFromLabel);
  return fillTemplate(template, (name) => {
    const v = Object.hasOwn(labels, name) ? labels[name] : undefined;
    if (v === undefined || v === '') {
      throw new AirlockError(
        ErrorCodes.LABEL_MISSING,
        `image "${image}": tag_from_label "${tagFromLabel}" needs label "${name}", which the image does not have`,
        { image, label: name, template: tagFromLabel },
      );
    }
    return v;
  });
}
