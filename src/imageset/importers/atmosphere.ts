import { isMap, isScalar, type YAMLMap } from 'yaml';
import type { ImageReference } from '../../ref/reference.js';
import type { ImageSet } from '../types.js';
import { imageSetOf, importedReference } from './build.js';
import { KeyAllocator } from './keys.js';
import { child, deref, importError, lineOf, parseYaml, scalarText, type ImportInput, type YamlSource } from './source.js';

/** Map keys that hold Atmosphere's manifest inside a vars file, in order of preference. */
const MANIFEST_KEYS = ['atmosphere_images', '_atmosphere_images'];

/** The map of key to reference in one file: under `atmosphere_images:` or the file itself. */
function manifestOf(src: YamlSource): YAMLMap | undefined {
  const root = src.doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) return undefined;
  for (const key of MANIFEST_KEYS) {
    const m = child(src, root, key);
    if (isMap(m)) return m;
  }
  if (!isMap(root)) throw importError(src.file, lineOf(src, root), 'an image manifest must be a map of image key to reference');
  return root;
}

/**
 * Imports Atmosphere-style image manifests: a map of image key to reference, either bare
 * or under `atmosphere_images:` (or `_atmosphere_images:`, as in Atmosphere's role vars).
 * Keys are normalised; a later file overrides an earlier one's entry for the same key.
 * Throws IMPORT_INVALID with file:line for bad YAML, a value that is not a reference
 * (Jinja included) or a malformed reference.
 */
export function importAtmosphere(inputs: ImportInput[]): ImageSet {
  const entries = new Map<string, ImageReference>();
  for (const input of inputs) {
    const [src] = parseYaml(input);
    const manifest = manifestOf(src!);
    if (!manifest) continue;
    for (const pair of manifest.items) {
      const name = scalarText(pair.key) ?? '';
      const line = lineOf(src!, pair.key);
      const value = deref(src!, pair.value);
      const ref = scalarText(value);
      if (ref === undefined || !isScalar(value) || typeof value.value !== 'string') {
        throw importError(input.file, line, `image ${name}: the value must be an image reference`, { key: name });
      }
      if (ref.includes('{{')) {
        throw importError(input.file, line, `image ${name}: Jinja in references is not supported; give the rendered reference`, { key: name });
      }
      entries.set(name, importedReference(ref, input.file, line, `image ${name}`));
    }
  }
  const keys = new KeyAllocator();
  return imageSetOf(new Map([...entries].map(([name, ref]) => [keys.allocate(name), ref])));
}
