/**
 * The URL space of the OCI Distribution Specification v1.1 (`/v2/...`), its limits, parsed: which
 * endpoint, which repository (a `ns=` query parameter, as containerd's mirror requests send
 * it, puts the upstream registry in front), which reference.
 */

/** Sent with every API answer, as registries do. */
export const API_VERSION = { 'docker-distribution-api-version': 'registry/2.0' };
/** Largest manifest taken or served (the spec lets registries refuse larger ones at 4 MiB). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/** Repository names the spec allows: path components of lowercase alphanumerics and separators. */
export const NAME_PATTERN = /^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$/;
/** Tags the spec allows. */
export const TAG_PATTERN = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
/** Longest repository name accepted (the spec's clients must handle 255 characters). */
export const MAX_NAME_LENGTH = 255;

/** One parsed request target. */
export type Route =
  | { kind: 'base' }
  | { kind: 'catalog' }
  | { kind: 'tags'; name: string }
  | { kind: 'manifest'; name: string; reference: string }
  | { kind: 'blob'; name: string; digest: string }
  | { kind: 'upload'; name: string; id?: string }
  | { kind: 'referrers'; name: string; digest: string }
  | { kind: 'unknown' };

/**
 * The route of `path` (no query). Names are returned as given; the caller validates them.
 * A `ns` (the upstream registry host a containerd mirror request is for) prefixes the name
 * with it, so the store's full references resolve.
 */
export function routeOf(path: string, ns?: string | null): Route {
  if (path === '/v2/' || path === '/v2') return { kind: 'base' };
  if (path === '/v2/_catalog') return { kind: 'catalog' };
  const withNs = (name: string) => (ns && !name.startsWith(`${ns}/`) ? `${ns}/${name}` : name);
  let m = /^\/v2\/(.+)\/tags\/list$/.exec(path);
  if (m) return { kind: 'tags', name: withNs(m[1]!) };
  m = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(path);
  if (m) return { kind: 'manifest', name: withNs(m[1]!), reference: decodeURIComponent(m[2]!) };
  m = /^\/v2\/(.+)\/referrers\/([^/]+)$/.exec(path);
  if (m) return { kind: 'referrers', name: withNs(m[1]!), digest: decodeURIComponent(m[2]!) };
  m = /^\/v2\/(.+)\/blobs\/uploads(?:\/([^/]*))?$/.exec(path);
  if (m) return { kind: 'upload', name: withNs(m[1]!), ...(m[2] ? { id: m[2] } : {}) };
  m = /^\/v2\/(.+)\/blobs\/([^/]+)$/.exec(path);
  if (m) return { kind: 'blob', name: withNs(m[1]!), digest: decodeURIComponent(m[2]!) };
  return { kind: 'unknown' };
}

/** True for a repository name the spec allows (a store name with a registry host and port is allowed too: `host:port/...`). */
export function validName(name: string): boolean {
  if (name.length > MAX_NAME_LENGTH || name.includes('..')) return false;
  // The store keys images by full reference; a registry host's port is the one ':' allowed, in the first component.
  const [first, ...rest] = name.split('/');
  const host = /^[a-z0-9.-]+:[0-9]+$/.test(first!) && rest.length > 0;
  return NAME_PATTERN.test(host ? rest.join('/') : name);
}
