import { AirlockError, ErrorCodes } from '../errors.js';
import { parseLocation, type Location } from '../ref/location.js';
import { formatReference, parseReference, type ImageReference } from '../ref/reference.js';
import type { Platform } from '../oci/platform.js';
import type { ListEntry } from './list.js';

/** One planned copy of a mirror run. */
export interface MirrorPair {
  /** The list line it came from (absent for a single `copy`). */
  entry?: ListEntry;
  source: Location;
  destination: Location;
  /** Platforms to keep of this image's index; wins over the run's `platforms`. */
  platforms?: Platform[];
}

/** Where a mirror run writes: a registry with an optional path prefix, the store, or a layout. */
export type MirrorTarget =
  | { kind: 'registry'; registry: string; prefix: string }
  | { kind: 'store' }
  | { kind: 'oci'; dir: string };

/**
 * Parses `--to`: `REGISTRY[/PREFIX]`, `docker://REGISTRY[/PREFIX]`, `store:` or `oci:DIR`.
 */
export function parseMirrorTarget(text: string): MirrorTarget {
  if (text === 'store:' || text === 'store') return { kind: 'store' };
  if (text.startsWith('oci:')) {
    const loc = parseLocation(text);
    if (loc.kind !== 'oci' || loc.name) {
      throw new AirlockError(ErrorCodes.LOCATION_INVALID, `--to oci:DIR takes a directory only, got "${text}"`);
    }
    return { kind: 'oci', dir: loc.dir };
  }
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
      `--to "${text}" is not REGISTRY[/PREFIX] (e.g. registry.local:5000/mirror), store: or oci:DIR`,
    );
  }
  return { kind: 'registry', registry: registry.toLowerCase(), prefix };
}

/** The destination reference of `ref` under a registry target: the source path kept under the prefix. */
export function destinationRef(ref: ImageReference, target: { registry: string; prefix: string }): ImageReference {
  // quay.io/ceph/ceph:v18 -> REGISTRY/PREFIX/ceph/ceph:v18 (the source registry is dropped, its path kept).
  const repository = target.prefix ? `${target.prefix}/${ref.repository}` : ref.repository;
  return { ...ref, registry: target.registry, repository };
}

/**
 * Pairs every list entry with its source and destination. `from` (optional) reads the
 * images from a layout or the store by their full reference instead of from their registries.
 */
export function planMirror(entries: ListEntry[], target: MirrorTarget, from?: Location): MirrorPair[] {
  return entries.map((entry) => {
    const source = sourceFor(entry.ref, from);
    const destination: Location =
      target.kind === 'registry'
        ? { kind: 'docker', ref: destinationRef(entry.ref, target) }
        : target.kind === 'store'
          ? { kind: 'store', ref: entry.ref }
          : { kind: 'oci', dir: target.dir, name: formatReference(entry.ref) };
    return { entry, source, destination };
  });
}

function sourceFor(ref: ImageReference, from: Location | undefined): Location {
  if (!from) return { kind: 'docker', ref };
  if (from.kind === 'oci' && !from.name) return { kind: 'oci', dir: from.dir, name: formatReference(ref) };
  if (from.kind === 'store' && !from.ref) return { kind: 'store', ref };
  throw new AirlockError(ErrorCodes.LOCATION_INVALID, '--from takes oci:DIR or store: (without an image name)');
}
