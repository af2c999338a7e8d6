import { isMap, isSeq } from 'yaml';
import { formatReference, repositoryName, type ImageReference } from '../../ref/reference.js';
import type { ImageSet } from '../types.js';
import { imageSetOf, importedReference } from './build.js';
import { KeyAllocator } from './keys.js';
import { child, deref, importError, lineOf, parseYaml, scalarText, type ImportInput, type YamlSource } from './source.js';

/** Where each workload kind keeps its pod spec. */
const POD_SPEC_PATHS: Readonly<Record<string, readonly string[]>> = {
  Pod: ['spec'],
  PodTemplate: ['template', 'spec'],
  Deployment: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  ReplicationController: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};
const CONTAINER_LISTS = ['initContainers', 'containers', 'ephemeralContainers'];

/** Every container image of one object (a List's items included), in document order. */
function collect(src: YamlSource, node: unknown, out: ImageReference[]): void {
  const kind = scalarText(child(src, node, 'kind'));
  if (kind === undefined) return;
  const items = child(src, node, 'items');
  if (kind.endsWith('List') && isSeq(items)) {
    for (const item of items.items) collect(src, deref(src, item), out);
    return;
  }
  const path = POD_SPEC_PATHS[kind];
  if (!path) return;
  const podSpec = path.reduce<unknown>((n, key) => child(src, n, key), node);
  for (const list of CONTAINER_LISTS) {
    const containers = child(src, podSpec, list);
    if (!isSeq(containers)) continue;
    for (const c of containers.items) {
      const container = deref(src, c);
      const name = scalarText(child(src, container, 'name')) ?? '?';
      const image = child(src, container, 'image');
      const text = scalarText(image);
      const line = lineOf(src, image) ?? lineOf(src, container);
      if (!isMap(container) || text === undefined || text.trim() === '') {
        throw importError(src.file, line, `${kind} container ${name} has no image`, { kind, container: name });
      }
      out.push(importedReference(text, src.file, line, `${kind} container ${name}`));
    }
  }
}

/** The key suffix telling apart images of one repository: the tag, or the digest's start. */
function variantOf(ref: ImageReference): string {
  return ref.tag ?? ref.digest!.slice('sha256:'.length, 'sha256:'.length + 12);
}

/**
 * Imports Kubernetes YAML (multi-document `helm template` output, `kubectl get ... -o yaml`
 * Lists): every image of containers, initContainers and ephemeralContainers in the pod
 * specs of Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets, ReplicationControllers,
 * Jobs, CronJobs and PodTemplates. Status fields and other kinds are ignored; identical
 * references (after normalisation) are kept once. The key is the repository's last path
 * component, plus the tag when one repository appears with several tags; keys are
 * assigned in reference order, so document order does not matter. Throws IMPORT_INVALID
 * with file:line for bad YAML, a container without an image, or a malformed reference.
 */
export function importKubernetes(inputs: ImportInput[]): ImageSet {
  const found: ImageReference[] = [];
  for (const input of inputs) {
    for (const src of parseYaml(input, true)) collect(src, src.doc.contents, found);
  }
  const unique = new Map(found.map((ref) => [formatReference(ref), ref]));
  const perRepo = new Map<string, number>();
  for (const ref of unique.values()) perRepo.set(repositoryName(ref), (perRepo.get(repositoryName(ref)) ?? 0) + 1);
  const keys = new KeyAllocator();
  const images = new Map<string, ImageReference>();
  for (const text of [...unique.keys()].sort()) {
    const ref = unique.get(text)!;
    const last = ref.repository.slice(ref.repository.lastIndexOf('/') + 1);
    const name = perRepo.get(repositoryName(ref))! > 1 ? `${last}_${variantOf(ref)}` : last;
    images.set(keys.allocate(name), ref);
  }
  return imageSetOf(images);
}
