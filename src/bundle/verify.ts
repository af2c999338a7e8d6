/** `airlock bundle verify`: every blob re-hashed, and the index, the lock and the checksum list checked against each other. */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import * as path from 'node:path';
import pLimit from 'p-limit';
import { AirlockError, ErrorCodes } from '../errors.js';
import { isDigest, type Digest } from '../oci/digest.js';
import { parseReference, formatReference, repositoryName } from '../ref/reference.js';
import { imageContent } from '../store/content.js';
import { joinName } from '../transport/layout/names.js';
import { BUNDLE_CHECKSUMS } from '../transport/archive/bundle-writer.js';
import { indexTarSource } from '../transport/archive/tar-index.js';
import type { VolumeSet } from '../transport/archive/volume-set.js';
import { entryHash, openBundle, type OpenedBundle } from './open.js';

/** What a verification found; empty lists mean the bundle is whole. */
export interface BundleVerification {
  file: string;
  images: number;
  blobs: number;
  bytes: number;
  /** Blob entries whose bytes do not hash to their name. */
  damaged: Digest[];
  /** Digests images need that the bundle does not hold, with the images. */
  missing: { digest: Digest; images: string[] }[];
  /** Disagreements of the checksum list with the entries (missing entry, wrong hash, unlisted entry). */
  checksums: string[];
  /** Disagreements of the lock with the index (an image missing, another digest). */
  lock: string[];
  /** True when the bundle carries a lock and a checksum list (airlock wrote it). */
  airlock: boolean;
  /** For a differential bundle: how many blobs it leaves out, and against what. */
  assumed?: { against: { kind: string; location: string }; blobs: number };
  /** A split bundle's volumes that are missing, cut, damaged or from another bundle, with the images that need them. */
  volumes: { file: string; problem: string; images: string[] }[];
}

/** sha256 hex of a whole file, streamed. */
async function fileSha256(file: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  for await (const c of createReadStream(file, signal ? { signal } : {})) hash.update(c as Buffer);
  return hash.digest('hex');
}

/**
 * Checks every volume of a split bundle (present, its size, its sha256) and, when all are
 * sound, that the tar headers across them give the entry table images.bundle.json records.
 */
async function verifyVolumes(b: OpenedBundle, set: VolumeSet, signal?: AbortSignal): Promise<BundleVerification['volumes']> {
  const problems: { index: number; problem: string }[] = (await set.problems()).map((p) => ({
    index: p.index,
    problem: p.why === 'missing' ? 'missing' : `${p.found} bytes, listed as ${set.manifest.volumes[p.index]!.size} (cut short or from another bundle)`,
  }));
  const bad = new Set(problems.map((p) => p.index));
  for (const [index, v] of set.manifest.volumes.entries()) {
    if (bad.has(index)) continue;
    const hex = await fileSha256(set.pathOf(index), signal);
    if (hex !== v.sha256) problems.push({ index, problem: `sha256 ${hex}, listed as ${v.sha256} (damaged, or a volume of another bundle)` });
  }
  if (problems.length === 0) {
    const read = await indexTarSource(set).finally(() => set.close());
    const recorded = b.layout.tar.entries;
    const same = read.entries.size === recorded.size && [...read.entries.values()].every((e) => {
      const r = recorded.get(e.name);
      return r !== undefined && r.offset === e.offset && r.size === e.size;
    });
    if (!same) problems.push({ index: -1, problem: 'the entry table in the volume list does not match the tar headers in the volumes' });
    return problems.map((p) => ({ file: path.basename(set.file), problem: p.problem, images: [] }));
  }
  // Which volumes each image needs (a blob lying even in part in one), worked out once.
  const byBlob = new Map<string, number[]>();
  for (const e of b.layout.tar.entries.values()) byBlob.set(e.name, set.volumesOf(e.offset, e.offset + e.size));
  const needs: { name: string; volumes: Set<number> }[] = [];
  for (const r of await b.layout.listRefs()) {
    const c = await imageContent(b.layout, r.descriptor);
    needs.push({ name: r.name, volumes: new Set([r.descriptor.digest, ...c.blobs.keys()].flatMap((d) => byBlob.get(`blobs/${d.replace(':', '/')}`) ?? [])) });
  }
  return problems
    .sort((x, y) => x.index - y.index)
    .map((p) => ({ file: set.manifest.volumes[p.index]!.file, problem: p.problem, images: needs.filter((n) => n.volumes.has(p.index)).map((n) => n.name) }));
}

/**
 * Verifies the bundle at `file` (see the module comment). Throws ARCHIVE_INVALID /
 * LAYOUT_INVALID / LOCK_INVALID when it cannot even be read; otherwise reports.
 */
export async function verifyBundle(file: string, opts: { signal?: AbortSignal; onBlob?: (done: number, total: number) => void } = {}): Promise<BundleVerification> {
  const b = await openBundle(file);
  const entries = b.layout.tar.entries;
  if (b.volumes) {
    const volumes = await verifyVolumes(b, b.volumes, opts.signal);
    // With a volume missing or unsound, what its entries hold cannot be read or trusted: report the volumes alone.
    if (volumes.length > 0) {
      return { file, images: (await b.layout.listRefs()).length, blobs: 0, bytes: 0, damaged: [], missing: [], checksums: [], lock: [], airlock: Boolean(b.lock && b.checksums), volumes };
    }
  }
  const hashes = new Map<string, string>();
  const blobEntries = [...entries.values()].filter((e) => e.name.startsWith('blobs/'));
  const result: BundleVerification = { file, images: 0, blobs: blobEntries.length, bytes: 0, damaged: [], missing: [], checksums: [], lock: [], airlock: Boolean(b.lock && b.checksums), volumes: [] };
  const limit = pLimit(2);
  let done = 0;
  await Promise.all(
    [...entries.values()].map((e) =>
      limit(async () => {
        if (e.name === BUNDLE_CHECKSUMS) return;
        const hex = await entryHash(b.layout.source, e, opts.signal);
        hashes.set(e.name, hex);
        if (e.name.startsWith('blobs/')) {
          const [, alg, name] = e.name.split('/');
          const digest = `${alg}:${name}`;
          result.bytes += e.size;
          if (!isDigest(digest) || (alg === 'sha256' && name !== hex)) result.damaged.push(digest as Digest);
          opts.onBlob?.(++done, blobEntries.length);
        }
      }),
    ),
  );
  result.damaged.sort();
  const refs = await b.layout.listRefs();
  result.images = refs.length;
  const needs = new Map<Digest, string[]>();
  for (const r of refs) {
    const c = await imageContent(b.layout, r.descriptor);
    for (const d of c.missing) if (!b.assumed?.blobs[d]) needs.set(d, [...(needs.get(d) ?? []), r.name]);
  }
  if (b.assumed) result.assumed = { against: b.assumed.against, blobs: Object.keys(b.assumed.blobs).length };
  result.missing = [...needs].map(([digest, images]) => ({ digest, images })).sort((x, y) => (x.digest < y.digest ? -1 : 1));
  if (b.checksums) {
    for (const [name, hex] of b.checksums) {
      const got = hashes.get(name);
      if (got === undefined) result.checksums.push(`${name}: listed, not in the bundle`);
      else if (got !== hex) result.checksums.push(`${name}: sha256 ${got}, the list says ${hex}`);
    }
    for (const name of hashes.keys()) if (!b.checksums.has(name)) result.checksums.push(`${name}: in the bundle, not in the checksum list`);
  }
  if (b.lock) {
    const byName = new Map(refs.map((r) => [r.name, r.descriptor.digest]));
    const held = new Set(Object.values(b.assumed?.images ?? {}));
    for (const [key, image] of Object.entries(b.lock.images)) {
      if (held.has(image.digest) || (image.filtered_digest && held.has(image.filtered_digest))) continue; // on the target already, left out on purpose
      const { digest: _d, ...ref } = parseReference(image.source);
      // As the store names it: by tag, else by digest.
      const name = ref.tag ? formatReference(ref) : `${formatReference(ref)}@${image.digest}`;
      const inIndex = byName.get(name);
      if (inIndex === undefined) result.lock.push(`${key}: ${name} is in the lock, not in the bundle`);
      else if (inIndex !== image.digest) result.lock.push(`${key}: the bundle has ${inIndex}, the lock ${image.digest}`);
      // Referrers beside it: cosign's by their tag, OCI's by digest, as the store names them.
      const repository = repositoryName(ref);
      for (const r of image.referrers ?? []) {
        const at = (r.tag !== undefined ? joinName({ repository, tag: r.tag }) : joinName({ repository, digest: r.digest }))!;
        if (byName.get(at) !== r.digest) result.lock.push(`${key}: its referrer ${r.tag ?? r.digest} (${r.artifactType ?? r.mediaType}) is in the lock, not in the bundle`);
      }
    }
  }
  return result;
}

/** BUNDLE_DAMAGED when the verification found anything wrong, naming the kinds; undefined when whole. */
export function bundleProblem(v: BundleVerification): AirlockError | undefined {
  const parts = [
    v.volumes.length ? `${v.volumes.length} volume(s) missing or unsound (${v.volumes.map((x) => x.file).join(', ')})` : '',
    v.damaged.length ? `${v.damaged.length} damaged blob(s)` : '',
    v.missing.length ? `${v.missing.length} blob(s) images need are missing` : '',
    v.checksums.length ? `${v.checksums.length} checksum disagreement(s)` : '',
    v.lock.length ? `${v.lock.length} lock disagreement(s)` : '',
  ].filter(Boolean);
  if (parts.length === 0) return undefined;
  const code = v.volumes.length > 0 && v.volumes.every((x) => x.problem === 'missing') ? ErrorCodes.VOLUME_MISSING : ErrorCodes.BUNDLE_DAMAGED;
  const advice = v.volumes.length > 0 ? 'bring those volumes again (only those), then verify again' : 'do not import it, bring it again';
  return new AirlockError(code, `${v.file}: ${parts.join(', ')}; ${advice}`, {
    volumes: v.volumes,
    damaged: v.damaged,
    missing: v.missing,
    checksums: v.checksums,
    lock: v.lock,
  });
}
