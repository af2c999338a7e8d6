/** `airlock store verify`: every blob file re-hashed, every image checked for what it lacks. */
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import pLimit from 'p-limit';
import { AirlockError, ErrorCodes } from '../errors.js';
import { digestAlgorithm, digestHex, type Digest } from '../oci/digest.js';
import { storeIo } from '../transport/layout/fsutil.js';
import type { OciLayout } from '../transport/layout/layout.js';
import { blobFiles, type BlobFile } from './blob-files.js';
import { imageContent } from './content.js';

/** Options of a verification. */
export interface VerifyStoreOptions {
  /** Delete the damaged blob files, so the next pull fetches them again. */
  repair?: boolean;
  /** Called after each blob file is hashed. */
  onBlob?: (done: number, total: number, bytes: number) => void;
  signal?: AbortSignal;
  /** Files hashed at once (default 2). */
  concurrency?: number;
}

/** What a verification found. */
export interface StoreVerification {
  checked: number;
  bytes: number;
  /** Blob files whose bytes do not hash to their name. */
  damaged: { digest: Digest; path: string; removed: boolean }[];
  /** Digests named images need that the store does not hold whole, with the images that need them. */
  missing: { digest: Digest; images: string[] }[];
  /** With repair: the images whose names were removed because they lack content (the next pull copies them again). */
  unnamed: string[];
}

async function hashFile(file: BlobFile, signal: AbortSignal | undefined): Promise<string> {
  const hash = createHash(digestAlgorithm(file.digest));
  try {
    for await (const chunk of createReadStream(file.path, signal ? { signal } : {})) hash.update(chunk as Buffer);
  } catch (err) {
    if (signal?.aborted) throw signal.reason;
    throw storeIo(err, 'cannot read', file.path);
  }
  return hash.digest('hex');
}

/**
 * Re-hashes every blob file of the store and walks every named image. Damaged files are
 * reported (and, with `repair`, deleted: a blob is only ever named after it was verified, so
 * a damaged one is the disk's doing and fetching it again is the fix); with `repair`, the
 * images that lack content lose their names too, so the next pull copies them again (only
 * what is missing moves). Safe while other airlock processes use the store: it reads, and
 * deletes only files whose content is wrong.
 */
export async function verifyStore(layout: OciLayout, options: VerifyStoreOptions = {}): Promise<StoreVerification> {
  const files = await blobFiles(layout.dir);
  const result: StoreVerification = { checked: 0, bytes: 0, damaged: [], missing: [], unnamed: [] };
  const limit = pLimit(options.concurrency ?? 2);
  await Promise.all(
    files.map((file) =>
      limit(async () => {
        options.signal?.throwIfAborted();
        const hex = await hashFile(file, options.signal);
        result.checked++;
        result.bytes += file.size;
        if (hex !== digestHex(file.digest)) {
          let removed = false;
          if (options.repair) removed = await fs.unlink(file.path).then(() => true, () => false);
          result.damaged.push({ digest: file.digest, path: file.path, removed });
        }
        options.onBlob?.(result.checked, files.length, result.bytes);
      }),
    ),
  );
  result.damaged.sort((a, b) => (a.digest < b.digest ? -1 : 1));
  // What each image needs and lacks; a damaged file still present is lacking too.
  const users = new Map<Digest, string[]>();
  const lacking = new Set<Digest>(result.damaged.filter((d) => !d.removed).map((d) => d.digest));
  for (const ref of await layout.listRefs()) {
    const content = await imageContent(layout, ref.descriptor);
    for (const d of content.blobs.keys()) users.set(d, [...(users.get(d) ?? []), ref.name]);
    for (const d of content.missing) lacking.add(d);
  }
  for (const digest of lacking) {
    const images = users.get(digest);
    if (images) result.missing.push({ digest, images: [...new Set(images)].sort() });
  }
  result.missing.sort((a, b) => (a.digest < b.digest ? -1 : 1));
  if (options.repair) {
    // A name promises a whole image (a pull that finds it named copies nothing): take it back.
    result.unnamed = [...new Set(result.missing.flatMap((m) => m.images))].sort();
    for (const name of result.unnamed) await layout.removeRef(name);
  }
  return result;
}

/** STORE_DAMAGED when the verification found anything wrong; the message says what and what to do. */
export function storeProblem(v: StoreVerification, repaired: boolean): AirlockError | undefined {
  if (v.damaged.length === 0 && v.missing.length === 0) return undefined;
  const parts = [
    v.damaged.length > 0 ? `${v.damaged.length} damaged blob${v.damaged.length === 1 ? '' : 's'}${repaired ? ' (removed)' : ''}` : '',
    v.missing.length > 0 ? `${v.missing.length} blob${v.missing.length === 1 ? '' : 's'} missing for ${new Set(v.missing.flatMap((m) => m.images)).size} image(s)` : '',
  ].filter(Boolean);
  if (repaired && v.unnamed.length > 0) parts.push(`${v.unnamed.length} image name(s) removed until they are whole again`);
  const hint = repaired ? 'pull the images again to fetch what is missing' : 'run airlock store verify --repair, then pull the images again';
  return new AirlockError(ErrorCodes.STORE_DAMAGED, `store: ${parts.join(', ')}; ${hint}`, {
    damaged: v.damaged.map((d) => d.digest),
    missing: v.missing.map((m) => ({ digest: m.digest, images: m.images })),
  });
}
