import type { Platform } from '../oci/platform.js';
import type { ImageReference } from '../ref/reference.js';

/** A template parameter value; `false` / `true` switch images off and on. */
export type ParamValue = string | boolean;

/**
 * Where an importer found an image in a deployment tool's files, so renderers can write
 * back exactly the variables or parameters that tool reads. Carried into the lock.
 */
export interface ImportedFrom {
  /** The tool whose files named the image: `kubespray`, `atmosphere`, `tripleo`, `kubernetes`. */
  tool: string;
  file: string;
  line?: number;
  /** The image's own name there: a Kubespray download, an Atmosphere image key, a TripleO image. */
  name?: string;
  /**
   * The reference as the tool builds it, its variables as `{{ name }}` placeholders
   * (`{{ cilium_operator_image_repo }}-generic:{{ cilium_operator_image_tag }}`). A renderer
   * solves it for the values that make the tool's own expression give the mirrored reference.
   */
  expression?: string;
  /** Every parameter that carries this image (TripleO: `ContainerHAProxyImage`, `ContainerHAProxyConfigImage`). */
  parameters?: string[];
}

/** One image of an image set, as written in `images.yaml`. */
export interface ImageEntry {
  /** A reference template (`{namespace}/{name_prefix}nova-api{name_suffix}:{tag}`) or a plain reference. */
  ref: string;
  /** Name of a boolean parameter that switches this image on (TripleO's `ceph_images: false`). */
  enabled_by?: string;
  /** Platforms to keep when mirroring (default: all). */
  platforms?: string[];
  /** Platform whose config labels `tag_from_label` reads for an index (default linux/amd64). */
  label_platform?: string;
  /** Where an importer found it (written by `airlock import`). */
  imported?: ImportedFrom;
}

/** One rule; later rules override earlier ones. */
export interface Rule {
  /** Optional name, shown in the lock's `origin`. */
  name?: string;
  set?: Record<string, ParamValue>;
  /** A label name (`rdo_version`) or a template of labels (`{version}-{release}`). */
  tag_from_label?: string;
  /** The rule applies to images whose key or repository contains one of these (includes win over excludes). */
  includes?: string[];
  excludes?: string[];
  /** `host[:port][/prefix]` to copy to; the image keeps its source path under it. */
  push_destination?: string;
  platforms?: string[];
  /**
   * How `includes`/`excludes` match (default `substring`): `substring` looks for the text in
   * the image key or repository; `regex` searches regular expressions in the image name (the
   * full reference, rendered with this rule's `set`), as TripleO's `ContainerImagePrepare` does.
   * In both, when `includes` are given `excludes` are ignored.
   */
  match?: RuleMatch;
  /**
   * `tag` makes this rule's `tag_from_label` keep the image's tag when a label is missing
   * (TripleO's behaviour); default `error`: LABEL_MISSING.
   */
  tag_from_label_fallback?: LabelFallback;
  /**
   * When this rule's own `set` gives a non-empty `tag`, that tag is kept: no `tag_from_label`
   * (this rule's or an earlier one's) applies to the images it matches (later TripleO releases).
   */
  tag_from_label_unless_set_tag?: boolean;
  /**
   * The rule selects images, as a `ContainerImagePrepare` entry does: once any rule selects,
   * images no selecting rule applies to are left out, and a selecting rule that applies
   * starts the image afresh from `parameters` (what earlier rules gave it is dropped).
   */
  selects?: boolean;
  /** Modifications made to the images the rule applies to (see RuleModify). */
  modify?: RuleModify;
  /** The key the images the rule applies to must be signed with (wins over the set's). */
  verify?: VerifyKey;
}

/** `verify:`: the public key file (an absolute path, resolved against the image set's folder). */
export interface VerifyKey {
  key: string;
}

/** One modification step: an `airlock modify` flag and its value (`{kind: 'append', value: 'fix/:/opt/fix'}`). */
export interface ModifyStep {
  kind: 'append' | 'remove' | 'label' | 'env' | 'user' | 'workdir' | 'entrypoint' | 'cmd' | 'run' | 'rpms' | 'containerfile' | 'update';
  value: string;
}

/** A rule's `modify`: its steps in order, the tag suffix, and the directory input paths are relative to (the image set's). */
export interface RuleModify {
  steps: ModifyStep[];
  tag_suffix?: string;
  /**
   * Modify only images whose config has any of these labels (TripleO's modify_only_with_labels),
   * decided by resolve from the image's labels; the others are mirrored unmodified.
   */
  only_with_labels?: string[];
  /**
   * Modify only these images (keys) of those the rule applies to. With `only_with_labels`
   * too, an image either one names is modified (TripleO: modify_only_with_source or _labels).
   */
  only_images?: string[];
  dir: string;
}

/** How a rule's `includes`/`excludes` match. */
export type RuleMatch = 'substring' | 'regex';

/** What `tag_from_label` does when a label is missing: fail (LABEL_MISSING) or keep the tag. */
export type LabelFallback = 'error' | 'tag';

/** Where credentials for one registry come from; never copied into a lock. */
export interface CredentialSource {
  username?: string;
  username_env?: string;
  password_env?: string;
  password_file?: string;
}

/** The image set file (`images.yaml`) after validation. */
export interface ImageSet {
  version: 1;
  /** Default template parameters. */
  parameters: Record<string, ParamValue>;
  /** Images by key; a string is shorthand for `{ ref }`. */
  images: Record<string, ImageEntry>;
  rules: Rule[];
  /** The key every image must be signed with, unless a rule gives another. */
  verify?: VerifyKey;
  credentials: Record<string, CredentialSource>;
  /** Where it was read from, for messages. */
  file?: string;
}

/** Where a value of a planned image came from. */
export interface ValueOrigin<T> {
  value: T;
  /** Index of the rule that set it; absent for the image's own value or a default. */
  rule?: number;
}

/**
 * One image after the rules were applied, before any registry was asked: what `resolve`
 * turns into a lock entry.
 */
export interface PlannedImage {
  key: string;
  /** The reference as written (template or plain). */
  template: string;
  /** The source reference with every parameter filled in (tag still floating). */
  source: ImageReference;
  /** Final parameters after every applying rule. */
  params: Record<string, ParamValue>;
  /** Indices of the rules that applied, in order. */
  rules: number[];
  /** The label (template) the tag is read from; `fallback: 'tag'` keeps the tag when a label is missing. */
  tagFromLabel?: ValueOrigin<string> & { fallback?: LabelFallback };
  /** Destination registry `host[:port][/prefix]`, if any rule set one. */
  pushDestination?: ValueOrigin<string>;
  platforms?: ValueOrigin<Platform[]>;
  /** Modifications, from the last applying rule that has them. */
  modify?: ValueOrigin<RuleModify>;
  /** The key its signature is checked with before it is pinned: the last applying rule's, else the set's. */
  verify?: ValueOrigin<VerifyKey>;
  /** Platform whose labels are read for an index. */
  labelPlatform: Platform;
  /** Where an importer found it, passed on to the lock. */
  imported?: ImportedFrom;
}
