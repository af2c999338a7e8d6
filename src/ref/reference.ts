import { AirlockError, clip, ErrorCodes } from '../errors.js';
import { isDigest, type Digest } from '../oci/digest.js';

/** The registry Docker uses for names without a registry part. */
export const DOCKER_HUB = 'docker.io';
/** Where Docker Hub's API actually lives. */
export const DOCKER_HUB_API = 'registry-1.docker.io';

/** A fully normalised image reference. At least one of tag/digest is set. */
export interface ImageReference {
  /** Registry host[:port], lower-case; `docker.io` for Docker Hub. */
  registry: string;
  /** Repository path, e.g. `library/nginx`. */
  repository: string;
  tag?: string;
  digest?: Digest;
}

const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const COMPONENT_RE = new RegExp(`^${COMPONENT}$`);
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const HOST_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_RE = new RegExp(
  `^(?:${HOST_COMPONENT}(?:\\.${HOST_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`,
);

/** Longest text parseReference looks at. */
export const MAX_REFERENCE_LENGTH = 1024;

function fail(input: string, why: string): AirlockError {
  return new AirlockError(ErrorCodes.REF_INVALID, `invalid image reference "${clip(input)}": ${why}`, { reference: clip(input, 1000) });
}

/** True when the first path element names a registry rather than a Docker Hub namespace. */
function looksLikeRegistry(first: string): boolean {
  return first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase();
}

/**
 * Parses and normalises a reference the way Docker does: `nginx` becomes
 * `docker.io/library/nginx:latest`; `host:5000/a/b@sha256:...` keeps its port and digest;
 * `name:tag@digest` keeps both. Throws REF_INVALID with a reason otherwise.
 * With `defaultTag: false`, a reference without tag or digest is returned without a tag.
 */
export function parseReference(input: string, options: { defaultTag?: boolean } = {}): ImageReference {
  const s = input.trim();
  if (s === '') throw fail(input, 'empty');
  // Name (255), tag (128) and digest (sha512) together stay far below this: refuse huge input before any pattern runs.
  if (s.length > MAX_REFERENCE_LENGTH) throw fail(input, `longer than ${MAX_REFERENCE_LENGTH} characters`);
  if (/\s/.test(s)) throw fail(input, 'contains white space');
  if (s.includes('://')) throw fail(input, 'a reference has no scheme; use docker://REF as a location instead');

  let rest = s;
  let digest: Digest | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    const d = rest.slice(at + 1);
    if (!isDigest(d)) throw fail(input, `"${clip(d, 80)}" is not a valid digest (sha256:<64 hex>)`);
    digest = d;
    rest = rest.slice(0, at);
  }

  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const lastColon = rest.lastIndexOf(':');
  if (lastColon > lastSlash) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (!TAG_RE.test(tag)) throw fail(input, `"${clip(tag, 80)}" is not a valid tag`);
  }

  const parts = rest.split('/');
  let registry = DOCKER_HUB;
  if (parts.length > 1 && looksLikeRegistry(parts[0]!)) {
    registry = parts.shift()!;
    if (!DOMAIN_RE.test(registry)) throw fail(input, `"${clip(registry, 80)}" is not a valid registry host`);
    registry = registry.toLowerCase();
  }
  if (registry === 'index.docker.io' || registry === DOCKER_HUB_API) registry = DOCKER_HUB;
  if (parts.length === 0 || parts.some((p) => p === '')) throw fail(input, 'empty path component');
  for (const p of parts) {
    if (!COMPONENT_RE.test(p)) {
      throw fail(input, p !== p.toLowerCase() ? `repository "${clip(p, 80)}" must be lower-case` : `"${clip(p, 80)}" is not a valid path component`);
    }
  }
  if (registry === DOCKER_HUB && parts.length === 1) parts.unshift('library');
  const repository = parts.join('/');
  if (registry.length + 1 + repository.length > 255) throw fail(input, 'name longer than 255 characters');

  if (!tag && !digest && options.defaultTag !== false) tag = 'latest';
  return { registry, repository, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/** `registry/repository` without tag or digest. */
export function repositoryName(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}`;
}

/** The canonical string: `registry/repo[:tag][@digest]`. */
export function formatReference(ref: ImageReference): string {
  return `${repositoryName(ref)}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** The digest when pinned, otherwise the tag: what goes after `/manifests/` in a URL. */
export function manifestReference(ref: ImageReference): string {
  return ref.digest ?? ref.tag ?? 'latest';
}

/** A copy of `ref` with its registry and repository replaced, keeping tag and digest. */
export function withName(ref: ImageReference, registry: string, repository: string): ImageReference {
  return { ...ref, registry, repository };
}
