import { dockerArchiveTransport } from './archive/docker-archive-transport.js';
import { ociArchiveTransport } from './archive/oci-archive-transport.js';
import { ociTransport } from './layout/oci-transport.js';
import { storeTransport } from './layout/store-transport.js';
import { dockerTransport } from './registry/transport.js';
import type { Transport } from './types.js';

/**
 * Every kind of location airlock reads and writes, by scheme. This list is the one place
 * a transport is registered: nothing else in airlock switches on the kind of a location.
 */
const TRANSPORTS: readonly Transport[] = [dockerTransport, ociTransport, ociArchiveTransport, dockerArchiveTransport, storeTransport];

/** The transport of bare references (`quay.io/ceph/ceph:v18` means `docker://quay.io/ceph/ceph:v18`). */
export const DEFAULT_TRANSPORT: Transport = dockerTransport;

const byScheme = new Map(TRANSPORTS.map((t) => [t.scheme, t]));

/** The registered transports, in registration order. */
export function transports(): readonly Transport[] {
  return TRANSPORTS;
}

/** The transport registered for `scheme`, or undefined. */
export function findTransport(scheme: string): Transport | undefined {
  return byScheme.get(scheme);
}
