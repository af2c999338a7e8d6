import { formatReference, repositoryName, type ImageReference } from '../../ref/reference.js';
import type { ImageSet } from '../types.js';
import { imageSetOf, importedReference } from './build.js';
import { KeyAllocator } from './keys.js';
import { fastYamlDocuments } from '../../yaml/fast.js';
import { dataOf, importError, lineAt, NO_NOTES, parseYaml, type ImportInput, type ImportNotes } from './source.js';

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
const CONTAINER_LISTS = ['initContainers', 'containers', 'ephemeralContainers'] as const;
/** The pod status list that reports what each container list really runs. */
const STATUS_LISTS: Record<(typeof CONTAINER_LISTS)[number], string> = {
  initContainers: 'initContainerStatuses',
  containers: 'containerStatuses',
  ephemeralContainers: 'ephemeralContainerStatuses',
};
/** Lists nested in Lists deeper than this are refused (no real output nests them). */
const MAX_LIST_DEPTH = 16;

type Data = Record<string, unknown>;
const asMap = (v: unknown): Data | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Data) : undefined);
const at = (v: unknown, path: readonly string[]): unknown => path.reduce<unknown>((n, k) => asMap(n)?.[k], v);

/** One document being read: its file, how to find a line, and where found images go. */
interface Walk {
  file: string;
  /** The line of the value at a path (undefined on the fast read, which has no positions). */
  line: (path: (string | number)[]) => number | undefined;
  out: ImageReference[];
  notes: ImportNotes;
}

/**
 * The digest a Pod's status says the container runs (`imageID: repo@sha256:...`, also
 * `docker-pullable://...`), when it names one; bare image IDs (`sha256:...` of the config)
 * are not a manifest digest and are ignored.
 */
function runningDigest(status: Data | undefined): string | undefined {
  const id = typeof status?.imageID === 'string' ? status.imageID : '';
  const m = /@(sha256:[a-f0-9]{64})$/.exec(id);
  return m?.[1];
}

/** Every container image of one object (a List's items included), in document order. */
function collect(w: Walk, obj: unknown, path: (string | number)[], depth = 0): void {
  const node = asMap(obj);
  if (!node) return;
  const kind = node.kind;
  if (typeof kind !== 'string') {
    // `kubectl get -o yaml` writes `items:` before `kind: List`: items with no kind is a cut file.
    if (Array.isArray(node.items)) {
      throw importError(w.file, w.line(path), 'a list of items without its "kind": the file looks truncated (kubectl writes kind: List after the items)');
    }
    return;
  }
  if (kind.endsWith('List') && Array.isArray(node.items)) {
    if (depth >= MAX_LIST_DEPTH) throw importError(w.file, w.line(path), `Lists nested deeper than ${MAX_LIST_DEPTH}`);
    node.items.forEach((item, i) => collect(w, item, [...path, 'items', i], depth + 1));
    return;
  }
  const specPath = POD_SPEC_PATHS[kind];
  if (!specPath) return;
  const podSpec = at(node, specPath);
  const name = typeof asMap(node.metadata)?.name === 'string' ? ` ${String(asMap(node.metadata)!.name)}` : '';
  if (!asMap(podSpec) || !CONTAINER_LISTS.some((l) => Array.isArray(asMap(podSpec)![l]))) {
    throw importError(w.file, w.line(path), `${kind}${name} has no containers: the file looks truncated or is not a rendered manifest`, { kind });
  }
  for (const list of CONTAINER_LISTS) {
    const containers = asMap(podSpec)![list];
    if (!Array.isArray(containers)) continue;
    const statuses = at(node, ['status', STATUS_LISTS[list]]);
    containers.forEach((c, i) => {
      const cpath = [...path, ...specPath, list, i];
      const container = asMap(c);
      const cname = typeof container?.name === 'string' ? container.name : '?';
      const image = container?.image;
      const line = w.line([...cpath, 'image']);
      if (!container || typeof image !== 'string' || image.trim() === '') {
        throw importError(w.file, line, `${kind} container ${cname} has no image`, { kind, container: cname });
      }
      let ref = importedReference(image, w.file, line, `${kind} container ${cname}`);
      const status = Array.isArray(statuses) ? asMap(statuses.find((s) => asMap(s)?.name === cname)) : undefined;
      const digest = runningDigest(status);
      // "Pin what the cluster runs": the digest the node resolved the tag to.
      if (digest && !ref.digest) ref = { ...ref, digest: digest as ImageReference['digest'] };
      if (!/[:@]/.test(image.slice(image.lastIndexOf('/') + 1)) && !ref.digest) {
        w.notes.warn(`${w.file}:${line ?? '?'}: ${kind} container ${cname} names ${image} without a tag: it means :latest, which moves`);
      }
      w.out.push(ref);
    });
  }
}

/**
 * Reads a plain file the fast way (no syntax tree: most of the time of a large import).
 * False when it cannot vouch for the result: aliases, a syntax error, or anything to report,
 * which the careful read then reports with its line.
 */
function readFast(input: ImportInput, out: ImageReference[]): boolean {
  const docs = fastYamlDocuments(input.text);
  if (!docs) return false;
  const found: ImageReference[] = [];
  let warned = false;
  const walk: Walk = { file: input.file, line: () => undefined, out: found, notes: { warn: () => (warned = true) } };
  try {
    for (const doc of docs) collect(walk, doc, []);
  } catch {
    return false;
  }
  if (warned) return false;
  out.push(...found);
  return true;
}

/**
 * One reference per tag where a Pod's status says what runs: `coredns:v1.11.1` named by one
 * pod and reported running as `coredns:v1.11.1@sha256:...` by another is the pinned one.
 * A tag running as two digests (nodes drifted apart) keeps both, with a warning.
 */
function pinnedWhereRunning(refs: ImageReference[], notes: ImportNotes): ImageReference[] {
  const tagged = (r: ImageReference) => `${repositoryName(r)}:${r.tag ?? ''}`;
  const digests = new Map<string, Set<string>>();
  for (const r of refs) if (r.tag && r.digest) digests.set(tagged(r), (digests.get(tagged(r)) ?? new Set()).add(r.digest));
  for (const [name, set] of digests) if (set.size > 1) notes.warn(`${name} runs as ${set.size} different digests: ${[...set].join(', ')}`);
  return refs.filter((r) => r.digest || !r.tag || !digests.has(tagged(r)));
}

/** The key suffix telling apart images of one repository: the tag, or the digest's start. */
function variantOf(ref: ImageReference): string {
  return ref.tag ?? ref.digest!.slice('sha256:'.length, 'sha256:'.length + 12);
}

/**
 * Imports Kubernetes YAML (multi-document `helm template` output, `kubectl get ... -o yaml`
 * Lists): every image of containers, initContainers and ephemeralContainers in the pod
 * specs of Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets, ReplicationControllers,
 * Jobs, CronJobs and PodTemplates. A Pod's status pins an image to the digest the node runs
 * (`imageID`). Merge keys are followed; aliases are expanded within a limit. Other kinds are
 * ignored; identical references (after normalisation) are kept once. The key is the
 * repository's last path component, plus the tag when one repository appears with several
 * tags; keys are assigned in reference order, so document order does not matter. Throws
 * IMPORT_INVALID with file:line for bad YAML, a truncated file, a container without an image,
 * or a malformed reference. An image without a tag is imported with a warning.
 */
export function importKubernetes(inputs: ImportInput[], notes: ImportNotes = NO_NOTES): ImageSet {
  const found: ImageReference[] = [];
  for (const input of inputs) {
    if (readFast(input, found)) continue;
    for (const src of parseYaml(input, true)) collect({ file: input.file, line: (p) => lineAt(src, p), out: found, notes }, dataOf(src), []);
  }
  const unique = new Map(pinnedWhereRunning(found, notes).map((ref) => [formatReference(ref), ref]));
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
