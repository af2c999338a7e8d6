/**
 * What the air-gapped side already holds (`airlock inventory -o have.json`): every manifest
 * and blob digest with its size, and for a registry the repository each blob was seen in, so
 * a differential bundle can leave those blobs out and its import can mount them from there.
 */
import { AirlockError, clip, ErrorCodes } from '../errors.js';
import { isDigest, type Digest } from '../oci/digest.js';

export const INVENTORY_VERSION = 1;

/** What was listed. */
export interface InventoryOf {
  kind: 'registry' | 'store' | 'oci' | 'bundle';
  /** The location as given (`registry.local:5000/mirror`, a directory, a file). */
  location: string;
}

/** have.json. */
export interface Inventory {
  airlockInventory: typeof INVENTORY_VERSION;
  of: InventoryOf;
  /** Manifest digests (indexes and image manifests) and their sizes. */
  manifests: Record<Digest, number>;
  /** Config and layer digests: size, and the repository it was seen in (registries). */
  blobs: Record<Digest, { size: number; repository?: string }>;
}

/** Largest have.json read. */
export const MAX_INVENTORY_BYTES = 512 * 1024 * 1024;

function invalid(file: string, why: string): AirlockError {
  return new AirlockError(ErrorCodes.INVENTORY_INVALID, `${file}: ${why}`, { file });
}

/** Parses and checks have.json: INVENTORY_INVALID for anything that is not one. */
export function parseInventory(text: string, file: string): Inventory {
  let v: Partial<Inventory>;
  try {
    v = JSON.parse(text) as Partial<Inventory>;
  } catch {
    throw invalid(file, 'not JSON');
  }
  if (v?.airlockInventory !== INVENTORY_VERSION) throw invalid(file, 'not an airlock inventory (airlock inventory -o have.json writes one)');
  const kinds = ['registry', 'store', 'oci', 'bundle'];
  if (!v.of || !kinds.includes(v.of.kind) || typeof v.of.location !== 'string') throw invalid(file, '"of" must give the kind and location listed');
  if (typeof v.manifests !== 'object' || v.manifests === null || typeof v.blobs !== 'object' || v.blobs === null) throw invalid(file, 'manifests and blobs are required');
  for (const [d, size] of Object.entries(v.manifests)) {
    if (!isDigest(d) || !Number.isSafeInteger(size) || (size as number) < 0) throw invalid(file, `manifest ${JSON.stringify(clip(d, 90))}: a digest and a size are needed`);
  }
  for (const [d, b] of Object.entries(v.blobs)) {
    const ok = isDigest(d) && Number.isSafeInteger(b?.size) && b.size >= 0 && (b.repository === undefined || typeof b.repository === 'string');
    if (!ok) throw invalid(file, `blob ${JSON.stringify(clip(d, 90))}: a digest, a size and at most a repository are needed`);
  }
  return v as Inventory;
}
