/**
 * The pods an audit looks at, as a list of containers: from `kubectl get pods -A -o json`
 * output (a file or stdin) or from the live API. Only what the audit needs is kept: each
 * container (init, ephemeral and regular) with the image it asks for and the image ID the
 * runtime reports for it.
 */
import { AirlockError, ErrorCodes } from '../errors.js';

/** Which list of the pod spec a container comes from. */
export type ContainerKind = 'container' | 'init' | 'ephemeral';

/** One container of one pod. */
export interface AuditContainer {
  namespace: string;
  pod: string;
  kind: ContainerKind;
  name: string;
  /** The image as the spec asks for it. */
  image: string;
  /** What the runtime reports it runs (`status.*ContainerStatuses[].imageID`), absent while pulling. */
  imageID?: string;
  /** The container's state when not running (`waiting: ContainerCreating`, ...). */
  waiting?: string;
}

type Json = Record<string, unknown>;
const LISTS: [ContainerKind, string, string][] = [
  ['init', 'initContainers', 'initContainerStatuses'],
  ['container', 'containers', 'containerStatuses'],
  ['ephemeral', 'ephemeralContainers', 'ephemeralContainerStatuses'],
];

function obj(v: unknown): Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {};
}

function arr(v: unknown): Json[] {
  return Array.isArray(v) ? v.map(obj) : [];
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** The containers of one pod object (the API's shape; camelCase as the API and kubectl write it). */
export function containersOf(pod: unknown): AuditContainer[] {
  const p = obj(pod);
  const meta = obj(p.metadata);
  const spec = obj(p.spec);
  const status = obj(p.status);
  const namespace = str(meta.namespace) ?? 'default';
  const name = str(meta.name) ?? '?';
  const out: AuditContainer[] = [];
  for (const [kind, specKey, statusKey] of LISTS) {
    const statuses = new Map(arr(status[statusKey]).map((s) => [str(s.name), s]));
    for (const c of arr(spec[specKey])) {
      const cname = str(c.name) ?? '?';
      const image = str(c.image);
      if (!image) continue;
      const s = statuses.get(cname);
      const imageID = str(s?.imageID);
      const waiting = str(obj(obj(s?.state).waiting).reason) ?? (s ? undefined : str(status.phase));
      out.push({ namespace, pod: name, kind, name: cname, image, ...(imageID ? { imageID } : {}), ...(waiting && !imageID ? { waiting } : {}) });
    }
  }
  return out;
}

/**
 * The containers of a pod list as JSON text (`kubectl get pods -A -o json`: a `List` or a
 * `PodList`; a single pod is taken too). AUDIT_INPUT_INVALID when it is not one.
 */
export function containersOfJson(text: string, what: string): AuditContainer[] {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new AirlockError(ErrorCodes.AUDIT_INPUT_INVALID, `${what}: not JSON (${(err as Error).message}); give kubectl get pods -A -o json output`);
  }
  const o = obj(v);
  if (o.kind === 'Pod') return containersOf(o);
  if (!Array.isArray(o.items)) throw new AirlockError(ErrorCodes.AUDIT_INPUT_INVALID, `${what}: not a pod list (no items); give kubectl get pods -A -o json output`);
  return (o.items as unknown[]).flatMap(containersOf);
}
