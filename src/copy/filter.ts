import { AirlockError, ErrorCodes } from '../errors.js';
import type { Descriptor } from '../oci/descriptor.js';
import { digestOf } from '../oci/digest.js';
import type { IndexManifest } from '../oci/manifest.js';
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
