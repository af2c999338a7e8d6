/** `airlock store prune`: drop the images no lock names, then the blobs nothing reaches. */
import { promises as fs } from 'node:fs';
import type { Digest } from '../oci/digest.js';
import { INGEST_STALE_MS } from '../transport/layout/blobs.js';
import { entryName } from '../transport/layout/index-file.js';
import type { OciLayout } from '../transport/layout/layout.js';
import { blobFiles } from './blob-files.js';
import { reachable } from './content.js';

/** Options of a prune. */
export interface PruneStoreOptions {
  /** True for the image names to keep. */
  keep: (name: string) => boolean;
  /** Report what would go, remove nothing. */
  dryRun?: boolean;
  /**
   * Blob files written or reused more recently than this are kept even when unreferenced: a
   * copy in another process may be about to name them (default: an hour, as for abandoned
   * ingest files).
   */
  graceMs?: number;
  /** The time to count the grace from (tests). */
  now?: number;
}

/** What a prune removed (or, dry, would remove). */
export interface StorePrune {
  images: string[];
  blobs: { digest: Digest; size: number }[];
  bytes: number;
  /** Unreferenced blob files kept because they are recent. */
  keptRecent: number;
}

/**
 * Removes every named image `keep` rejects, then every blob file no remaining index entry
 * reaches (named or not) and older than the grace period. Safe while other airlock processes
 * use the store: index.json changes under its lock, and a blob another process is writing
 * or reusing is recent (writers touch the blobs they find in place).
 */
export async function pruneStore(layout: OciLayout, options: PruneStoreOptions): Promise<StorePrune> {
  const index = await layout.readIndex();
  const drop = [...new Set(index.manifests.map(entryName).filter((n): n is string => n !== undefined && !options.keep(n)))].sort();
  if (!options.dryRun) for (const name of drop) await layout.removeRef(name);
  const dropping = new Set(drop);
  const remaining = options.dryRun ? index.manifests.filter((m) => !dropping.has(entryName(m) ?? '')) : (await layout.readIndex()).manifests;
  const keepDigests = await reachable(layout, remaining);
  const cutoff = (options.now ?? Date.now()) - (options.graceMs ?? INGEST_STALE_MS);
  const out: StorePrune = { images: drop, blobs: [], bytes: 0, keptRecent: 0 };
  for (const f of await blobFiles(layout.dir)) {
    if (keepDigests.has(f.digest)) continue;
    if (f.mtimeMs > cutoff) {
      out.keptRecent++;
      continue;
    }
    if (!options.dryRun) await fs.unlink(f.path).catch(() => undefined);
    out.blobs.push({ digest: f.digest, size: f.size });
    out.bytes += f.size;
  }
  return out;
}
