import { AirlockError, ErrorCodes } from '../errors.js';
import type { Digest } from '../oci/digest.js';
import { formatReference, parseReference, type ImageReference } from './reference.js';

/** Where images live. */
export type Location =
  | { kind: 'docker'; ref: ImageReference }
  /**
   * An OCI image layout directory; `name` is the ref.name annotation (tag or full reference).
   * `digest` (set by callers that pin, such as a lock) is the manifest to read, whatever the name says.
   */
  | { kind: 'oci'; dir: string; name?: string; digest?: Digest }
  /** The default store; `ref` names the image inside it (absent: the whole store). */
  | { kind: 'store'; ref?: ImageReference };

function fail(input: string, why: string): AirlockError {
  return new AirlockError(ErrorCodes.LOCATION_INVALID, `invalid location "${input}": ${why}`, { location: input });
}

/**
 * Parses `docker://REF`, `oci:DIR[:NAME]`, `store:[REF]`, or a bare reference (treated as
 * `docker://`). For `oci:`, the first `:` after the directory separates the name, as
 * skopeo does; the name may itself contain `:` and `/` (a full reference).
 */
export function parseLocation(input: string): Location {
  const s = input.trim();
  if (s.startsWith('docker://')) return { kind: 'docker', ref: parseReference(s.slice('docker://'.length)) };
  if (s.startsWith('oci:')) {
    const body = s.slice(4);
    if (body === '') throw fail(input, 'oci: needs a directory');
    const colon = body.indexOf(':');
    const dir = colon >= 0 ? body.slice(0, colon) : body;
    const name = colon >= 0 ? body.slice(colon + 1) : undefined;
    if (dir === '') throw fail(input, 'oci: needs a directory');
    if (name !== undefined && name === '') throw fail(input, 'empty image name after the directory');
    return name === undefined ? { kind: 'oci', dir } : { kind: 'oci', dir, name };
  }
  if (s.startsWith('store:')) {
    const body = s.slice('store:'.length);
    return body === '' ? { kind: 'store' } : { kind: 'store', ref: parseReference(body) };
  }
  const scheme = /^([a-z][a-z0-9+-]*):(?!\d)/.exec(s);
  if (scheme && !s.includes('/') ) {
    // "foo:bar" with no slash is a Docker Hub name:tag, not a scheme.
    return { kind: 'docker', ref: parseReference(s) };
  }
  if (scheme && ['oci-archive', 'docker-archive', 'dir', 'containers-storage', 'docker-daemon'].includes(scheme[1]!)) {
    throw fail(input, `the "${scheme[1]}" transport is not supported yet`);
  }
  return { kind: 'docker', ref: parseReference(s) };
}

/** A printable form of a location. */
export function formatLocation(loc: Location): string {
  switch (loc.kind) {
    case 'docker':
      return `docker://${formatReference(loc.ref)}`;
    case 'oci':
      return `oci:${loc.dir}${loc.name ? `:${loc.name}` : ''}${loc.digest ? `@${loc.digest}` : ''}`;
    case 'store':
      return `store:${loc.ref ? formatReference(loc.ref) : ''}`;
  }
}
