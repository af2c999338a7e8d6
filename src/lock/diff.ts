import { parseReference, repositoryName } from '../ref/reference.js';
import { compareKeys, sortedKeys } from './keys.js';
import type { LockedImage, LockFile } from './types.js';

/** An image present in only one of two locks. */
export interface LockDiffEntry {
  key: string;
  image: LockedImage;
}

/** One field of an image that differs; `platform OS/ARCH` fields compare that child's digest. */
export interface LockFieldChange {
  key: string;
  field: string;
  from?: string;
  to?: string;
}

/** What changed between two locks, each list in key order. */
export interface LockDiff {
  added: LockDiffEntry[];
  removed: LockDiffEntry[];
  changed: LockFieldChange[];
}

const SCALARS = ['tag', 'digest', 'mediaType', 'size', 'destination'] as const;

/**
 * Compares two locks image by image: added and removed keys, and for keys in both, every
 * field that differs (`repository` of the source, tag, digest, mediaType, size, destination,
 * `platform OS/ARCH` child digests, keep_platforms, origin as JSON).
 */
export function diffLocks(from: LockFile, to: LockFile): LockDiff {
  const diff: LockDiff = { added: [], removed: [], changed: [] };
  for (const key of sortedKeys(from.images)) {
    if (!(key in to.images)) diff.removed.push({ key, image: from.images[key]! });
  }
  for (const key of sortedKeys(to.images)) {
    const b = to.images[key]!;
    const a = from.images[key];
    if (!a) diff.added.push({ key, image: b });
    else diff.changed.push(...imageChanges(key, a, b));
  }
  return diff;
}

/** True when the diff holds no change. */
export function isEmptyDiff(d: LockDiff): boolean {
  return d.added.length === 0 && d.removed.length === 0 && d.changed.length === 0;
}

function imageChanges(key: string, a: LockedImage, b: LockedImage): LockFieldChange[] {
  const out: LockFieldChange[] = [];
  const add = (field: string, x: string | undefined, y: string | undefined) => {
    if (x !== y) out.push({ key, field, ...(x !== undefined ? { from: x } : {}), ...(y !== undefined ? { to: y } : {}) });
  };
  // The source's tag and digest are fields of their own; `repository` is the rest of it.
  add('repository', repositoryOf(a.source), repositoryOf(b.source));
  for (const f of SCALARS) add(f, str(a[f]), str(b[f]));
  const pa = new Map((a.platforms ?? []).map((p) => [p.platform, p.digest as string]));
  const pb = new Map((b.platforms ?? []).map((p) => [p.platform, p.digest as string]));
  for (const p of [...new Set([...pa.keys(), ...pb.keys()])].sort(compareKeys)) add(`platform ${p}`, pa.get(p), pb.get(p));
  add('keep_platforms', a.keep_platforms?.join(','), b.keep_platforms?.join(','));
  add('filtered_digest', a.filtered_digest, b.filtered_digest);
  // A hotfix shows as such: what it does, and the image it gives.
  add('modify', a.modify && JSON.stringify(a.modify.steps), b.modify && JSON.stringify(b.modify.steps));
  add('modification', a.modify?.modification, b.modify?.modification);
  add('modified result', a.modify?.result, b.modify?.result);
  // A signature added or replaced upstream shows as a referrer that came or went.
  const ra = new Set((a.referrers ?? []).map((r) => r.digest as string));
  const rb = new Set((b.referrers ?? []).map((r) => r.digest as string));
  for (const r of [...(a.referrers ?? []), ...(b.referrers ?? [])]) {
    if (ra.has(r.digest) === rb.has(r.digest)) continue;
    add(`referrer ${r.tag ?? r.artifactType ?? r.mediaType}`, ra.has(r.digest) ? r.digest : undefined, rb.has(r.digest) ? r.digest : undefined);
  }
  add('origin', JSON.stringify(a.origin), JSON.stringify(b.origin));
  return out;
}

function repositoryOf(source: string): string {
  try {
    return repositoryName(parseReference(source));
  } catch {
    return source;
  }
}

function str(v: unknown): string | undefined {
  return v === undefined ? undefined : String(v);
}

/**
 * The diff as text, one line per image in key order: `+ key SOURCE` (added),
 * `- key SOURCE` (removed), `~ key: tag v1 -> v2, digest a -> b` (changed). Empty when
 * nothing changed.
 */
export function formatLockDiff(d: LockDiff): string {
  const lines: { key: string; text: string }[] = [
    ...d.removed.map((e) => ({ key: e.key, text: `- ${e.key} ${e.image.source}` })),
    ...d.added.map((e) => ({ key: e.key, text: `+ ${e.key} ${e.image.source}` })),
  ];
  const byKey = new Map<string, LockFieldChange[]>();
  for (const c of d.changed) byKey.set(c.key, [...(byKey.get(c.key) ?? []), c]);
  for (const [key, changes] of byKey) {
    lines.push({ key, text: `~ ${key}: ${changes.map((c) => `${c.field} ${c.from ?? '(none)'} -> ${c.to ?? '(none)'}`).join(', ')}` });
  }
  lines.sort((x, y) => compareKeys(x.key, y.key));
  return lines.map((l) => `${l.text}\n`).join('');
}
