import { AirlockError, ErrorCodes } from '../errors.js';
import type { Descriptor } from '../oci/descriptor.js';
import { digestOf } from '../oci/digest.js';
import type { Manifest } from '../oci/manifest.js';
import { MediaTypes } from '../oci/mediatypes.js';
import type { SinkCapabilities } from '../transport/types.js';
import type { ManifestBytes } from './filter.js';

// OCI media types and their Docker v2 schema 2 counterparts (the pairs containers/image converts).
const PAIRS: ReadonlyArray<readonly [oci: string, docker: string]> = [
  [MediaTypes.ociManifest, MediaTypes.dockerManifest],
  [MediaTypes.ociIndex, MediaTypes.dockerManifestList],
  [MediaTypes.ociConfig, MediaTypes.dockerConfig],
  [MediaTypes.ociLayerGzip, MediaTypes.dockerLayerGzip],
  [MediaTypes.ociLayerNondistributableGzip, MediaTypes.dockerForeignLayerGzip],
];
const TO_DOCKER = new Map(PAIRS.map(([o, d]) => [o, d]));
const TO_OCI = new Map(PAIRS.map(([o, d]) => [d, o]));

/** The manifest media types of each format, as `--format` names them. */
export const MANIFEST_FORMATS = {
  oci: [MediaTypes.ociManifest, MediaTypes.ociIndex],
  v2s2: [MediaTypes.dockerManifest, MediaTypes.dockerManifestList],
} as const satisfies Record<string, readonly string[]>;

/** A manifest format name: `oci` or `v2s2` (Docker v2 schema 2). */
export type ManifestFormat = keyof typeof MANIFEST_FORMATS;

/** True when `caps` accepts manifests of `mediaType` as they are. */
export function accepts(caps: SinkCapabilities, mediaType: string): boolean {
  return caps.manifestTypes === undefined || caps.manifestTypes.includes(mediaType);
}

/** `caps` further restricted to one manifest format (none: unchanged). */
export function restrictToFormat(caps: SinkCapabilities, format: ManifestFormat | undefined): SinkCapabilities {
  if (!format) return caps;
  const wanted: readonly string[] = MANIFEST_FORMATS[format];
  const types = caps.manifestTypes ? caps.manifestTypes.filter((t) => wanted.includes(t)) : [...wanted];
  return { ...caps, manifestTypes: types };
}

function unsupported(message: string, mediaType: string): AirlockError {
  return new AirlockError(ErrorCodes.MEDIA_TYPE_UNSUPPORTED, message, { mediaType });
}

/** The media type a manifest of `mediaType` is written as: itself when accepted, else its counterpart when that is. */
function targetType(mediaType: string, caps: SinkCapabilities): string {
  if (accepts(caps, mediaType)) return mediaType;
  const other = TO_DOCKER.get(mediaType) ?? TO_OCI.get(mediaType);
  if (other && accepts(caps, other)) return other;
  throw unsupported(`the destination does not accept ${mediaType} manifests (it takes ${caps.manifestTypes!.join(', ')})`, mediaType);
}

/** A content descriptor (config or layer) as the other format names it; unknown types stay when already right. */
function convertDescriptor(d: Record<string, unknown>, toDocker: boolean): Record<string, unknown> {
  const type = String(d.mediaType);
  const map = toDocker ? TO_DOCKER : TO_OCI;
  const mapped = map.get(type);
  if (mapped) return { ...d, mediaType: mapped };
  // Already of the target format (an OCI manifest may list Docker layer types).
  if ((toDocker ? TO_OCI : TO_DOCKER).has(type)) return d;
  throw unsupported(`${type} has no ${toDocker ? 'Docker v2 schema 2' : 'OCI'} equivalent; the image cannot be converted`, type);
}

/**
 * The manifest as a destination with `caps` accepts it. Unchanged (the same bytes) when its
 * media type is accepted and, for an index, no child was rewritten. Otherwise converted
 * between OCI and Docker v2 schema 2 (config and layer media types mapped; annotations,
 * which Docker manifests cannot hold, dropped), and an index's entries pointed at the
 * children as written (`writtenChildren`, in order). Blob bytes never change, so configs
 * and layers keep their digests. MEDIA_TYPE_UNSUPPORTED when no accepted form exists
 * (zstd or uncompressed layers, artifacts with a subject, to Docker).
 */
export function adaptManifest(
  original: ManifestBytes,
  parsed: Manifest,
  caps: SinkCapabilities,
  writtenChildren?: readonly Descriptor[],
): ManifestBytes {
  const target = targetType(parsed.mediaType, caps);
  const children = parsed.kind === 'index' ? (writtenChildren ?? parsed.manifests) : [];
  const childrenMoved = parsed.kind === 'index' && children.some((w, i) => w.digest !== parsed.manifests[i]!.digest);
  if (target === parsed.mediaType && !childrenMoved) return original;
  const toDocker = target === MediaTypes.dockerManifest || target === MediaTypes.dockerManifestList;
  const converting = target !== parsed.mediaType;
  const json = JSON.parse(original.bytes.toString('utf8')) as Record<string, unknown>;
  if (converting && toDocker) {
    if (json.subject !== undefined || json.artifactType !== undefined) {
      throw unsupported(`${original.desc.digest} is an artifact (subject/artifactType): Docker v2 schema 2 cannot hold it`, parsed.mediaType);
    }
    delete json.annotations;
  }
  json.mediaType = target;
  if (parsed.kind === 'image') {
    if (converting) {
      json.config = convertDescriptor(json.config as Record<string, unknown>, toDocker);
      json.layers = (json.layers as Record<string, unknown>[]).map((l) => convertDescriptor(l, toDocker));
    }
  } else {
    json.manifests = (json.manifests as Record<string, unknown>[]).map((entry, i) => {
      const w = children[i]!;
      const out: Record<string, unknown> = { ...entry, mediaType: w.mediaType, digest: w.digest, size: w.size };
      if (converting && toDocker) delete out.annotations;
      return out;
    });
  }
  const bytes = Buffer.from(JSON.stringify(json));
  return { bytes, desc: { ...original.desc, mediaType: target, digest: digestOf(bytes), size: bytes.length } };
}
