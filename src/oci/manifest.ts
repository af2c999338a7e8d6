import { AirlockError, ErrorCodes } from '../errors.js';
import type { Descriptor } from './descriptor.js';
import { isDigest, type Digest } from './digest.js';
import { IMAGE_MANIFEST_TYPES, INDEX_MANIFEST_TYPES, MediaTypes, SCHEMA1_TYPES } from './mediatypes.js';
import type { Platform } from './platform.js';

/** Largest manifest airlock accepts (the limit Distribution and containerd use). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/** A single-image manifest (OCI or Docker v2 schema 2). */
export interface ImageManifest {
  kind: 'image';
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** An index or Docker manifest list. */
export interface IndexManifest {
  kind: 'index';
  mediaType: string;
  manifests: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export type Manifest = ImageManifest | IndexManifest;

/** The subset of an image config airlock reads. */
export interface ImageConfig {
  architecture?: string;
  os?: string;
  variant?: string;
  config?: { Labels?: Record<string, string> | null };
  rootfs?: { type: string; diff_ids: string[] };
}

function invalid(message: string, details: Record<string, unknown> = {}): AirlockError {
  return new AirlockError(ErrorCodes.MANIFEST_INVALID, message, details);
}

function parseDescriptor(v: unknown, where: string): Descriptor {
  if (typeof v !== 'object' || v === null) throw invalid(`${where}: descriptor is not an object`);
  const d = v as Record<string, unknown>;
  if (typeof d.mediaType !== 'string' || d.mediaType === '') throw invalid(`${where}: descriptor has no mediaType`);
  if (typeof d.digest !== 'string' || !isDigest(d.digest)) throw invalid(`${where}: descriptor digest is invalid`);
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) {
    throw invalid(`${where}: descriptor size is invalid`);
  }
  const out: Descriptor = { mediaType: d.mediaType, digest: d.digest as Digest, size: d.size };
  if (d.annotations && typeof d.annotations === 'object') out.annotations = d.annotations as Record<string, string>;
  if (d.platform && typeof d.platform === 'object') out.platform = d.platform as Platform;
  if (Array.isArray(d.urls)) out.urls = d.urls as string[];
  if (typeof d.artifactType === 'string') out.artifactType = d.artifactType;
  return out;
}

/**
 * Parses manifest bytes. `declaredType` is the Content-Type (or descriptor media type)
 * it arrived with; the `mediaType` field inside wins when present. Schema 1 is refused
 * with MANIFEST_SCHEMA1_UNSUPPORTED, unknown types with MEDIA_TYPE_UNSUPPORTED.
 */
export function parseManifest(bytes: Uint8Array, declaredType?: string): Manifest {
  if (bytes.byteLength > MAX_MANIFEST_BYTES) {
    throw new AirlockError(ErrorCodes.MANIFEST_TOO_LARGE, `manifest is ${bytes.byteLength} bytes, limit is ${MAX_MANIFEST_BYTES}`);
  }
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, unknown>;
  } catch {
    throw invalid('manifest is not valid JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw invalid('manifest is not a JSON object');
  const declared = declaredType?.split(';')[0]?.trim();
  if (json.schemaVersion === 1 || (declared && SCHEMA1_TYPES.includes(declared))) {
    throw new AirlockError(
      ErrorCodes.MANIFEST_SCHEMA1_UNSUPPORTED,
      'Docker schema 1 manifests are not supported; push the image again with a current client',
    );
  }
  let mediaType = typeof json.mediaType === 'string' ? json.mediaType : declared;
  // An OCI manifest may omit mediaType; its shape tells which it is.
  if (!mediaType || mediaType === 'application/json' || mediaType === 'application/octet-stream') {
    if (Array.isArray(json.manifests)) mediaType = MediaTypes.ociIndex;
    else if (json.config) mediaType = MediaTypes.ociManifest;
  }
  if (!mediaType) throw invalid('manifest has no media type');
  if (json.schemaVersion !== 2) throw invalid(`manifest schemaVersion is ${String(json.schemaVersion)}, expected 2`);
  const subject = json.subject ? parseDescriptor(json.subject, 'subject') : undefined;
  const annotations = (json.annotations as Record<string, string> | undefined) ?? undefined;

  if (IMAGE_MANIFEST_TYPES.includes(mediaType)) {
    if (!Array.isArray(json.layers)) throw invalid('image manifest has no layers array');
    return {
      kind: 'image',
      mediaType,
      config: parseDescriptor(json.config, 'config'),
      layers: json.layers.map((l, i) => parseDescriptor(l, `layers[${i}]`)),
      ...(subject ? { subject } : {}),
      ...(annotations ? { annotations } : {}),
    };
  }
  if (INDEX_MANIFEST_TYPES.includes(mediaType)) {
    if (!Array.isArray(json.manifests)) throw invalid('index has no manifests array');
    return {
      kind: 'index',
      mediaType,
      manifests: json.manifests.map((m, i) => parseDescriptor(m, `manifests[${i}]`)),
      ...(subject ? { subject } : {}),
      ...(annotations ? { annotations } : {}),
    };
  }
  throw new AirlockError(ErrorCodes.MEDIA_TYPE_UNSUPPORTED, `unsupported manifest media type "${mediaType}"`, {
    mediaType,
  });
}

/** Parses image config bytes (labels, platform). */
export function parseImageConfig(bytes: Uint8Array): ImageConfig {
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8')) as ImageConfig;
  } catch {
    throw new AirlockError(ErrorCodes.MANIFEST_INVALID, 'image config is not valid JSON');
  }
}

/** Children of a manifest in copy order: for an image, config then layers; for an index, its manifests. */
export function childDescriptors(m: Manifest): Descriptor[] {
  return m.kind === 'image' ? [m.config, ...m.layers] : [...m.manifests];
}
