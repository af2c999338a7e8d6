import { AirlockError, ErrorCodes } from '../../errors.js';
import { Annotations, type Descriptor } from '../../oci/descriptor.js';
import { isDigest } from '../../oci/digest.js';
import { MediaTypes } from '../../oci/mediatypes.js';

/** The layout's top-level index. */
export const INDEX_FILE = 'index.json';

/** The parsed `index.json`. Unknown fields are kept and written back unchanged. */
export interface LayoutIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
  [key: string]: unknown;
}

/** One named entry of `index.json`. */
export interface LayoutRef {
  name: string;
  descriptor: Descriptor;
}

/** A LAYOUT_INVALID error. */
export function layoutInvalid(message: string, details: Record<string, unknown>, cause?: unknown): AirlockError {
  return new AirlockError(ErrorCodes.LAYOUT_INVALID, message, details, cause === undefined ? undefined : { cause });
}

/** The name an index entry carries: its ref.name annotation, else its containerd image name. */
export function entryName(desc: Descriptor): string | undefined {
  return desc.annotations?.[Annotations.refName] ?? desc.annotations?.[Annotations.containerdName];
}

/** A copy of `desc` without the naming annotations index.json adds (the image itself, not its name). */
export function withoutRefAnnotations(desc: Descriptor): Descriptor {
  const { annotations, ...rest } = desc;
  if (!annotations) return { ...rest };
  const kept = Object.fromEntries(
    Object.entries(annotations).filter(([k]) => k !== Annotations.refName && k !== Annotations.containerdName),
  );
  return Object.keys(kept).length > 0 ? { ...rest, annotations: kept } : { ...rest };
}

/** `desc` named `name`: both `org.opencontainers.image.ref.name` and `io.containerd.image.name`. */
export function namedEntry(name: string, desc: Descriptor): Descriptor {
  const base = withoutRefAnnotations(desc);
  return { ...base, annotations: { ...base.annotations, [Annotations.refName]: name, [Annotations.containerdName]: name } };
}

function checkDescriptor(v: unknown, where: string, file: string): void {
  const d = v as Record<string, unknown> | null;
  const ok =
    typeof d === 'object' &&
    d !== null &&
    typeof d.mediaType === 'string' &&
    typeof d.digest === 'string' &&
    isDigest(d.digest) &&
    typeof d.size === 'number' &&
    Number.isSafeInteger(d.size) &&
    d.size >= 0 &&
    (d.annotations === undefined || (typeof d.annotations === 'object' && d.annotations !== null));
  if (!ok) throw layoutInvalid(`${file}: ${where} is not a valid descriptor`, { path: file });
}

/** Parses and checks index.json bytes; throws LAYOUT_INVALID when they are not an OCI index. */
export function parseLayoutIndex(bytes: Uint8Array, file = INDEX_FILE): LayoutIndex {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (err) {
    throw layoutInvalid(`${file} is not valid JSON`, { path: file }, err);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw layoutInvalid(`${file} is not a JSON object`, { path: file });
  const idx = json as Record<string, unknown>;
  if (idx.schemaVersion !== 2) throw layoutInvalid(`${file}: schemaVersion must be 2`, { path: file });
  if (!Array.isArray(idx.manifests)) throw layoutInvalid(`${file}: manifests is not an array`, { path: file });
  idx.manifests.forEach((m, i) => checkDescriptor(m, `manifests[${i}]`, file));
  return idx as LayoutIndex;
}

/** Checks an index before it is written: never write one we would refuse to read. */
export function checkLayoutIndex(index: LayoutIndex, file = INDEX_FILE): void {
  if (index.schemaVersion !== 2 || !Array.isArray(index.manifests)) throw layoutInvalid(`${file}: refusing to write an invalid index`, { path: file });
  index.manifests.forEach((m, i) => checkDescriptor(m, `manifests[${i}]`, file));
}

/** index.json bytes with the usual key order first; other keys follow as they were. */
export function serialiseIndex(index: LayoutIndex): string {
  const { schemaVersion, mediaType, manifests, annotations, ...rest } = index;
  return JSON.stringify({
    schemaVersion,
    ...(mediaType !== undefined ? { mediaType } : {}),
    manifests,
    ...(annotations !== undefined ? { annotations } : {}),
    ...rest,
  });
}

/** An index with no images. */
export function emptyIndex(): LayoutIndex {
  return { schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [] };
}

/**
 * Names `desc` as `name` in `index` (in place): the entry whose ref.name equals `name` is
 * replaced where it stands (duplicates dropped), else the entry is appended.
 */
export function setRefIn(index: LayoutIndex, name: string, desc: Descriptor): void {
  const entry = namedEntry(name, desc);
  let placed = false;
  const out: Descriptor[] = [];
  for (const m of index.manifests) {
    if (m.annotations?.[Annotations.refName] !== name) out.push(m);
    else if (!placed) {
      out.push(entry);
      placed = true;
    }
  }
  if (!placed) out.push(entry);
  index.manifests = out;
}
