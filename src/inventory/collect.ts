/**
 * Lists what a registry (under a prefix), the store, a layout or a bundle holds, through the
 * one reader interface: repositories, their tags, every manifest they reach, and the configs
 * and layers those name.
 */
import pLimit from 'p-limit';
import type { Digest } from '../oci/digest.js';
import { childDescriptors, parseManifest } from '../oci/manifest.js';
import { isManifestMediaType } from '../oci/mediatypes.js';
import type { ContentReader } from '../transport/types.js';
import { INVENTORY_VERSION, type Inventory, type InventoryOf } from './types.js';

/** Options of collectInventory. */
export interface CollectOptions {
  /** Only repositories under this path prefix (`mirror` lists `mirror/...`). */
  prefix?: string;
  /** Check each blob is really there (layouts: a stat each); registries hold what their manifests name. */
  checkBlobs?: boolean;
  signal?: AbortSignal;
  /** Called after each repository. */
  onRepository?: (done: number, total: number) => void;
}

/** Reads everything `reader` holds (under `opts.prefix`) into an inventory. */
export async function collectInventory(reader: ContentReader, of: InventoryOf, opts: CollectOptions = {}): Promise<Inventory> {
  const out: Inventory = { airlockInventory: INVENTORY_VERSION, of, manifests: {}, blobs: {} };
  const prefix = opts.prefix ? `${opts.prefix.replace(/\/+$/, '')}/` : '';
  const repositories = (await reader.listRepositories()).filter((r) => r.startsWith(prefix)).sort();
  const seen = new Set<Digest>();
  const limit = pLimit(8);
  let done = 0;
  for (const repository of repositories) {
    opts.signal?.throwIfAborted();
    const tags = await reader.listTags(repository);
    const walk = async (reference: string, expected?: Digest): Promise<void> => {
      opts.signal?.throwIfAborted();
      const m = await reader.getManifest(repository, reference, expected);
      out.manifests[m.digest] = m.bytes.length;
      const children = childDescriptors(parseManifest(m.bytes, m.mediaType));
      await Promise.all(
        children.map(async (c) => {
          if (isManifestMediaType(c.mediaType)) {
            if (!seen.has(c.digest)) {
              seen.add(c.digest);
              await walk(c.digest, c.digest);
            }
            return;
          }
          if (out.blobs[c.digest]) return;
          if (opts.checkBlobs && (await reader.headBlob(repository, c.digest)) !== c.size) return;
          out.blobs[c.digest] = { size: c.size, ...(of.kind === 'registry' ? { repository } : {}) };
        }),
      );
    };
    await Promise.all(tags.map((t) => limit(() => walk(t))));
    opts.onRepository?.(++done, repositories.length);
  }
  return out;
}
