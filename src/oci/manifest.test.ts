import { describe, expect, it } from 'vitest';
import { MAX_MANIFEST_BYTES, parseManifest } from './manifest.js';
import { MediaTypes } from './mediatypes.js';
import { parsePlatform, platformMatches } from './platform.js';
import { errorCodeOf } from '../../test/helpers/codes.js';

const D = `sha256:${'c'.repeat(64)}`;
const bytes = (o: unknown) => Buffer.from(JSON.stringify(o));


describe('parseManifest', () => {
  it('reads an OCI image manifest and a Docker manifest list', () => {
    const image = parseManifest(
      bytes({ schemaVersion: 2, mediaType: MediaTypes.ociManifest, config: { mediaType: MediaTypes.ociConfig, digest: D, size: 2 }, layers: [] }),
    );
    expect(image.kind).toBe('image');
    const list = parseManifest(
      bytes({
        schemaVersion: 2,
        mediaType: MediaTypes.dockerManifestList,
        manifests: [{ mediaType: MediaTypes.dockerManifest, digest: D, size: 3, platform: { os: 'linux', architecture: 'amd64' } }],
      }),
    );
    expect(list.kind).toBe('index');
  });

  it('infers an OCI index without mediaType from its shape', () => {
    expect(parseManifest(bytes({ schemaVersion: 2, manifests: [] })).mediaType).toBe(MediaTypes.ociIndex);
  });

  it.each([
    ['schema 1', bytes({ schemaVersion: 1, name: 'x', fsLayers: [] }), undefined, 'MANIFEST_SCHEMA1_UNSUPPORTED'],
    ['signed schema 1 by type', bytes({ schemaVersion: 1 }), MediaTypes.dockerSchema1Signed, 'MANIFEST_SCHEMA1_UNSUPPORTED'],
    ['an unknown type', bytes({ schemaVersion: 2, mediaType: 'application/vnd.example+json' }), undefined, 'MEDIA_TYPE_UNSUPPORTED'],
    ['not JSON', Buffer.from('{'), undefined, 'MANIFEST_INVALID'],
    ['a bad digest', bytes({ schemaVersion: 2, manifests: [{ mediaType: 'x', digest: 'sha256:1', size: 1 }] }), undefined, 'MANIFEST_INVALID'],
    ['a negative size', bytes({ schemaVersion: 2, manifests: [{ mediaType: 'x', digest: D, size: -1 }] }), undefined, 'MANIFEST_INVALID'],
    ['more than 4 MiB', Buffer.alloc(MAX_MANIFEST_BYTES + 1, 32), undefined, 'MANIFEST_TOO_LARGE'],
  ])('refuses %s', (_what, input, type, code) => {
    expect(errorCodeOf(() => parseManifest(input, type))).toBe(code);
  });
});

describe('platforms', () => {
  it('parses os/arch/variant and refuses garbage', () => {
    expect(parsePlatform('linux/arm64/v8')).toEqual({ os: 'linux', architecture: 'arm64', variant: 'v8' });
    expect(errorCodeOf(() => parsePlatform('linux'))).toBe('PLATFORM_INVALID');
    expect(errorCodeOf(() => parsePlatform('a/b/c/d'))).toBe('PLATFORM_INVALID');
  });

  it('treats arm64 and arm64/v8 as the same platform', () => {
    expect(platformMatches(parsePlatform('linux/arm64/v8'), { os: 'linux', architecture: 'arm64' })).toBe(true);
    expect(platformMatches(parsePlatform('linux/arm64'), { os: 'linux', architecture: 'arm64', variant: 'v8' })).toBe(true);
    expect(platformMatches(parsePlatform('linux/arm/v6'), { os: 'linux', architecture: 'arm', variant: 'v7' })).toBe(false);
    expect(platformMatches(parsePlatform('linux/amd64'), { os: 'windows', architecture: 'amd64' })).toBe(false);
  });
});
