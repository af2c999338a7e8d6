/**
 * render --format tripleo with images that `airlock import tripleo` found: every Heat
 * parameter an image carries, under its real name; Container<CamelKey>Image for the others.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { thrown } from '../../test/helpers/codes.js';
import type { ImportedFrom } from '../imageset/types.js';
import type { LockedImage, LockFile } from '../lock/types.js';
import type { Digest } from '../oci/digest.js';
import { render } from './index.js';

const digestOf = (key: string) => `sha256:${createHash('sha256').update(key).digest('hex')}` as Digest;

function image(key: string, source: string, imported?: ImportedFrom, destination?: string): LockedImage {
  const digest = digestOf(key);
  const tag = source.split(':').at(-1)!;
  return {
    source: `${source}@${digest}`,
    tag,
    digest,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    size: 500,
    ...(destination ? { destination } : {}),
    origin: { template: source, ...(imported ? { imported } : {}) },
  };
}

const LIST = 'tripleo_containers.yaml.j2';
const tripleo = (line: number, parameters: string[]): ImportedFrom => ({ tool: 'tripleo', file: LIST, line, name: `image at ${line}`, parameters });

function lockOf(images: Record<string, LockedImage>): LockFile {
  return { version: 1, images };
}

function parameters(lock: LockFile): { params: Record<string, string>; warnings: string[] } {
  const out = render(lock, 'tripleo');
  if (out.kind !== 'file') throw new Error('expected one file');
  return { params: parseYaml(out.content).parameter_defaults, warnings: out.warnings };
}

const HAPROXY = 'quay.io/tripleomastercentos9/openstack-haproxy:17.1.0-1';
const HAPROXY_DEST = 'undercloud.ctlplane:8787/tripleomastercentos9/openstack-haproxy:17.1.0-1';
const PROMETHEUS = 'quay.io/prometheus/prometheus:v2.33.4';

describe('render --format tripleo, imported images', () => {
  it('writes every parameter of an imported image with its real name, the others as Container<CamelKey>Image', () => {
    const lock = lockOf({
      haproxy: image('haproxy', HAPROXY, tripleo(13, ['ContainerHAProxyImage', 'ContainerHAProxyConfigImage']), HAPROXY_DEST),
      prometheus: image('prometheus', PROMETHEUS, tripleo(112, ['PrometheusContainerImage'])),
      nova_api: image('nova_api', 'quay.io/tripleomastercentos9/openstack-nova-api:1', tripleo(33, ['ContainerNovaApiImage', 'ContainerNovaConfigImage', 'ContainerNovaMetadataImage'])),
      heat_all: image('heat_all', 'quay.io/tripleomastercentos9/openstack-heat-all:1', tripleo(21, [])),
      h_a_proxy_by_hand: image('h_a_proxy_by_hand', 'quay.io/x/haproxy:2'),
      kube: image('kube', 'registry.k8s.io/pause:3.9', { tool: 'kubespray', file: 'download.yml', line: 3, parameters: ['Ignored'] }),
    });
    const { params, warnings } = parameters(lock);
    expect(warnings).toEqual([]);
    const haproxy = `${HAPROXY_DEST}@${digestOf('haproxy')}`;
    const nova = `quay.io/tripleomastercentos9/openstack-nova-api:1@${digestOf('nova_api')}`;
    expect(params).toEqual({
      ContainerHAProxyImage: haproxy,
      ContainerHAProxyConfigImage: haproxy,
      ContainerHAProxyByHandImage: `quay.io/x/haproxy:2@${digestOf('h_a_proxy_by_hand')}`,
      ContainerKubeImage: `registry.k8s.io/pause:3.9@${digestOf('kube')}`,
      ContainerNovaApiImage: nova,
      ContainerNovaConfigImage: nova,
      ContainerNovaMetadataImage: nova,
      PrometheusContainerImage: `${PROMETHEUS}@${digestOf('prometheus')}`,
    });
    // In key order, each image's parameters in the order the list gives them.
    expect(Object.keys(params)).toEqual([
      'ContainerHAProxyByHandImage',
      'ContainerHAProxyImage',
      'ContainerHAProxyConfigImage',
      'ContainerKubeImage',
      'ContainerNovaApiImage',
      'ContainerNovaConfigImage',
      'ContainerNovaMetadataImage',
      'PrometheusContainerImage',
    ]);
  });

  it('--unpinned writes the tags', () => {
    const lock = lockOf({ prometheus: image('prometheus', PROMETHEUS, tripleo(112, ['PrometheusContainerImage'])) });
    const out = render(lock, 'tripleo', { unpinned: true });
    expect(out.kind === 'file' && parseYaml(out.content).parameter_defaults).toEqual({ PrometheusContainerImage: PROMETHEUS });
  });

  it('two images claiming one parameter is RENDER_UNSUPPORTED naming both', () => {
    const byHand = lockOf({
      ceph: image('ceph', 'quay.io/ceph/daemon:v6', tripleo(105, ['ContainerCephDaemonImage'])),
      ceph_daemon: image('ceph_daemon', 'quay.io/ceph/daemon:v7'),
    });
    const err = thrown(() => render(byHand, 'tripleo'));
    expect(err.code).toBe('RENDER_UNSUPPORTED');
    expect(err.details).toMatchObject({ keys: ['ceph', 'ceph_daemon'], name: 'ContainerCephDaemonImage' });
    const twoLists = lockOf({
      a: image('a', 'quay.io/x/a:1', { ...tripleo(5, ['ContainerAImage']), file: 'one.j2' }),
      b: image('b', 'quay.io/x/b:1', { ...tripleo(9, ['ContainerAImage']), file: 'two.j2' }),
    });
    expect(thrown(() => render(twoLists, 'tripleo')).code).toBe('RENDER_UNSUPPORTED');
    const noLines = lockOf({
      a: image('a', 'quay.io/x/a:1', { tool: 'tripleo', file: LIST, parameters: ['ContainerAImage'] }),
      b: image('b', 'quay.io/x/b:1', { tool: 'tripleo', file: LIST, parameters: ['ContainerAImage'] }),
    });
    expect(thrown(() => render(noLines, 'tripleo')).code).toBe('RENDER_UNSUPPORTED');
  });

  it('within one image list, the later entry wins a shared parameter, as in TripleO, with a warning', () => {
    const lock = lockOf({
      neutron_server_ovn: image('neutron_server_ovn', 'quay.io/t/openstack-neutron-server-ovn:1', tripleo(77, ['ContainerNeutronApiImage', 'ContainerNeutronConfigImage'])),
      ironic_neutron_agent: image('ironic_neutron_agent', 'quay.io/t/openstack-ironic-neutron-agent:1', tripleo(40, ['ContainerIronicNeutronAgentImage', 'ContainerNeutronConfigImage'])),
    });
    const { params, warnings } = parameters(lock);
    const server = `quay.io/t/openstack-neutron-server-ovn:1@${digestOf('neutron_server_ovn')}`;
    expect(params.ContainerNeutronConfigImage).toBe(server);
    expect(params.ContainerNeutronApiImage).toBe(server);
    expect(params.ContainerIronicNeutronAgentImage).toBe(`quay.io/t/openstack-ironic-neutron-agent:1@${digestOf('ironic_neutron_agent')}`);
    expect(warnings).toEqual([
      `ContainerNeutronConfigImage: both ironic_neutron_agent (${LIST}:40) and neutron_server_ovn (${LIST}:77) set it; as in TripleO, the later entry of the list wins: neutron_server_ovn`,
    ]);
  });
});
