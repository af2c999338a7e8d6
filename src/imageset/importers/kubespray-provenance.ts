/** How an imported image records where Kubespray builds it (see ImportedFrom). */

const SIMPLE = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;
const CHECKSUM = /^\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\|\s*(?:default|d)\s*\([^()]*\)\s*)?\}\}$/;

/** Directories whose paths are the same on every machine: Kubespray's roles, an inventory's vars. */
const ANCHORS = new Set(['roles', 'group_vars', 'host_vars']);

/**
 * The file as an image set records it: from its last `roles/`, `group_vars/` or `host_vars/`
 * directory on (the same on every machine), else its name alone; never an absolute path of
 * this machine.
 */
export function provenanceFile(path: string): string {
  const parts = path.split(/[\\/]+/).filter((p) => p !== '');
  const anchor = parts.findLastIndex((p) => ANCHORS.has(p));
  return anchor >= 0 ? parts.slice(anchor).join('/') : (parts.at(-1) ?? path);
}

/**
 * A download's reference as Kubespray builds it from its own `repo` and `tag` text:
 * `{{ cilium_operator_image_repo }}-generic:{{ cilium_operator_image_tag }}`. Plain
 * placeholders are spaced one way; anything else stays as written.
 */
export function referenceExpression(repo: string, tag: string): string {
  const norm = (s: string) => s.replace(SIMPLE, (_m, name: string) => `{{ ${name} }}`);
  return `${norm(repo)}:${norm(tag)}`;
}

/** The variable a checksum field reads (`{{ calico_node_digest_checksum | default(None) }}`), if it reads one plainly. */
export function checksumVariable(text: string): string | undefined {
  return CHECKSUM.exec(text.trim())?.[1];
}
