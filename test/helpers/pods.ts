/**
 * Pods in the shapes the Kubernetes API returns them, for the audit's tests and bench:
 * init, regular and ephemeral containers with their statuses, the imageID forms runtimes
 * write (containerd's `repo@sha256:`, dockershim's `docker-pullable://`, a bare image ID),
 * and pods still in ContainerCreating.
 */
import { createHash } from 'node:crypto';

/** A made-up digest, stable for `seed`. */
export const fakeDigest = (seed: string): string => `sha256:${createHash('sha256').update(seed).digest('hex')}`;

/** One container as a test writes it: its image, and what its status says (omitted: still creating). */
export interface PodContainer {
  name: string;
  image: string;
  imageID?: string;
}

/** A pod object with `containers` (and `init`/`ephemeral` ones), statuses filled from their imageIDs. */
export function podOf(namespace: string, name: string, containers: PodContainer[], more: { init?: PodContainer[]; ephemeral?: PodContainer[] } = {}): Record<string, unknown> {
  const spec = (cs: PodContainer[]) => cs.map((c) => ({ name: c.name, image: c.image, imagePullPolicy: 'IfNotPresent', resources: {}, terminationMessagePath: '/dev/termination-log' }));
  const status = (cs: PodContainer[], ready: boolean) =>
    cs.map((c) =>
      c.imageID === undefined
        ? { name: c.name, image: c.image, imageID: '', ready: false, restartCount: 0, started: false, state: { waiting: { reason: 'ContainerCreating' } } }
        : { name: c.name, image: c.image, imageID: c.imageID, containerID: `containerd://${fakeDigest(namespace + name + c.name).slice(7)}`, ready, restartCount: 0, started: ready, state: ready ? { running: { startedAt: '2026-11-30T10:00:00Z' } } : { terminated: { exitCode: 0, reason: 'Completed' } } },
    );
  const creating = containers.some((c) => c.imageID === undefined);
  return {
    metadata: { name, namespace, uid: fakeDigest(`${namespace}/${name}`).slice(7, 43), resourceVersion: '1234', creationTimestamp: '2026-11-30T09:59:00Z', labels: { app: name.split('-')[0] } },
    spec: {
      ...(more.init ? { initContainers: spec(more.init) } : {}),
      containers: spec(containers),
      ...(more.ephemeral ? { ephemeralContainers: spec(more.ephemeral).map((e) => ({ ...e, targetContainerName: containers[0]!.name })) } : {}),
      nodeName: 'node-1',
      restartPolicy: 'Always',
    },
    status: {
      phase: creating ? 'Pending' : 'Running',
      hostIP: '10.0.0.11',
      podIP: '10.244.1.7',
      ...(more.init ? { initContainerStatuses: status(more.init, false) } : {}),
      containerStatuses: status(containers, true),
      ...(more.ephemeral ? { ephemeralContainerStatuses: status(more.ephemeral, true) } : {}),
    },
  };
}
