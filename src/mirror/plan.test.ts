import { describe, expect, it } from 'vitest';
import { AirlockError } from '../errors.js';
import { formatLocation, parseNamespace } from '../transport/location.js';
import { parseList } from './list.js';
import { planMirror } from './plan.js';


describe('parseList', () => {
  it('skips comments and blank lines and keeps line numbers', () => {
    const entries = parseList('# images\n\nquay.io/ceph/ceph:v18  # storage\n  nginx\n');
    expect(entries.map((e) => [e.text, e.line])).toEqual([
      ['quay.io/ceph/ceph:v18', 3],
      ['nginx', 4],
    ]);
  });

  it('reports every bad line at once with LIST_INVALID', () => {
    let err: AirlockError | undefined;
    try {
      parseList('ok/image:1\nBAD/Name\nnginx:\n', 'images.txt');
    } catch (e) {
      err = e as AirlockError;
    }
    expect(err?.code).toBe('LIST_INVALID');
    expect(err?.details.problems).toHaveLength(2);
  });
});

describe('planMirror', () => {
  const entries = parseList('quay.io/ceph/ceph:v18\nnginx:1.25\nregistry.k8s.io/pause@sha256:' + 'b'.repeat(64));

  it('keeps the source path under REGISTRY/PREFIX', () => {
    const pairs = planMirror(entries, parseNamespace('registry.local:5000/mirror'));
    expect(pairs.map((p) => formatLocation(p.destination))).toEqual([
      'docker://registry.local:5000/mirror/ceph/ceph:v18',
      'docker://registry.local:5000/mirror/library/nginx:1.25',
      `docker://registry.local:5000/mirror/pause@sha256:${'b'.repeat(64)}`,
    ]);
    expect(formatLocation(pairs[0]!.source)).toBe('docker://quay.io/ceph/ceph:v18');
  });

  it('reads from a layout by full reference and writes the store by full reference', () => {
    const pairs = planMirror(entries, parseNamespace('store:'), parseNamespace('oci:bundle'));
    expect(formatLocation(pairs[1]!.source)).toBe('oci:bundle:docker.io/library/nginx:1.25');
    expect(formatLocation(pairs[1]!.destination)).toBe('store:docker.io/library/nginx:1.25');
  });

});
