import { AirlockError, ErrorCodes } from '../errors.js';
import type { Descriptor } from '../oci/descriptor.js';
import { digestOf, type Digest } from '../oci/digest.js';
import { parseManifest, type IndexManifest } from '../oci/manifest.js';
import { isIndexMediaType } from '../oci/mediatypes.js';
import type { Source } from '../transport/types.js';
import { formatPlatform, platformMatches, type Platform } from '../oci/platform.js';

/** A manifest to write: exact bytes and the descriptor naming them. */
export interface ManifestBytes {
  bytes: Buffer;
  desc: Descriptor;
}

/**
 * Keeps only the children of an index that match one of `wanted`, and returns new index
 * bytes (same fields, same order, `manifests` filtered) with their new descriptor.
 * Throws PLATFORM_NOT_FOUND when nothing matches.
 */
export function filterIndex(original: Buffer, index: IndexManifest, wanted: Platform[]): ManifestBytes & { kept: Descriptor[] } {
  const kept = index.manifests.filter((m) => wanted.some((w) => platformMatches(w, m.platform)));
  if (kept.length === 0) {
    const have = index.manifests.map((m) => (m.platform ? formatPlatform(m.platform) : '?')).join(', ');
    throw new AirlockError(
      ErrorCodes.PLATFORM_NOT_FOUND,
      `none of ${wanted.map(formatPlatform).join(', ')} is in the index (it has ${have})`,
      { wanted: wanted.map(formatPlatform) },
    );
  }
  const keptDigests = new Set<string>(kept.map((m) => m.digest));
  const json = JSON.parse(original.toString('utf8')) as { manifests: { digest: string }[] };
  json.manifests = json.manifests.filter((m) => keptDigests.has(m.digest));
  const bytes = Buffer.from(JSON.stringify(json, null, 2));
  return { bytes, desc: { mediaType: index.mediaType, digest: digestOf(bytes), size: bytes.length }, kept };
}

/**
 * The digest a copy of `source` with `platforms` kept names at the destination (no format
 * conversion): the filtered index's, or the root's when nothing is filtered. So a lock can
 * pin a result before anything is written.
 */
export async function keptDigest(source: Source, platforms: readonly Platform[] | undefined): Promise<Digest> {
  const root = await source.resolve();
  if (!platforms || platforms.length === 0 || !isIndexMediaType(root.mediaType)) return root.digest;
  const fetched = await source.getManifest(root.digest);
  const m = parseManifest(fetched.bytes, fetched.mediaType);
  return m.kind === 'index' ? filterIndex(fetched.bytes, m, [...platforms]).desc.digest : root.digest;
}
