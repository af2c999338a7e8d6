/**
 * The audit itself: every container checked against the lock and the allowed registries.
 * A container passes when its image comes from an allowed registry, is pinned by digest, is
 * one the lock holds, and the digest the runtime reports is the locked one (or one of its
 * platform images). Each finding names the container and the fix: the pinned reference the
 * lock gives.
 */
import type { LockedImage, LockFile } from '../lock/types.js';
import { parseReference, repositoryName, type ImageReference } from '../ref/reference.js';
import { parseImageID } from './image-id.js';
import type { AuditContainer } from './pods.js';

/** Stable names of what can be wrong with a container. */
export type FindingCode = 'registry-not-allowed' | 'not-in-lock' | 'tag-only' | 'digest-drift' | 'reference-invalid';

/** One thing wrong with one container. */
export interface Finding {
  code: FindingCode;
  namespace: string;
  pod: string;
  container: string;
  kind: AuditContainer['kind'];
  image: string;
  message: string;
  /** The reference the container should use, from the lock. */
  fix?: string;
  /** The lock key the image was matched to. */
  key?: string;
}

/** What the audit found. */
export interface AuditResult {
  pods: number;
  containers: number;
  /** Per registry of the images asked for: distinct images, pods and containers. */
  registries: { registry: string; images: number; pods: number; containers: number }[];
  findings: Finding[];
  /** Containers not yet running an image (pulling, ContainerCreating): their digest was not checked. */
  pending: number;
  /** Containers whose runtime reports only an image ID (`sha256:...`), which cannot be compared with a lock. */
  unverified: number;
}

/** One lock image as the audit matches it. */
interface LockedEntry {
  key: string;
  /** `registry/repository` names it goes by: its destination's and its source's. */
  names: string[];
  tag?: string;
  /** Every digest a container of it may report: the pinned (or modified) image and its platform images. */
  digests: Set<string>;
  /** The reference to use: the destination (else the source) with its tag, pinned. */
  pinned: string;
}

function entryOf(key: string, image: LockedImage): LockedEntry {
  const source = parseReference(image.source);
  const destination = image.destination ? parseReference(image.destination) : undefined;
  const top = image.modify?.result ?? image.filtered_digest ?? image.digest;
  const digests = new Set<string>([top, image.digest, ...(image.platforms ?? []).map((p) => p.digest)]);
  if (image.modify) digests.delete(image.digest); // the base is not what was shipped
  const shipped = destination ?? source;
  const tag = shipped.tag;
  return {
    key,
    names: [...new Set([destination ? repositoryName(destination) : undefined, repositoryName(source)].filter((n): n is string => n !== undefined))],
    ...(tag ? { tag } : {}),
    digests,
    pinned: `${repositoryName(shipped)}${tag ? `:${tag}` : ''}@${top}`,
  };
}

/** The registries images may come from by default: the lock's destinations', else its sources'. */
export function defaultAllowed(lock: LockFile): string[] {
  const images = Object.values(lock.images);
  const from = images.some((i) => i.destination) ? images.filter((i) => i.destination).map((i) => i.destination!) : images.map((i) => i.source);
  return [...new Set(from.map((r) => parseReference(r).registry))].sort();
}

/** True when `ref` comes from `allowed` (a registry host, or host/path prefix). */
function fromAllowed(ref: ImageReference, allowed: readonly string[]): boolean {
  const name = repositoryName(ref);
  return allowed.some((a) => ref.registry === a || name.startsWith(`${a.replace(/\/+$/, '')}/`));
}

/**
 * Checks `containers` against `locks` (merged; a later lock's key wins) and `allowed`
 * registries (default: the locks' destinations' registries). Findings come sorted by
 * namespace, pod, container.
 */
export function audit(containers: readonly AuditContainer[], locks: readonly LockFile[], allowed?: readonly string[]): AuditResult {
  const byName = new Map<string, LockedEntry[]>();
  for (const lock of locks) {
    for (const [key, image] of Object.entries(lock.images)) {
      const e = entryOf(key, image);
      for (const n of e.names) byName.set(n, [...(byName.get(n) ?? []), e]);
    }
  }
  const allow = allowed && allowed.length > 0 ? allowed : [...new Set(locks.flatMap(defaultAllowed))];
  const findings: Finding[] = [];
  const registries = new Map<string, { images: Set<string>; pods: Set<string>; containers: number }>();
  let pending = 0;
  let unverified = 0;
  const pods = new Set<string>();
  for (const c of containers) {
    const at = { namespace: c.namespace, pod: c.pod, container: c.name, kind: c.kind, image: c.image };
    pods.add(`${c.namespace}/${c.pod}`);
    let ref: ImageReference;
    try {
      ref = parseReference(c.image);
    } catch (err) {
      findings.push({ ...at, code: 'reference-invalid', message: `not an image reference: ${(err as Error).message}` });
      continue;
    }
    const r = registries.get(ref.registry) ?? { images: new Set(), pods: new Set(), containers: 0 };
    r.images.add(c.image);
    r.pods.add(`${c.namespace}/${c.pod}`);
    r.containers++;
    registries.set(ref.registry, r);
    const candidates = byName.get(repositoryName(ref)) ?? [];
    const entry = candidates.find((e) => ref.digest && e.digests.has(ref.digest)) ?? candidates.find((e) => e.tag === ref.tag) ?? candidates[0];
    const fix = entry ? { fix: entry.pinned, key: entry.key } : {};
    if (!fromAllowed(ref, allow)) findings.push({ ...at, ...fix, code: 'registry-not-allowed', message: `pulls from ${ref.registry}, not from ${allow.join(', ') || 'an allowed registry'}` });
    if (!entry) {
      findings.push({ ...at, code: 'not-in-lock', message: `${repositoryName(ref)} is in no lock` });
      continue;
    }
    if (!ref.digest) findings.push({ ...at, ...fix, code: 'tag-only', message: `pinned only by tag (${ref.tag ?? 'latest'}): what it runs can change under it` });
    else if (!entry.digests.has(ref.digest)) findings.push({ ...at, ...fix, code: 'digest-drift', message: `asks for ${ref.digest}, which ${entry.key} does not pin` });
    if (!c.imageID) {
      pending++;
      continue;
    }
    const running = parseImageID(c.imageID);
    if (running.kind !== 'manifest') {
      unverified++;
      continue;
    }
    // A container asking for an unpinned digest and running it was reported once, above.
    const askedElsewhere = ref.digest !== undefined && !entry.digests.has(ref.digest) && running.digest === ref.digest;
    if (!entry.digests.has(running.digest) && !askedElsewhere) {
      findings.push({ ...at, ...fix, code: 'digest-drift', message: `runs ${running.digest}, which ${entry.key} does not pin${ref.digest ? '' : ` (the tag ${ref.tag ?? 'latest'} moved, or was never the locked image)`}` });
    }
  }
  findings.sort((a, b) => a.namespace.localeCompare(b.namespace) || a.pod.localeCompare(b.pod) || a.container.localeCompare(b.container) || a.code.localeCompare(b.code));
  return {
    pods: pods.size,
    containers: containers.length,
    registries: [...registries].map(([registry, r]) => ({ registry, images: r.images.size, pods: r.pods.size, containers: r.containers })).sort((a, b) => b.containers - a.containers || a.registry.localeCompare(b.registry)),
    findings,
    pending,
    unverified,
  };
}
