import { AirlockError, ErrorCodes } from '../errors.js';
import { digestAlgorithm, digestHex } from '../oci/digest.js';
import { importedVariables, isKubesprayImport, type ImportedTarget } from './kubespray-imported.js';
import type { Renderer } from './types.js';
import { uniqueNames, varName } from './names.js';
import { targetsOf, type Target } from './target.js';
import { yamlFile } from './text.js';

/**
 * Kubespray variables. Images imported from Kubespray's `downloads:` table get the very
 * variables Kubespray builds their references from (see kubespray-imported.ts). Every other
 * image gets three per key in key order: `<key>_image_repo` (`registry/repo`, the destination
 * when present), `<key>_image_tag` and `<key>_digest_checksum` (the sha256 hex without
 * `sha256:`, as Kubespray's download role pulls `repo@sha256:<checksum>`). Tag and checksum
 * always come from the same locked image; an unpinned image gets an empty checksum so no
 * default checksum of Kubespray's is paired with our tag. Two images writing one variable
 * differently is RENDER_UNSUPPORTED.
 */
export const renderKubespray: Renderer = (lock, options) => {
  const { targets, warnings } = targetsOf(lock, options.unpinned);
  const imported: ImportedTarget[] = [];
  const plain: Target[] = [];
  for (const t of targets) {
    const from = lock.images[t.key]!.origin.imported;
    if (isKubesprayImport(from)) imported.push({ target: t, imported: from });
    else plain.push(t);
  }
  const vars = plainVariables(plain);
  for (const [name, value] of Object.entries(importedVariables(imported))) {
    if (Object.hasOwn(vars, name) && vars[name] !== value) {
      throw new AirlockError(ErrorCodes.RENDER_UNSUPPORTED, `kubespray: "${name}" is both an image of the lock's own and one of Kubespray's variables, with different values`, {
        variable: name,
      });
    }
    vars[name] = value;
  }
  return { kind: 'file', content: yamlFile('kubespray', vars), warnings };
};

/** `<key>_image_repo`, `<key>_image_tag`, `<key>_digest_checksum` for each target, in order. */
function plainVariables(targets: Target[]): Record<string, string> {
  const names = uniqueNames(targets.map((t) => t.key), varName, 'kubespray');
  const vars: Record<string, string> = {};
  for (const t of targets) {
    const name = names.get(t.key)!;
    if (!/^[A-Za-z_]/.test(name)) {
      throw new AirlockError(ErrorCodes.RENDER_UNSUPPORTED, `kubespray: "${name}_image_repo" is not an Ansible variable name`, { key: t.key });
    }
    if (!t.tag) {
      throw new AirlockError(ErrorCodes.RENDER_UNSUPPORTED, `kubespray: image "${t.key}" has no tag; Kubespray needs a tag with the digest`, { key: t.key });
    }
    if (t.digest && digestAlgorithm(t.digest) !== 'sha256') {
      throw new AirlockError(ErrorCodes.RENDER_UNSUPPORTED, `kubespray: image "${t.key}" is pinned by ${t.digest}; Kubespray takes sha256 only`, { key: t.key });
    }
    vars[`${name}_image_repo`] = `${t.registry}/${t.repository}`;
    vars[`${name}_image_tag`] = t.tag;
    vars[`${name}_digest_checksum`] = t.digest ? digestHex(t.digest) : '';
  }
  return vars;
}
