import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../errors.js';
import type { Descriptor } from '../oci/descriptor.js';
import type { Digest } from '../oci/digest.js';
import { nodePlatform, selectChild } from './platform.js';

const child = (n: number, platform?: Descriptor['platform']): Descriptor => ({
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  digest: `sha256:${String(n).repeat(64).slice(0, 64)}` as Digest,
  size: 100,
  ...(platform ? { platform } : {}),
});

describe('nodePlatform', () => {
  it("maps Node's process.arch to OCI names", () => {
    expect(nodePlatform('x64', 'linux')).toEqual({ os: 'linux', architecture: 'amd64' });
    expect(nodePlatform('arm64', 'linux')).toEqual({ os: 'linux', architecture: 'arm64' });
    expect(nodePlatform('arm', 'linux')).toEqual({ os: 'linux', architecture: 'arm', variant: 'v7' });
    expect(nodePlatform('arm', 'linux', '6')).toEqual({ os: 'linux', architecture: 'arm', variant: 'v6' });
    expect(nodePlatform('ia32', 'linux')).toEqual({ os: 'linux', architecture: '386' });
    expect(nodePlatform('ppc64', 'linux')).toEqual({ os: 'linux', architecture: 'ppc64le' });
    expect(nodePlatform('s390x', 'linux')).toEqual({ os: 'linux', architecture: 's390x' });
  });

  it('refuses an architecture without an OCI name', () => {
    expect(() => nodePlatform('pdp11', 'linux')).toThrow(expect.objectContaining({ code: ErrorCodes.PLATFORM_INVALID }));
  });
});

describe('selectChild', () => {
  const amd64 = child(1, { os: 'linux', architecture: 'amd64' });
  const arm64 = child(2, { os: 'linux', architecture: 'arm64', variant: 'v8' });
  const armv7 = child(3, { os: 'linux', architecture: 'arm', variant: 'v7' });
  const armv6 = child(4, { os: 'linux', architecture: 'arm', variant: 'v6' });
  const attestation = child(5, { os: 'unknown', architecture: 'unknown' });

  it('picks the matching platform, arm64 with or without v8', () => {
    expect(selectChild([attestation, arm64, amd64], { os: 'linux', architecture: 'amd64' }, 'x')).toBe(amd64);
    expect(selectChild([amd64, arm64], { os: 'linux', architecture: 'arm64' }, 'x')).toBe(arm64);
    expect(selectChild([amd64, arm64], { os: 'linux', architecture: 'arm64', variant: 'v8' }, 'x')).toBe(arm64);
  });

  it('prefers the same variant, and takes the first match without one', () => {
    expect(selectChild([armv6, armv7], { os: 'linux', architecture: 'arm', variant: 'v7' }, 'x')).toBe(armv7);
    expect(selectChild([armv6, armv7], { os: 'linux', architecture: 'arm', variant: 'v6' }, 'x')).toBe(armv6);
    expect(selectChild([armv6, armv7], { os: 'linux', architecture: 'arm' }, 'x')).toBe(armv7);
  });

  it('says what the index has when nothing matches', () => {
    expect(() => selectChild([amd64, arm64], { os: 'linux', architecture: 's390x' }, 'quay.io/x/y:1')).toThrow(
      expect.objectContaining({ code: ErrorCodes.PLATFORM_NOT_FOUND, message: 'quay.io/x/y:1: no image for linux/s390x (it has linux/amd64, linux/arm64/v8)' }),
    );
  });
});
