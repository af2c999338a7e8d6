/**
 * Finding an image's referrers where it is stored: cosign's tags beside it, and OCI 1.1
 * referrers through the referrers API or, where the backend has none, the tag schema's
 * index. What is found is described, not fetched: copying reads the bytes, verified.
 */
import type { Descriptor } from '../oci/descriptor.js';
import type { Digest } from '../oci/digest.js';
import { parseManifest } from '../oci/manifest.js';
import type { ContentReader } from '../transport/types.js';
import { chosen, cosignArtifactType, cosignKinds, cosignTag, tagSchemaTag, type Referrer, type ReferrerChoice } from './kinds.js';

/** A referrer descriptor as an index lists it. */
function ociReferrer(d: Descriptor): Referrer {
  return {
    scheme: 'oci',
    digest: d.digest,
    mediaType: d.mediaType,
    size: d.size,
    ...(d.artifactType ? { artifactType: d.artifactType } : {}),
    ...(d.annotations && Object.keys(d.annotations).length > 0 ? { annotations: d.annotations } : {}),
  };
}

/**
 * The OCI 1.1 referrers of `digest`: the backend's referrers API, else the index tagged
 * `sha256-<hex>` (the tag schema), else none.
 */
export async function ociReferrers(reader: ContentReader, repository: string, digest: Digest): Promise<Descriptor[]> {
  const listed = reader.listReferrers ? await reader.listReferrers(repository, digest) : [];
  if (listed !== null) return listed;
  const tag = tagSchemaTag(digest);
  const desc = await reader.headManifest(repository, tag);
  if (!desc) return [];
  const fetched = await reader.getManifest(repository, desc.digest, desc.digest);
  const m = parseManifest(fetched.bytes, fetched.mediaType);
  return m.kind === 'index' ? m.manifests : [];
}

/**
 * Every referrer of the image `digest` in `repository` that `choice` carries: cosign's tags
 * first (sig, att, sbom), then OCI referrers, each digest once.
 */
export async function discoverReferrers(reader: ContentReader, repository: string, digest: Digest, choice: ReferrerChoice): Promise<Referrer[]> {
  if (choice === 'none') return [];
  // Asked at once: on a registry each is a round trip of its own.
  const [cosign, oci] = await Promise.all([
    Promise.all(
      cosignKinds(choice).map(async (kind): Promise<Referrer | null> => {
        const tag = cosignTag(digest, kind);
        const d = await reader.headManifest(repository, tag);
        return d ? { scheme: 'cosign', digest: d.digest, mediaType: d.mediaType, size: d.size, artifactType: cosignArtifactType(kind), tag } : null;
      }),
    ),
    ociReferrers(reader, repository, digest),
  ]);
  const out = cosign.filter((r): r is Referrer => r !== null);
  const seen = new Set(out.map((r) => r.digest));
  for (const d of oci) {
    const r = ociReferrer(d);
    if (seen.has(r.digest) || !chosen(choice, r)) continue;
    seen.add(r.digest);
    out.push(r);
  }
  return out;
}
