import { AirlockError, ErrorCodes } from '../../errors.js';
import { formatReference, parseReference, type ImageReference } from '../../ref/reference.js';
import type { TransportContext } from '../context.js';
import type { Location, Transport } from '../types.js';
import { RegistryBackend } from './backend.js';
import { RegistryPool } from './pool.js';

/** The run's registry pool: one client (connections, tokens) per host, closed with the context. */
export function registryPool(ctx: TransportContext): RegistryPool {
  return ctx.shared('docker:pool', () => new RegistryPool(ctx.registryOptions), (p) => p.close());
}

/** The location of a registry image. */
export function dockerLocation(ref: ImageReference): Location {
  return {
    scheme: 'docker',
    root: ref.registry,
    repository: ref.repository,
    ...(ref.tag !== undefined ? { tag: ref.tag } : {}),
    ...(ref.digest !== undefined ? { digest: ref.digest } : {}),
  };
}

/** The image reference a registry location names. */
export function referenceOf(loc: Location): ImageReference {
  return {
    registry: loc.root,
    repository: loc.repository,
    ...(loc.tag !== undefined ? { tag: loc.tag } : {}),
    ...(loc.digest !== undefined ? { digest: loc.digest } : {}),
  };
}

/**
 * Parses `REGISTRY[/PREFIX]` (a registry and a path prefix for many images, as mirror's
 * `--to` and an image set's `push_destination` take). LOCATION_INVALID otherwise.
 */
export function parseRegistryNamespace(text: string, input = text): Location {
  const body = text.replace(/^docker:\/\//, '').replace(/\/+$/, '');
  const slash = body.indexOf('/');
  const registry = slash >= 0 ? body.slice(0, slash) : body;
  const prefix = slash >= 0 ? body.slice(slash + 1) : '';
  // Validate by parsing a reference under it; the registry part must look like a host.
  try {
    const probe = parseReference(`${registry}/${prefix ? `${prefix}/` : ''}x`);
    if (probe.registry !== registry.toLowerCase()) throw new Error('not a registry host');
  } catch {
    throw new AirlockError(
      ErrorCodes.LOCATION_INVALID,
      `"${input}" is not REGISTRY[/PREFIX] (e.g. registry.local:5000/mirror), store: or oci:DIR`,
      { location: input },
    );
  }
  return { scheme: 'docker', root: registry.toLowerCase(), repository: prefix };
}

/** Registries: `docker://REF`, or a bare reference. */
export const dockerTransport: Transport = {
  scheme: 'docker',
  prefix: 'docker://',
  syntax: 'docker://REF (or a bare REF)',
  parse: (body) => dockerLocation(parseReference(body)),
  parseNamespace: (body, input) => parseRegistryNamespace(body, input),
  format(loc) {
    if (loc.tag === undefined && loc.digest === undefined) return `docker://${loc.root}${loc.repository ? `/${loc.repository}` : ''}`;
    return `docker://${formatReference(referenceOf(loc))}`;
  },
  // quay.io/ceph/ceph:v18 under REGISTRY/PREFIX: the source registry is dropped, its path kept.
  place: (ns, ref) => ({ ...dockerLocation(ref), root: ns.root, repository: ns.repository ? `${ns.repository}/${ref.repository}` : ref.repository }),
  checkImage(loc, input) {
    if (loc.tag === undefined && loc.digest === undefined) {
      throw new AirlockError(ErrorCodes.LOCATION_INVALID, `"${input}" names no image: add :TAG or @DIGEST`, { location: input });
    }
  },
  openReader: async (loc, ctx) => new RegistryBackend(registryPool(ctx).client(loc.root), 'pull'),
  openWriter: async (loc, ctx) => new RegistryBackend(registryPool(ctx).client(loc.root), 'push'),
  credentialHost: (loc) => loc.root,
};
