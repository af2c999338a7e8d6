import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { LockedImage, LockFile } from '../lock/types.js';
import { digestOf } from '../oci/digest.js';
import { render } from './index.js';

const D = digestOf('x');
function image(key: string, source: string, destination: string | undefined, expression: string): LockedImage {
  return {
    source: `${source}@${D}`,
    tag: source.slice(source.lastIndexOf(':') + 1),
    digest: D,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    size: 1,
    ...(destination ? { destination } : {}),
    origin: { template: source, imported: { tool: 'atmosphere', file: 'main.yml', line: 3, name: key, expression } },
  };
}

const body = (out: ReturnType<typeof render>) => parse(out.kind === 'file' ? out.content : '') as Record<string, Record<string, string>>;

describe('render --format atmosphere', () => {
  it('overrides each image by its Atmosphere name with the pinned mirrored reference', () => {
    const lock: LockFile = {
      version: 1,
      images: {
        alertmanager_x: image('alertmanager', 'quay.io/prometheus/alertmanager:v0.27.0', 'reg:5000/m/prometheus/alertmanager:v0.27.0', '{{ atmosphere_image_prefix }}quay.io/prometheus/alertmanager:v0.27.0'),
        heat_api: image('heat_api', 'registry.atmosphere.dev/library/heat:main', 'reg:5000/m/library/heat:main', '{{ atmosphere_image_prefix }}registry.atmosphere.dev/library/heat:{{ atmosphere_release }}'),
      },
    };
    expect(body(render(lock, 'atmosphere'))).toEqual({
      atmosphere_image_overrides: {
        alertmanager: `reg:5000/m/prometheus/alertmanager:v0.27.0@${D}`,
        heat_api: `reg:5000/m/library/heat:main@${D}`,
      },
    });
  });

  it('unpinned, writes only the prefix when every image is its Atmosphere reference under one prefix', () => {
    const lock: LockFile = {
      version: 1,
      images: {
        a: image('a', 'quay.io/x/a:1', 'reg:5000/m/quay.io/x/a:1', '{{ atmosphere_image_prefix }}quay.io/x/a:1'),
        b: image('b', 'docker.io/y/b:2', 'reg:5000/m/docker.io/y/b:2', '{{ atmosphere_image_prefix }}docker.io/y/b:2'),
      },
    };
    expect(body(render(lock, 'atmosphere', { unpinned: true }))).toEqual({ atmosphere_image_prefix: 'reg:5000/m/' });
    // Atmosphere's own variables may stay in the expression, as they were at import; a digest written in it is kept.
    lock.images.heat = image('heat', 'registry.atmosphere.dev/library/heat:2025.1', 'reg:5000/m/registry.atmosphere.dev/library/heat:2025.1', '{{ atmosphere_image_prefix }}registry.atmosphere.dev/library/heat:{{ atmosphere_release }}');
    lock.images.keepalived = image('keepalived', `ghcr.io/v/keepalived:2.2.8`, 'reg:5000/m/ghcr.io/v/keepalived:2.2.8', `{{ atmosphere_image_prefix }}ghcr.io/v/keepalived:2.2.8@${D}`);
    expect(body(render(lock, 'atmosphere', { unpinned: true }))).toEqual({ atmosphere_image_prefix: 'reg:5000/m/' });
    // A mirrored tag that Atmosphere's own release would not give needs the overrides.
    lock.images.heat.destination = 'reg:5000/m/registry.atmosphere.dev/library/heat:2025.1-fix';
    expect(Object.keys(body(render(lock, 'atmosphere', { unpinned: true })))).toEqual(['atmosphere_image_overrides']);
    delete lock.images.heat;
    // Pinned, the digests need the overrides.
    expect(Object.keys(body(render(lock, 'atmosphere')))).toEqual(['atmosphere_image_overrides']);
    // A destination the prefix cannot express falls back to overrides.
    lock.images.b!.destination = 'reg:5000/other/y/b:2';
    expect(Object.keys(body(render(lock, 'atmosphere', { unpinned: true })))).toEqual(['atmosphere_image_overrides']);
  });
});
