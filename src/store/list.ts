/** `airlock store ls`: the images a store names, what they hold, and what they share. */
import type { Digest } from '../oci/digest.js';
import type { OciLayout } from '../transport/layout/layout.js';
import { blobFiles } from './blob-files.js';
import { imageContent, reachable, unnamedRoots } from './content.js';

/** One named image of the store. */
export interface StoredImage {
  name: string;
  digest: Digest;
  mediaType: string;
  platforms: string[];
  /** Bytes of every distinct digest the image reaches. */
  bytes: number;
  /** Of those, bytes another named image reaches too. */
  sharedBytes: number;
  /** Digests it names that the store lacks (a partial pull, a damaged blob). */
  missing: Digest[];
}

/** What a store holds. */
export interface StoreListing {
  images: StoredImage[];
  /** Blob files on disk. */
  blobs: { count: number; bytes: number };
  /** Blob files no named image reaches (prune removes them). */
  unreferenced: { count: number; bytes: number };
}

/** Lists the store's named images in name order, with sizes, sharing and what is missing. */
export async function listStore(layout: OciLayout): Promise<StoreListing> {
  const refs = (await layout.listRefs()).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const contents = await Promise.all(refs.map((r) => imageContent(layout, r.descriptor)));
  const users = new Map<Digest, number>();
  for (const c of contents) for (const d of c.blobs.keys()) users.set(d, (users.get(d) ?? 0) + 1);
  // Unnamed index entries (an `oci:DIR` copy without a name) keep their content too.
  for (const d of await reachable(layout, await unnamedRoots(layout))) if (!users.has(d)) users.set(d, 0);
  const images = refs.map((r, i): StoredImage => {
    const c = contents[i]!;
    let bytes = 0;
    let sharedBytes = 0;
    for (const [d, size] of c.blobs) {
      bytes += size;
      if ((users.get(d) ?? 0) > 1) sharedBytes += size;
    }
    return { name: r.name, digest: r.descriptor.digest, mediaType: r.descriptor.mediaType, platforms: c.platforms, bytes, sharedBytes, missing: c.missing };
  });
  const files = await blobFiles(layout.dir);
  const loose = files.filter((f) => !users.has(f.digest));
  const sum = (xs: { size: number }[]) => xs.reduce((n, f) => n + f.size, 0);
  return { images, blobs: { count: files.length, bytes: sum(files) }, unreferenced: { count: loose.length, bytes: sum(loose) } };
}
