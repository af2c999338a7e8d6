/**
 * The zod schema of `images.yaml` as written on disk (before normalisation). It is the single
 * source of truth: the loader validates with it and `npm run schema` turns it into the JSON
 * Schema editors use, so both always agree.
 */
// The small build of zod (the same checks, a fraction of the code to load at start-up).
import * as z from 'zod/mini';
import '../zod-messages.js';
import { compileRulePattern } from './rule-regex.js';

/** Image keys double as Kubespray/Ansible variable prefixes and TripleO parameter names. */
export const IMAGE_KEY_RE = /^[a-z0-9_]+$/;
/** Template parameter names (`{name_prefix}`). */
export const PARAM_NAME_RE = /^[A-Za-z0-9_]+$/;
/** `os/arch[/variant]`, as `parsePlatform` accepts it. */
export const PLATFORM_RE = /^[A-Za-z0-9._-]+\/[A-Za-z0-9._-]+(?:\/[A-Za-z0-9._-]+)?$/;
/** `host[:port]`: a DNS name (with a dot, a port or `localhost`, so it cannot be a Docker Hub namespace) or `[v6]`. */
const HOST = String.raw`(?:(?=[^/]*[.:]|localhost(?:[:/]|$))[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:]+\])(?::[0-9]+)?`;
/** A registry host as credentials are keyed. */
export const REGISTRY_HOST_RE = new RegExp(`^${HOST}$`);
/** `host[:port][/prefix]`, the prefix made of lower-case repository path components. */
export const PUSH_DESTINATION_RE = new RegExp(`^${HOST}(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$`);
/** Braces pair up and every `{placeholder}` is a parameter name. */
const REF_TEMPLATE_RE = /^(?:[^{}]|\{[A-Za-z0-9_]+\})+$/;
/** A label name, or a template of `{label}` placeholders (label names may hold dots and dashes). */
export const LABEL_TEMPLATE_RE = /^(?:[^{}\s]|\{[^{}\s]+\})+$/;

const PLATFORM_ERROR = 'a platform is os/arch[/variant], e.g. linux/arm64';

const ParamValueSchema = z
  .union([z.string(), z.number(), z.boolean(), z.null()])
  .check(z.describe('A template parameter; numbers are kept as written, an empty value is "", false switches images off'));

const ParamsSchema = z.record(
  z.string().check(z.regex(PARAM_NAME_RE, { error: 'parameter names are letters, digits and _' })),
  ParamValueSchema,
);

const PlatformsSchema = z
  .array(z.string().check(z.regex(PLATFORM_RE, { error: PLATFORM_ERROR })))
  .check(z.describe('Platforms to keep when mirroring (default: all)'));

const RefTemplateSchema = z
  .string()
  .check(z.regex(REF_TEMPLATE_RE, { error: 'a reference template has {name} placeholders with matching braces' }));

/** A string matching `re` (else `error`), described for the JSON Schema. */
const matching = (re: RegExp, error: string, description: string) => z.string().check(z.regex(re, { error }), z.describe(description));
/** A non-empty string. */
const nonEmpty = () => z.string().check(z.minLength(1));

/** Where an importer found an image (see ImportedFrom). */
export const ImportedFromSchema = z
  .strictObject({
    tool: nonEmpty().check(z.describe('The deployment tool whose files named the image: kubespray, atmosphere, tripleo, kubernetes')),
    file: nonEmpty(),
    line: z.optional(z.int().check(z.minimum(1))),
    name: z.optional(nonEmpty().check(z.describe("The image's name in that tool (a Kubespray download, an Atmosphere key, a TripleO image)"))),
    expression: z.optional(
      nonEmpty().check(z.describe('The reference as the tool builds it, with its variables as {{ name }} placeholders; renderers solve it')),
    ),
    parameters: z.optional(z.array(nonEmpty()).check(z.describe('Every parameter that carries the image (TripleO Heat parameters)'))),
  })
  .check(z.describe('Where airlock import found the image; renderers write back to the same variables'));

/** One image in its long form. */
export const ImageEntrySchema = z
  .strictObject({
    ref: RefTemplateSchema.check(z.describe('A reference template ("{namespace}/{name_prefix}nova-api{name_suffix}:{tag}") or a plain reference')),
    enabled_by: z.optional(
      matching(PARAM_NAME_RE, 'enabled_by names a parameter (letters, digits and _)', 'A parameter that switches this image off when false (TripleO: ceph_images)'),
    ),
    platforms: z.optional(PlatformsSchema),
    label_platform: z.optional(
      matching(PLATFORM_RE, PLATFORM_ERROR, 'Platform whose config labels tag_from_label reads for a multi-arch image (default linux/amd64)'),
    ),
    imported: z.optional(ImportedFromSchema),
  })
  .check(z.describe('One image'));

/** The problems of a rule the schema's shapes cannot express: refused patterns, switches without tag_from_label. */
function ruleProblems(rule: {
  match?: string | undefined;
  includes?: string[] | undefined;
  excludes?: string[] | undefined;
  tag_from_label?: string | undefined;
  tag_from_label_fallback?: string | undefined;
  tag_from_label_unless_set_tag?: boolean | undefined;
}): { path: (string | number)[]; message: string }[] {
  const out: { path: (string | number)[]; message: string }[] = [];
  if (rule.match === 'regex') {
    for (const list of ['includes', 'excludes'] as const) {
      (rule[list] ?? []).forEach((pattern, i) => {
        const c = compileRulePattern(pattern);
        if (!c.ok) out.push({ path: [list, i], message: `pattern "${pattern.slice(0, 80)}": ${c.reason}` });
      });
    }
  }
  for (const key of ['tag_from_label_fallback', 'tag_from_label_unless_set_tag'] as const) {
    if (rule[key] !== undefined && rule.tag_from_label === undefined) out.push({ path: [key], message: `${key} needs tag_from_label in the same rule` });
  }
  return out;
}

/** `verify:` of an image set or a rule: the key the images must be signed with. */
const VerifySchema = z
  .strictObject({
    key: nonEmpty().check(z.describe('A PEM public key (ECDSA P-256, RSA or Ed25519, as cosign.pub), relative to this file')),
  })
  .check(z.describe("resolve pins an image only when its source carries a cosign signature (a .sig tag or a sigstore bundle referrer) made with this key; otherwise SIGNATURE_MISSING or SIGNATURE_INVALID and no lock"));

/** One layered rule. */
export const RuleSchema = z
  .strictObject({
    name: z.optional(z.string().check(z.describe('Shown in the lock to say where a value came from'))),
    set: z.optional(ParamsSchema.check(z.describe('Template parameters this rule sets'))),
    tag_from_label: z.optional(
      matching(
        LABEL_TEMPLATE_RE,
        'tag_from_label is a label name or a template like {version}-{release}',
        'A label name (rdo_version) or a template of labels ({version}-{release}) giving the tag',
      ),
    ),
    tag_from_label_fallback: z.optional(
      z
        .enum(['error', 'tag'], { error: 'tag_from_label_fallback is error or tag' })
        .check(z.describe('When a label is missing: error (LABEL_MISSING, the default) or tag (keep the tag, as TripleO does)')),
    ),
    tag_from_label_unless_set_tag: z.optional(
      z.boolean().check(z.describe("When this rule's own set gives a tag, keep it: no tag_from_label applies (later TripleO releases); default false")),
    ),
    match: z.optional(
      z
        .enum(['substring', 'regex'], { error: 'match is substring or regex' })
        .check(
          z.describe(
            'How includes/excludes match: substring (default) of the key or repository, or regex: regular expressions searched in the image name, as TripleO does',
          ),
        ),
    ),
    includes: z.optional(
      z
        .array(nonEmpty())
        .check(z.describe('The rule applies only to images matching one of these (see match); when given, excludes are ignored')),
    ),
    excludes: z.optional(z.array(nonEmpty()).check(z.describe('The rule skips images matching one of these (see match)'))),
    push_destination: z.optional(
      matching(
        PUSH_DESTINATION_RE,
        'push_destination is host[:port][/prefix], e.g. registry.local:8787 or registry.local/mirror',
        'Registry host[:port][/prefix] to copy to; the image keeps its source path under it',
      ),
    ),
    platforms: z.optional(PlatformsSchema),
    verify: z.optional(VerifySchema),
    modify: z.optional(
      z
        .strictObject({
          tag_suffix: z.optional(z.string().check(z.describe('Appended to the image\'s tag at the destination (-hotfix), as TripleO\'s modify_append_tag'))),
          only_with_labels: z.optional(
            z
              .array(nonEmpty())
              .check(
                z.minLength(1, { error: 'only_with_labels needs at least one label name' }),
                z.describe(
                  "Modify only images whose config has any of these labels (by name, whatever the value), as TripleO's modify_only_with_labels; resolve reads the labels; the others are mirrored unmodified, without the tag suffix",
                ),
              ),
          ),
          only_images: z.optional(
            z
              .array(z.string().check(z.regex(IMAGE_KEY_RE, { error: 'only_images lists image keys' })))
              .check(
                z.describe(
                  "Modify only these images (by key) of those the rule applies to; with only_with_labels too, an image either names is modified, as TripleO's modify_only_with_source / _labels. airlock import tripleo writes the images of the modify_only_with_source sources here",
                ),
              ),
          ),
          steps: z
            .array(
              z
                .strictObject({
                  append: z.optional(nonEmpty()),
                  remove: z.optional(nonEmpty()),
                  label: z.optional(nonEmpty()),
                  env: z.optional(nonEmpty()),
                  user: z.optional(nonEmpty()),
                  workdir: z.optional(nonEmpty()),
                  entrypoint: z.optional(nonEmpty()),
                  cmd: z.optional(nonEmpty()),
                  run: z.optional(nonEmpty()),
                  rpms: z.optional(nonEmpty()),
                  containerfile: z.optional(nonEmpty()),
                  update: z.optional(nonEmpty()),
                })
                .check(
                  z.refine((s) => Object.keys(s).length === 1, { error: 'a step has exactly one of append, remove, label, env, user, workdir, entrypoint, cmd, run, rpms, containerfile, update' }),
                  z.describe('One airlock modify step: append PATH[:DEST] (relative to this file), remove PATH, label K=V, env K=V, user, workdir, entrypoint, cmd, run (a command run inside the image through buildah), rpms DIR (its *.rpm installed with the image\'s package manager, relative to this file), containerfile DIR (its Containerfile or Dockerfile built over the image, relative to this file), update DIR (dnf/yum update with the *.repo files of DIR mounted at /etc/yum.repos.d, relative to this file)'),
                ),
            )
            .check(z.minLength(1, { error: 'modify needs at least one step' })),
        })
        .check(z.describe('Modify the images this rule applies to, in order, as airlock modify does; the lock records the base, the modification and the result')),
    ),
    selects: z.optional(
      z
        .boolean()
        .check(
          z.describe(
            'Select images as a TripleO ContainerImagePrepare entry does: images no selecting rule applies to are left out, and a selecting rule starts its images afresh from parameters',
          ),
        ),
    ),
  })
  .check(
    z.superRefine((rule, ctx) => {
      for (const p of ruleProblems(rule)) ctx.addIssue({ code: 'custom', message: p.message, path: p.path, input: rule });
    }),
    z.describe('A rule; later rules override earlier ones'),
  );

/** Where one registry's credentials come from; secrets themselves never appear in the file. */
export const CredentialSourceSchema = z
  .strictObject({
    username: z.optional(nonEmpty()),
    username_env: z.optional(nonEmpty().check(z.describe('Environment variable holding the user name'))),
    password_env: z.optional(nonEmpty().check(z.describe('Environment variable holding the password or token'))),
    password_file: z.optional(nonEmpty().check(z.describe('File holding the password or token (relative to the image set file)'))),
  })
  .check(
    z.superRefine((c, ctx) => {
      const users = [c.username, c.username_env].filter((v) => v !== undefined).length;
      const passwords = [c.password_env, c.password_file].filter((v) => v !== undefined).length;
      if (users !== 1) ctx.addIssue({ code: 'custom', message: 'give exactly one of username, username_env' });
      if (passwords !== 1) ctx.addIssue({ code: 'custom', message: 'give exactly one of password_env, password_file' });
    }),
  );

/** The whole file. */
export const ImageSetFileSchema = z
  .strictObject({
    version: z.optional(z.literal(1, { error: 'version must be 1' }).check(z.describe('Image set format version'))),
    parameters: z.optional(ParamsSchema.check(z.describe('Default template parameters'))),
    images: z
      .record(
        z.string().check(z.regex(IMAGE_KEY_RE, { error: 'image keys are lower-case letters, digits and _' })),
        z.union([RefTemplateSchema, ImageEntrySchema]),
      )
      .check(z.describe('Images by key: a reference (template) or { ref, enabled_by, platforms, label_platform }')),
    rules: z.optional(z.array(RuleSchema).check(z.describe('Layered rules, applied in order'))),
    verify: z.optional(VerifySchema),
    credentials: z.optional(
      z
        .record(z.string().check(z.regex(REGISTRY_HOST_RE, { error: 'credentials are keyed by registry host[:port]' })), CredentialSourceSchema)
        .check(z.describe('Per-registry credentials, read from environment variables or files')),
    ),
  })
  .check(z.describe('An airlock image set (images.yaml)'));

/** `images.yaml` as written, before normalisation. */
export type ImageSetFile = z.output<typeof ImageSetFileSchema>;
