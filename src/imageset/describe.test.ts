import { describe, expect, it } from 'vitest';
import { describePlan, formatPlan } from './describe.js';
import { parseImageSet } from './load.js';

const SET = `parameters:
  namespace: quay.io/tripleo
  tag: current
  ceph_images: true
images:
  nova_api: "{namespace}/nova-api:{tag}"
  ceph:
    ref: quay.io/ceph/ceph:v18
    enabled_by: ceph_images
    imported: { tool: tripleo, file: tripleo_containers.yaml.j2, line: 12, name: ceph, parameters: [ContainerCephDaemonImage] }
rules:
  - name: labels
    includes: [nova]
    tag_from_label: "{version}-{release}"
  - name: mirror
    push_destination: reg.local:8787
`;

describe('describePlan', () => {
  it('lists each switched-on image with source, destination, rules, label and where it was imported from', () => {
    const rows = describePlan(parseImageSet(SET, 'images.yaml'));
    expect(rows).toEqual([
      {
        key: 'ceph',
        source: 'quay.io/ceph/ceph:v18',
        destination: 'reg.local:8787/ceph/ceph:v18',
        rules: [{ index: 1, name: 'mirror' }],
        imported: { tool: 'tripleo', file: 'tripleo_containers.yaml.j2', line: 12, name: 'ceph', parameters: ['ContainerCephDaemonImage'] },
      },
      {
        key: 'nova_api',
        source: 'quay.io/tripleo/nova-api:current',
        destination: 'reg.local:8787/tripleo/nova-api:current',
        rules: [
          { index: 0, name: 'labels' },
          { index: 1, name: 'mirror' },
        ],
        tag_from_label: '{version}-{release}',
      },
    ]);
    expect(formatPlan(rows)).toContain('imported from tripleo tripleo_containers.yaml.j2:12 (ceph)');
    expect(describePlan(parseImageSet(SET, 'images.yaml'), { ceph_images: false }).map((r) => r.key)).toEqual(['nova_api']);
  });
});
