import { describe, expect, it } from 'vitest';
import { MediaTypes } from '../../oci/mediatypes.js';
import { manifestMediaType } from './media.js';

describe('manifestMediaType', () => {
  it('prefers the mediaType field, then a specific Content-Type, then the shape', () => {
    const withField = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.dockerManifest }));
    expect(manifestMediaType(withField, 'application/json')).toBe(MediaTypes.dockerManifest);
    const bare = Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [] }));
    expect(manifestMediaType(bare, `${MediaTypes.ociIndex}; charset=utf-8`)).toBe(MediaTypes.ociIndex);
    expect(manifestMediaType(bare, 'application/json')).toBe(MediaTypes.ociIndex);
    expect(manifestMediaType(Buffer.from('{"schemaVersion":2,"config":{}}'), undefined)).toBe(MediaTypes.ociManifest);
  });
});
