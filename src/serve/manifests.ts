/** Manifests as the registry serves them: by tag or digest, read once, shown to be manifests. */
import type { Descriptor } from '../oci/descriptor.js';
import { isDigest, type Digest } from '../oci/digest.js';
import type { LayoutContent } from '../transport/layout/content.js';
import { joinName } from '../transport/layout/names.js';
import { MAX_MANIFEST_BYTES } from './routes.js';

/** A manifest to answer with: its digest, its bytes (verified), its media type. */
export interface ServedManifest {
  digest: Digest;
  bytes: Buffer;
  mediaType: string;
}

/** `bytes` as a JSON object, or undefined. */
function jsonObject(bytes: Buffer): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(bytes.toString('utf8'));
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The manifest `reference` (a tag or a digest) names in repository `name`, read once, or null.
 * By digest: an image the layout names, or a child manifest (an index's platform image, in
 * no index entry): a stored blob that is a manifest, never a layer or a config.
 */
export async function readManifest(layout: LayoutContent, name: string, reference: string): Promise<ServedManifest | null> {
  let desc: Descriptor | null;
  if (isDigest(reference)) {
    desc = await layout.refs.byDigest(reference);
    if (!desc) {
      const size = await layout.hasBlob(reference);
      if (size === null || size > MAX_MANIFEST_BYTES) return null;
      desc = { mediaType: '', digest: reference, size };
    }
  } else {
    const ref = joinName({ repository: name, tag: reference });
    desc = ref === undefined ? null : await layout.findRef(ref);
  }
  if (!desc) return null;
  const bytes = await layout.readBytes(desc.digest as Digest, desc.size);
  const m = jsonObject(bytes);
  // Named entries are manifests by construction; a bare blob must show it is one.
  const isManifest = m !== undefined && m.schemaVersion === 2 && (Array.isArray(m.layers) || Array.isArray(m.manifests));
  if (desc.mediaType === '' && !isManifest) return null;
  // Its own mediaType, else its index entry's, else OCI's image manifest.
  const mediaType = typeof m?.mediaType === 'string' ? m.mediaType : desc.mediaType || 'application/vnd.oci.image.manifest.v1+json';
  return { digest: desc.digest as Digest, bytes, mediaType };
}

