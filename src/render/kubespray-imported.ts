/**
 * Kubespray's own variables for images `airlock import kubespray` found in its `downloads:`
 * table: each image's reference expression (`{{ cilium_operator_image_repo }}-generic:{{
 * cilium_operator_image_tag }}`) is solved for its mirrored reference, so Kubespray's own
 * expression gives exactly what was mirrored (`cilium_operator_image_repo:
 * reg/m/cilium/operator`, Kubespray adds `-generic` itself). A variable several images share
 * (`kube_image_repo` for the kubeadm images, `metallb_image_tag`) is written once and must
 * get one value from all of them. The checksum variables the import recorded get the
 * digest's hex (empty when unpinned), so Kubespray pulls by digest.
 */
import { AirlockError, ErrorCodes } from '../errors.js';
import type { ImportedFrom } from '../imageset/types.js';
import { digestAlgorithm, digestHex } from '../oci/digest.js';
import { solveExpression } from './expression.js';
import type { Target } from './target.js';

/** One image to write back, with where the import found it. */
export interface ImportedTarget {
  target: Target;
  imported: ImportedFrom;
}

/** Filters that do not matter once the variable is set (`{{ x | default(None) }}` is `x` when x is given). */
const TRANSPARENT = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\|\s*(?:default|d|string|trim)\s*(?:\([^(){}]*\))?\s*)+\}\}/g;

/** True when the lock entry was imported from Kubespray's downloads (it has the expression to solve). */
export function isKubesprayImport(imported: ImportedFrom | undefined): imported is ImportedFrom & { expression: string } {
  return imported?.tool === 'kubespray' && typeof imported.expression === 'string';
}

/** `expression` with transparent filters dropped from its placeholders. */
export function solvableExpression(expression: string): string {
  return expression.replace(TRANSPARENT, (_m, name: string) => `{{ ${name} }}`);
}

function unsupported(message: string, details: Record<string, unknown>): AirlockError {
  return new AirlockError(ErrorCodes.RENDER_UNSUPPORTED, `kubespray: ${message}`, details);
}

/**
 * The variables for `images` (sorted by name). RENDER_UNSUPPORTED when an image has no tag,
 * is pinned by other than sha256, cannot come out of its expression, or when images need
 * different values for one shared variable (all such variables are named).
 */
export function importedVariables(images: ImportedTarget[]): Record<string, string> {
  const values = new Map<string, Map<string, string[]>>();
  const give = (name: string, value: string, key: string) => {
    const byValue = values.get(name) ?? new Map<string, string[]>();
    values.set(name, byValue);
    byValue.set(value, [...(byValue.get(value) ?? []), key]);
  };
  for (const { target: t, imported } of images) {
    if (!t.tag) throw unsupported(`image "${t.key}" has no tag; Kubespray's expression needs one`, { key: t.key });
    const reference = `${t.registry}/${t.repository}:${t.tag}`;
    const expression = solvableExpression(imported.expression!);
    const solved = solveExpression(expression, reference);
    if (!solved) {
      throw unsupported(`image "${t.key}": ${reference} cannot come out of Kubespray's ${JSON.stringify(imported.expression)} (download ${imported.name ?? t.key})`, {
        key: t.key,
        expression: imported.expression,
        reference,
      });
    }
    for (const [name, value] of Object.entries(solved)) give(name, value, t.key);
    for (const checksum of imported.parameters ?? []) {
      if (t.digest && digestAlgorithm(t.digest) !== 'sha256') {
        throw unsupported(`image "${t.key}" is pinned by ${t.digest}; Kubespray takes sha256 only`, { key: t.key });
      }
      give(checksum, t.digest ? digestHex(t.digest) : '', t.key);
    }
  }
  const conflicts = [...values].filter(([, byValue]) => byValue.size > 1);
  if (conflicts.length > 0) {
    const lines = conflicts.map(([name, byValue]) => `${name}: ${[...byValue].map(([v, keys]) => `${JSON.stringify(v)} (${keys.join(', ')})`).join(' vs ')}`);
    throw unsupported(`images need different values for variables Kubespray shares between them:\n  ${lines.join('\n  ')}`, {
      variables: conflicts.map(([name]) => name),
    });
  }
  const names = [...values.keys()].sort();
  return Object.fromEntries(names.map((n) => [n, [...values.get(n)!.keys()][0]!]));
}
