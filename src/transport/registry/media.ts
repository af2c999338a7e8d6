import { MediaTypes } from '../../oci/mediatypes.js';

const GENERIC = new Set(['', 'application/json', 'text/plain', 'application/octet-stream', 'binary/octet-stream']);

/**
 * The media type of fetched manifest bytes: the `mediaType` field inside when present,
 * else a specific Content-Type, else guessed from the shape (OCI allows omitting the field).
 * Never throws; parsing and refusing unsupported types is the manifest parser's job.
 */
export function manifestMediaType(bytes: Uint8Array, contentType: string | undefined): string {
  const declared = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  let json: Record<string, unknown> | undefined;
  try {
    const parsed = JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown;
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) json = parsed as Record<string, unknown>;
  } catch {
    // Not JSON: the declared type is all there is.
  }
  if (json && typeof json.mediaType === 'string' && json.mediaType !== '') return json.mediaType;
  if (!GENERIC.has(declared)) return declared;
  if (json && Array.isArray(json.manifests)) return MediaTypes.ociIndex;
  if (json && json.config) return MediaTypes.ociManifest;
  return declared || 'application/octet-stream';
}
