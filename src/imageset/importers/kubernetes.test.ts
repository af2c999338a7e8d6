import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../errors.js';
import { fixture, thrown } from '../../../test/fixtures/importers/fixtures.js';
import { importKubernetes } from './kubernetes.js';

const POSTGRES_DIGEST = 'sha256:6b841c8f6a819884207402f1209a8116844365df15fca8cf556fc54a24c70800';

const refsOf = (...texts: string[]) =>
  Object.fromEntries(
    Object.entries(importKubernetes(texts.map((text, i) => ({ file: `k${i}.yaml`, text }))).images).map(([k, v]) => [k, v.ref]),
  );

/** A one-container workload document of `kind` with the pod spec at the right depth. */
function workload(kind: string, image: string): string {
  const spec = `containers:\n- name: c\n  image: ${image}\n`;
  const indent = (text: string, n: number) => text.replace(/^(?=.)/gm, ' '.repeat(n));
  switch (kind) {
    case 'Pod':
      return `kind: Pod\nspec:\n${indent(spec, 2)}`;
    case 'CronJob':
      return `kind: CronJob\nspec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n${indent(spec, 10)}`;
    case 'PodTemplate':
      return `kind: PodTemplate\ntemplate:\n  spec:\n${indent(spec, 4)}`;
    default:
      return `kind: ${kind}\nspec:\n  template:\n    spec:\n${indent(spec, 6)}`;
  }
}

describe('importKubernetes: fixtures', () => {
  it('helm template output: every workload kind, initContainers, a CronJob; other kinds ignored', () => {
    expect(importKubernetes([fixture('helm-template.yaml')])).toEqual({
      version: 1,
      parameters: {},
      images: {
        agnhost: { ref: 'registry.k8s.io/e2e-test-images/agnhost:2.45' },
        busybox_1_36: { ref: 'docker.io/library/busybox:1.36' },
        busybox_1_36_1: { ref: 'docker.io/library/busybox:1.36.1' },
        nginx: { ref: 'docker.io/library/nginx:1.25.3' },
        nginx_2: { ref: 'ghcr.io/example/nginx:2.0' },
        nginx_prometheus_exporter: { ref: 'quay.io/prometheus/nginx-prometheus-exporter:1.1.0' },
        postgres_15_5: { ref: 'docker.io/library/postgres:15.5' },
        postgres_16_1: { ref: `docker.io/library/postgres:16.1@${POSTGRES_DIGEST}` },
      },
      rules: [],
      credentials: {},
    });
  });

  it('kubectl get pods -A -o yaml: List items, ephemeralContainers, no status images; the digest a pod runs pins its tag', () => {
    expect(importKubernetes([fixture('kubectl-pods.yaml')])).toEqual({
      version: 1,
      parameters: {},
      images: {
        cni: { ref: 'quay.io/calico/cni:v3.27.3' },
        coredns: { ref: 'registry.k8s.io/coredns/coredns:v1.11.1@sha256:1eeb4c7316bacb1d4c8ead65571cd92dd21e27359f0d4917f1a5822a73b75db1' },
        kube_proxy: { ref: 'registry.k8s.io/kube-proxy:v1.29.5' },
        netshoot: { ref: 'docker.io/nicolaka/netshoot:v0.11' },
        node: { ref: 'quay.io/calico/node:v3.27.3' },
      },
      rules: [],
      credentials: {},
    });
  });

  it('upstream manifest shapes (ingress-nginx, cert-manager, Argo CD with merge keys, Calico): every image, nothing else', () => {
    expect(Object.values(importKubernetes([fixture('upstream-shapes.yaml')]).images).map((i) => i.ref).sort()).toEqual([
      'docker.io/calico/cni:v3.27.3',
      'docker.io/calico/kube-controllers:v3.27.3',
      'docker.io/calico/node:v3.27.3',
      'docker.io/library/redis:7.0.15-alpine',
      'quay.io/argoproj/argocd:v2.11.3',
      'quay.io/jetstack/cert-manager-cainjector:v1.14.5',
      'quay.io/jetstack/cert-manager-controller:v1.14.5',
      'quay.io/jetstack/cert-manager-startupapicheck:v1.14.5',
      'quay.io/jetstack/cert-manager-webhook:v1.14.5',
      'registry.k8s.io/ingress-nginx/controller:v1.10.1@sha256:e24f39d3eed6bcc239a56f20098878845f62baa34b9f2be2fd2c38ce9fb0f29e',
      'registry.k8s.io/ingress-nginx/kube-webhook-certgen:v1.4.1@sha256:36d05b4077fb8e3d13663702fa337f124675ba8667cbd949c03a8e8ea6fa4366',
    ]);
  });

  it('several files are one set, deduped across files', () => {
    const set = importKubernetes([fixture('helm-template.yaml'), fixture('kubectl-pods.yaml')]);
    expect(Object.keys(set.images)).toHaveLength(13);
  });
});

describe('importKubernetes: kinds and shapes', () => {
  it.each(['Pod', 'PodTemplate', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ReplicationController', 'Job', 'CronJob'])(
    'finds the image of a %s',
    (kind) => {
      expect(refsOf(workload(kind, 'quay.io/x/app:1'))).toEqual({ app: 'quay.io/x/app:1' });
    },
  );

  it('ignores kinds that are not workloads, even with a pod-spec shape', () => {
    const text = [workload('Deployment', 'quay.io/x/app:1'), workload('Rollout', 'quay.io/x/other:1'), 'kind: Secret\nimage: quay.io/x/s:1'].join(
      '\n---\n',
    );
    expect(refsOf(text)).toEqual({ app: 'quay.io/x/app:1' });
  });

  it('reads typed Lists (DeploymentList) and nested Lists', () => {
    const text = `kind: DeploymentList\nitems:\n- ${workload('Deployment', 'quay.io/x/a:1').replace(/\n/g, '\n  ')}\n- kind: List\n  items:\n  - ${workload(
      'Pod',
      'quay.io/x/b:1',
    ).replace(/\n/g, '\n    ')}\n`;
    expect(refsOf(text)).toEqual({ a: 'quay.io/x/a:1', b: 'quay.io/x/b:1' });
  });

  it('dedupes references that normalise to the same image', () => {
    const docs = ['nginx:1.25', 'docker.io/library/nginx:1.25', 'index.docker.io/library/nginx:1.25'].map((i) => workload('Pod', i));
    expect(refsOf(docs.join('\n---\n'))).toEqual({ nginx: 'docker.io/library/nginx:1.25' });
  });

  it('one repository with several tags or digests gets tag-derived keys; digest-only refs use the digest start', () => {
    const d = `sha256:${'0123456789ab'.padEnd(64, 'c')}`;
    const docs = ['quay.io/x/app:1.0', 'quay.io/x/app:2.0-rc.1', `quay.io/x/app@${d}`, 'quay.io/y/app:1.0'].map((i) => workload('Pod', i));
    expect(refsOf(docs.join('\n---\n'))).toEqual({
      app_0123456789ab: `quay.io/x/app@${d}`,
      app_1_0: 'quay.io/x/app:1.0',
      app_2_0_rc_1: 'quay.io/x/app:2.0-rc.1',
      app: 'quay.io/y/app:1.0',
    });
  });

  it('keys do not depend on document order', () => {
    const docs = ['quay.io/b/app:1', 'ghcr.io/a/app:1', 'docker.io/c/app:1', 'quay.io/x/app-x:1'].map((i) => workload('Pod', i));
    const forward = importKubernetes([{ file: 'a', text: docs.join('\n---\n') }]);
    const backward = importKubernetes([{ file: 'a', text: [...docs].reverse().join('\n---\n') }]);
    expect(backward).toEqual(forward);
    expect(Object.fromEntries(Object.entries(forward.images).map(([k, v]) => [k, v.ref]))).toEqual({
      app: 'docker.io/c/app:1',
      app_2: 'ghcr.io/a/app:1',
      app_3: 'quay.io/b/app:1',
      app_x: 'quay.io/x/app-x:1',
    });
  });

  it('empty documents, comments-only documents and scalars are skipped', () => {
    expect(refsOf(`---\n# nothing\n---\n---\nplain\n---\n${workload('Pod', 'quay.io/x/a:1')}\n---\n`)).toEqual({ a: 'quay.io/x/a:1' });
    expect(refsOf('')).toEqual({});
  });

  it('refuses a cut kubectl List and a workload cut before its containers', () => {
    const list = `apiVersion: v1\nitems:\n- ${workload('Pod', 'quay.io/x/a:1').replace(/\n/g, '\n  ')}\n`;
    expect(thrown(() => importKubernetes([{ file: 'pods.yaml', text: list }]))).toMatchObject({ code: 'IMPORT_INVALID', details: { line: 1 } });
    const cut = `${workload('Pod', 'quay.io/x/a:1')}---\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n`;
    const err = thrown(() => importKubernetes([{ file: 'rendered.yaml', text: cut }]));
    expect(err.code).toBe('IMPORT_INVALID');
    expect(err.message).toContain('truncated');
  });

  it('refuses a List of aliases that would expand exponentially, at once', () => {
    // Each level's anchor is used ten times by the next: 10^9 containers if expanded.
    const lines = ['kind: List', 'x0: &a0 [{name: c, image: quay.io/x/a:1}]'];
    for (let i = 1; i < 10; i++) lines.push(`x${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
    lines.push('items:', '- kind: Pod', '  spec:', '    containers: *a9');
    // The YAML library counts aliases while expanding and stops at its limit, long before 10^9.
    const err = thrown(() => importKubernetes([{ file: 'bomb.yaml', text: lines.join('\n') }]));
    expect(err.code).toBe('IMPORT_INVALID');
    expect(err.message).toContain('aliases');
  });

  it('warns about images without a tag, and about a tag that runs as two digests', () => {
    const warnings: string[] = [];
    const d1 = `sha256:${'1'.repeat(64)}`;
    const d2 = `sha256:${'2'.repeat(64)}`;
    const pod = (digest: string) =>
      `kind: Pod\nspec:\n  containers:\n  - name: c\n    image: quay.io/x/a:1\nstatus:\n  containerStatuses:\n  - name: c\n    imageID: quay.io/x/a@${digest}\n`;
    const set = importKubernetes([{ file: 'p.yaml', text: [pod(d1), pod(d2), workload('Pod', 'nginx')].join('---\n') }], { warn: (m) => warnings.push(m) });
    expect(Object.values(set.images).map((i) => i.ref).sort()).toEqual([`docker.io/library/nginx:latest`, `quay.io/x/a:1@${d1}`, `quay.io/x/a:1@${d2}`]);
    expect(warnings).toHaveLength(2);
    expect(warnings.join('\n')).toMatch(/without a tag/);
    expect(warnings.join('\n')).toMatch(/2 different digests/);
  });

  it.each([
    ['bad YAML in a later document', `${workload('Pod', 'quay.io/x/a:1')}---\nkind: Pod\nspec: [a\n  b: c\n`, 8],
    ['an invalid reference', `kind: Pod\nspec:\n  containers:\n  - name: c\n    image: "quay.io/x/App:1"\n`, 5],
    ['a container without an image', `kind: Pod\nspec:\n  containers:\n  - name: ok\n    image: quay.io/a:1\n  - name: c\n`, 6],
    ['a non-string image', `kind: Pod\nspec:\n  initContainers:\n  - name: c\n    image: {a: 1}\n`, 5],
  ])('%s is IMPORT_INVALID with the line', (_what, text, line) => {
    const err = thrown(() => importKubernetes([{ file: 'rendered.yaml', text }]));
    expect(err.code).toBe(ErrorCodes.IMPORT_INVALID);
    expect(err.details).toMatchObject({ file: 'rendered.yaml', line });
  });
});
