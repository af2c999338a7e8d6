import { AirlockError, ErrorCodes } from '../errors.js';
import type { LockFile } from '../lock/types.js';
import { parseReference } from '../ref/reference.js';

/** The local mirror the nodes pull through. */
export interface Mirror {
  scheme: 'http' | 'https';
  /** host[:port]. */
  host: string;
}

/** One source registry of the lock and the path under the mirror where its repositories live. */
export interface MirroredRegistry {
  registry: string;
  /** Path prefix on the mirror (`mirror` for `mirror:5000/mirror/ceph/ceph`), '' for none. */
  prefix: string;
}

/** The mirror plus each source registry (sorted) to point at it. */
export interface MirrorPlan {
  mirror: Mirror;
  registries: MirroredRegistry[];
}

/**
 * Works out which mirror each source registry of the lock is served from. The host is
 * `--mirror`'s, else the single destination registry of the lock (RENDER_MIRROR_AMBIGUOUS when
 * there are none or several). The prefix is `--mirror`'s path when given, else read off each
 * registry's destinations (ambiguous when they disagree). A registry that is the mirror itself is left out.
 */
export function planMirror(lock: LockFile, mirrorOption?: string): MirrorPlan {
  const explicit = mirrorOption ? parseMirror(mirrorOption) : undefined;
  const hosts = new Set<string>();
  const prefixes = new Map<string, Set<string>>();
  for (const [key, image] of Object.entries(lock.images)) {
    const src = parseReference(image.source, { defaultTag: false });
    const seen = prefixes.get(src.registry) ?? new Set<string>();
    prefixes.set(src.registry, seen);
    if (!image.destination) continue;
    const dst = parseReference(image.destination, { defaultTag: false });
    hosts.add(dst.registry);
    seen.add(prefixOf(key, src.repository, dst.repository, image.destination));
  }
  const mirror = explicit?.mirror ?? defaultMirror(hosts);
  const registries: MirroredRegistry[] = [];
  for (const registry of [...prefixes.keys()].sort()) {
    const prefix = explicit?.prefix ?? onlyPrefix(registry, prefixes.get(registry)!);
    if (registry === mirror.host && prefix === '') continue;
    registries.push({ registry, prefix });
  }
  return { mirror, registries };
}

/** `[http(s)://]HOST[:PORT][/PREFIX]`; a bad value is USAGE. */
export function parseMirror(text: string): { mirror: Mirror; prefix?: string } {
  const m = /^(?:(https?):\/\/)?([^/]+)(?:\/(.*?))?\/*$/.exec(text.trim());
  const host = m?.[2]?.toLowerCase();
  const prefix = m?.[3] || undefined;
  let ok = Boolean(host);
  try {
    ok &&= parseReference(`${host}/${prefix ? `${prefix}/` : ''}x`).registry === host;
  } catch {
    ok = false;
  }
  if (!ok) {
    throw new AirlockError(ErrorCodes.USAGE, `--mirror "${text}" is not [http(s)://]HOST[:PORT][/PREFIX] (e.g. registry.local:5000)`, {
      mirror: text,
    });
  }
  return { mirror: { scheme: m![1] === 'http' ? 'http' : 'https', host: host! }, ...(prefix ? { prefix } : {}) };
}

function defaultMirror(hosts: Set<string>): Mirror {
  if (hosts.size === 1) return { scheme: 'https', host: [...hosts][0]! };
  const why = hosts.size === 0 ? 'no image in the lock has a destination' : `the destinations are on ${[...hosts].sort().join(', ')}`;
  throw new AirlockError(ErrorCodes.RENDER_MIRROR_AMBIGUOUS, `cannot tell which mirror to use: ${why}; pass --mirror HOST[:PORT]`, {
    hosts: [...hosts].sort(),
  });
}

function onlyPrefix(registry: string, seen: Set<string>): string {
  if (seen.size <= 1) return [...seen][0] ?? '';
  const list = [...seen].sort().map((p) => (p === '' ? '(none)' : p));
  throw new AirlockError(
    ErrorCodes.RENDER_MIRROR_AMBIGUOUS,
    `images from ${registry} are mirrored under different paths (${list.join(', ')}); one registry can have one mirror path: pass --mirror HOST[:PORT]/PREFIX`,
    { registry, prefixes: [...seen].sort() },
  );
}

/** The path the destination puts before the source repository; it must keep that repository whole. */
function prefixOf(key: string, srcRepo: string, dstRepo: string, destination: string): string {
  if (dstRepo === srcRepo) return '';
  if (dstRepo.endsWith(`/${srcRepo}`)) return dstRepo.slice(0, -srcRepo.length - 1);
  throw new AirlockError(
    ErrorCodes.RENDER_UNSUPPORTED,
    `${key}: destination ${destination} does not keep the source path "${srcRepo}", so a registry mirror cannot serve it`,
    { key },
  );
}
