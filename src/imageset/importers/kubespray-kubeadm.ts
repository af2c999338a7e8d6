/**
 * The control-plane images kubeadm pulls itself, which Kubespray's `downloads:` table does
 * not list; its generate_list.sh adds them as `{{ kube_image_repo }}/<name>:{{ kube_version }}`.
 */
import type { ImageEntry } from '../types.js';
import type { Definition, JinjaWhere } from './jinja.js';
import type { Download } from './vars-files.js';
import { Requests, type EvalOutcome } from './evaluate.js';
import { checkedReference, checkedText } from './kubespray-image.js';
import { whereOf } from './kubespray-pairs.js';
import type { Problem } from './problems.js';
import { provenanceFile } from './kubespray-provenance.js';
import { normaliseKey } from './keys.js';

/** The images generate_list.sh adds for kubeadm (its KUBE_IMAGES). */
export const KUBEADM_IMAGES = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kube-proxy'] as const;

/** Builds the kubeadm images once the requests are evaluated. */
export interface KubeadmImages {
  build(outcomes: EvalOutcome[], problem: (p: Problem) => void): { key: string; entry: ImageEntry }[];
}

/**
 * Asks for `kube_image_repo` and `kube_version`; the images are credited to the `kubeadm`
 * download (the tool that pulls them) when there is one, else to `kube_image_repo`.
 */
export function kubeadmImages(downloads: Download[], defs: ReadonlyMap<string, Definition>, requests: Requests): KubeadmImages {
  const kubeadm = downloads.find((d) => d.name === 'kubeadm');
  const fallback = kubeadm ?? downloads[0];
  const where = (name: string): JinjaWhere => {
    const d = defs.get(name);
    if (d) return whereOf(d);
    return { variable: name, file: fallback?.file ?? '', ...(fallback?.line ? { line: fallback.line } : {}), expression: `{{ ${name} }}` };
  };
  const repoAt = requests.add('{{ kube_image_repo }}', where('kube_image_repo'));
  const versionAt = requests.add('{{ kube_version }}', where('kube_version'));
  const credit = kubeadm ?? defs.get('kube_image_repo');
  return {
    build(outcomes, problem) {
      const repo = checkedText(outcomes[repoAt]!, where('kube_image_repo'));
      const version = checkedText(outcomes[versionAt]!, where('kube_version'));
      if (!repo.ok || !version.ok) {
        for (const c of [repo, version]) if (!c.ok) problem(c.problem);
        return [];
      }
      // Since Kubespray 2.27 kube_version has no leading v; kubeadm's tags always have one.
      const tagExpression = version.value.startsWith('v') ? '{{ kube_version }}' : 'v{{ kube_version }}';
      const tag = version.value.startsWith('v') ? version.value : `v${version.value}`;
      const out: { key: string; entry: ImageEntry }[] = [];
      for (const name of KUBEADM_IMAGES) {
        const ref = checkedReference(`${repo.value}/${name}`, tag, null, where('kube_image_repo'));
        if (!ref.ok) {
          problem(ref.problem);
          continue;
        }
        const line = kubeadm ? kubeadm.line : credit?.line;
        out.push({
          key: normaliseKey(name),
          entry: {
            ref: ref.value,
            imported: {
              tool: 'kubespray',
              file: provenanceFile(credit?.file ?? ''),
              ...(line ? { line } : {}),
              name,
              expression: `{{ kube_image_repo }}/${name}:${tagExpression}`,
            },
          },
        });
      }
      return out;
    },
  };
}
