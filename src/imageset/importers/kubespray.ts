import { isMap, isScalar } from 'yaml';
import type { ImageReference } from '../../ref/reference.js';
import type { ImageSet } from '../types.js';
import { imageSetOf, importedReference } from './build.js';
import { JinjaResolver, type Variable } from './jinja.js';
import { KeyAllocator } from './keys.js';
import { deref, importError, lineOf, parseYaml, scalarText, type ImportInput } from './source.js';

const REPO_SUFFIX = '_image_repo';
const TAG_SUFFIX = '_image_tag';
const DIGEST_SUFFIX = '_digest_checksum';

/** Reads the top-level variables of Ansible vars files; a later file overrides an earlier one. */
export function readVariables(inputs: ImportInput[]): Map<string, Variable> {
  const vars = new Map<string, Variable>();
  for (const input of inputs) {
    const [src] = parseYaml(input);
    const root = src!.doc.contents;
    if (root === null || (isScalar(root) && root.value === null)) continue;
    if (!isMap(root)) throw importError(input.file, lineOf(src!, root), 'a vars file must be a map of variable names to values');
    for (const pair of root.items) {
      const name = scalarText(pair.key);
      if (name === undefined) continue;
      const node = deref(src!, pair.value);
      const value = isScalar(node) || node === null ? (scalarText(node) ?? null) : { complex: true as const };
      vars.set(name, { name, file: input.file, line: lineOf(src!, pair.key), value });
    }
  }
  return vars;
}

/** `sha256:<hex>` from a Kubespray checksum (`<hex>` or `sha256:<hex>`); null for none. */
function digestOf(resolver: JinjaResolver, v: Variable): string | null {
  const raw = resolver.resolve(v.name)?.trim().toLowerCase() ?? '';
  if (raw === '' || raw === 'none') return null;
  const hex = raw.startsWith('sha256:') ? raw.slice(7) : raw;
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw importError(v.file, v.line, `variable ${v.name} is not a sha256 digest (64 hex digits, optionally prefixed with sha256:): "${raw}"`, {
      variable: v.name,
    });
  }
  return `sha256:${hex}`;
}

/**
 * Imports Kubespray-style vars files: each `foo_image_repo` with a `foo_image_tag` is image
 * `foo`, pinned when `foo_digest_checksum` is set. `{{ var }}` references are resolved
 * against the variables of all files (later files override earlier ones, as inventory
 * vars override role defaults). A `_image_repo` without a tag (`kube_image_repo`) is a
 * registry, not an image. Throws IMPORT_INVALID with file:line for bad YAML, Jinja it
 * cannot evaluate, an undefined variable, a bad digest or reference, or a checksum
 * without its image.
 */
export function importKubespray(inputs: ImportInput[]): ImageSet {
  const vars = readVariables(inputs);
  const resolver = new JinjaResolver(vars);
  const images = new Map<string, ImageReference>();
  const keys = new KeyAllocator();
  for (const v of vars.values()) {
    if (v.name.endsWith(DIGEST_SUFFIX) && !vars.has(`${v.name.slice(0, -DIGEST_SUFFIX.length)}${REPO_SUFFIX}`)) {
      throw importError(v.file, v.line, `variable ${v.name} gives a digest for an image that has no ${v.name.slice(0, -DIGEST_SUFFIX.length)}${REPO_SUFFIX}`, {
        variable: v.name,
      });
    }
    if (!v.name.endsWith(REPO_SUFFIX)) continue;
    const base = v.name.slice(0, -REPO_SUFFIX.length);
    const tagVar = vars.get(`${base}${TAG_SUFFIX}`);
    if (!tagVar) continue;
    const repo = resolver.resolve(v.name)?.trim();
    const tag = resolver.resolve(tagVar.name)?.trim();
    if (!repo) throw importError(v.file, v.line, `variable ${v.name} is empty`, { variable: v.name });
    if (!tag) throw importError(tagVar.file, tagVar.line, `variable ${tagVar.name} is empty`, { variable: tagVar.name });
    const digestVar = vars.get(`${base}${DIGEST_SUFFIX}`);
    const digest = digestVar ? digestOf(resolver, digestVar) : null;
    const text = `${repo}:${tag}${digest ? `@${digest}` : ''}`;
    images.set(keys.allocate(base), importedReference(text, v.file, v.line, `${v.name}/${tagVar.name} give an invalid reference "${text}"`));
  }
  return imageSetOf(images);
}
