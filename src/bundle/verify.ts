/** `airlock bundle verify`: every blob re-hashed, and the index, the lock and the checksum list checked against each other. */
import pLimit from 'p-limit';
import { AirlockError, ErrorCodes } from '../errors.js';
import { isDigest, type Digest } from '../oci/digest.js';
import { parseReference, formatReference } from '../ref/reference.js';
import { imageContent } from '../store/content.js';
import { BUNDLE_CHECKSUMS } from '../transport/archive/bundle-writer.js';
import { entryHash, openBundle } from './open.js';

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
}

/**
 * Verifies the bundle at `file` (see the module comment). Throws ARCHIVE_INVALID /
 * LAYOUT_INVALID / LOCK_INVALID when it cannot even be read; otherwise reports.
 */
export async function verifyBundle(file: string, opts: { signal?: AbortSignal; onBlob?: (done: number, total: number) => void } = {}): Promise<BundleVerification> {
  const b = await openBundle(file);
  const entries = b.layout.tar.entries;
  const hashes = new Map<string, string>();
  const blobEntries = [...entries.values()].filter((e) => e.name.startsWith('blobs/'));
  const result: BundleVerification = { file, images: 0, blobs: blobEntries.length, bytes: 0, damaged: [], missing: [], checksums: [], lock: [], airlock: Boolean(b.lock && b.checksums) };
  const limit = pLimit(2);
  let done = 0;
  await Promise.all(
    [...entries.values()].map((e) =>
      limit(async () => {
        if (e.name === BUNDLE_CHECKSUMS) return;
        const hex = await entryHash(file, e, opts.signal);
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
    for (const d of c.missing) needs.set(d, [...(needs.get(d) ?? []), r.name]);
  }
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
    for (const [key, image] of Object.entries(b.lock.images)) {
      const { digest: _d, ...ref } = parseReference(image.source);
      // As the store names it: by tag, else by digest.
      const name = ref.tag ? formatReference(ref) : `${formatReference(ref)}@${image.digest}`;
      const inIndex = byName.get(name);
      if (inIndex === undefined) result.lock.push(`${key}: ${name} is in the lock, not in the bundle`);
      else if (inIndex !== image.digest) result.lock.push(`${key}: the bundle has ${inIndex}, the lock ${image.digest}`);
    }
  }
  return result;
}

/** BUNDLE_DAMAGED when the verification found anything wrong, naming the kinds; undefined when whole. */
export function bundleProblem(v: BundleVerification): AirlockError | undefined {
  const parts = [
    v.damaged.length ? `${v.damaged.length} damaged blob(s)` : '',
    v.missing.length ? `${v.missing.length} blob(s) images need are missing` : '',
    v.checksums.length ? `${v.checksums.length} checksum disagreement(s)` : '',
    v.lock.length ? `${v.lock.length} lock disagreement(s)` : '',
  ].filter(Boolean);
  if (parts.length === 0) return undefined;
  return new AirlockError(ErrorCodes.BUNDLE_DAMAGED, `${v.file}: ${parts.join(', ')}; do not import it, bring it again`, {
    damaged: v.damaged,
    missing: v.missing,
    checksums: v.checksums,
    lock: v.lock,
  });
}
