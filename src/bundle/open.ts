/** A bundle opened for reading: its layout (read in place), and the lock and checksum list it carries. */
import { createHash } from 'node:crypto';
import { fastLock } from '../lock/read.js';
import { parseLock } from '../lock/parse.js';
import type { LockFile } from '../lock/types.js';
import { ArchiveLayout } from '../transport/archive/archive-layout.js';
import { BUNDLE_CHECKSUMS, BUNDLE_DIFFERENTIAL, BUNDLE_LOCK, type BundleAssumed } from '../transport/archive/bundle-writer.js';
import { AirlockError, ErrorCodes } from '../errors.js';
import { isDigest } from '../oci/digest.js';
import type { ByteSource } from '../transport/archive/byte-source.js';
import { readSourceRange } from '../transport/archive/byte-source.js';
import type { TarEntry } from '../transport/archive/tar-index.js';
import { VolumeSet } from '../transport/archive/volume-set.js';

/** An opened bundle. Archives other tools wrote (skopeo's oci-archive) have no lock or checksums. */
export interface OpenedBundle {
  file: string;
  layout: ArchiveLayout;
  lock?: LockFile;
  /** `path -> sha256 hex` from the checksum list. */
  checksums?: Map<string, string>;
  /** For a split bundle (opened by its images.bundle.json): its volumes. */
  volumes?: VolumeSet;
  /** For a differential bundle: the blobs it leaves out, which the target must hold. */
  assumed?: BundleAssumed;
}

/** The bytes of one entry (small files only: the lock, the checksum list). */
async function entryText(source: ByteSource, e: TarEntry): Promise<string> {
  return (await readSourceRange(source, e.offset, e.offset + e.size)).toString('utf8');
}

/** The sha256 hex of one entry's content, streamed. */
export async function entryHash(source: ByteSource, e: TarEntry, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  for await (const c of source.stream(e.offset, e.offset + e.size)) {
    signal?.throwIfAborted();
    hash.update(c as Buffer);
  }
  return hash.digest('hex');
}

/** The differential record of a bundle: ARCHIVE_INVALID when malformed. */
function parseAssumed(text: string, where: string): BundleAssumed {
  const bad = () => new AirlockError(ErrorCodes.ARCHIVE_INVALID, `${where}: malformed (the blobs left out and what they were left out against)`, { file: where });
  let v: BundleAssumed;
  try {
    v = JSON.parse(text) as BundleAssumed;
  } catch {
    throw bad();
  }
  if (typeof v?.against?.location !== 'string' || typeof v.blobs !== 'object' || v.blobs === null) throw bad();
  for (const [d, b] of Object.entries(v.blobs)) if (!isDigest(d) || !Number.isSafeInteger(b?.size)) throw bad();
  if (v.images !== undefined && (typeof v.images !== 'object' || v.images === null || !Object.values(v.images).every((d) => isDigest(d)))) throw bad();
  return v;
}

/**
 * Opens the bundle at `file`: ARCHIVE_INVALID for an unsafe or damaged tar, LAYOUT_INVALID
 * without an OCI layout, LOCK_INVALID for a carried lock that does not parse.
 */
export async function openBundle(file: string): Promise<OpenedBundle> {
  const layout = await ArchiveLayout.open(file);
  const out: OpenedBundle = { file, layout, ...(layout.source instanceof VolumeSet ? { volumes: layout.source } : {}) };
  const lockEntry = layout.tar.entries.get(BUNDLE_LOCK);
  if (lockEntry) {
    const text = await entryText(layout.source, lockEntry);
    out.lock = fastLock(text) ?? parseLock(text, `${file}:${BUNDLE_LOCK}`);
  }
  const diffEntry = layout.tar.entries.get(BUNDLE_DIFFERENTIAL);
  if (diffEntry) out.assumed = parseAssumed(await entryText(layout.source, diffEntry), `${file}:${BUNDLE_DIFFERENTIAL}`);
  const sumsEntry = layout.tar.entries.get(BUNDLE_CHECKSUMS);
  if (sumsEntry) {
    out.checksums = new Map();
    for (const line of (await entryText(layout.source, sumsEntry)).split('\n')) {
      const m = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
      if (m) out.checksums.set(m[2]!, m[1]!);
    }
  }
  return out;
}
