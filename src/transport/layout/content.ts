import type { Readable } from 'node:stream';
import type { Descriptor } from '../../oci/descriptor.js';
import type { Digest } from '../../oci/digest.js';
import type { LayoutIndex, LayoutRef } from './index-file.js';

/**
 * What reading an OCI image layout needs, wherever the layout is: a directory (the store,
 * `oci:DIR`) or a tar read in place (a bundle, `oci-archive:FILE`). Blob reads are by
 * digest; names come from index.json.
 */
export interface LayoutContent {
  /** Where it is, for messages and blob scopes (a directory or a file). */
  readonly dir: string;
  /** The stored size of a blob, or null when absent. */
  hasBlob(digest: Digest): Promise<number | null>;
  /** A stream of a blob (unverified; the reader hashes). LAYOUT_INVALID when missing. */
  readBlob(digest: Digest): Promise<Readable>;
  /** Bytes `start` to `end` (inclusive) of a blob, for Range requests. LAYOUT_INVALID when missing. */
  readBlobRange(digest: Digest, start: number, end: number): Promise<Readable>;
  /** A blob's bytes, verified against `digest` (and `size` when given). */
  readBytes(digest: Digest, size?: number): Promise<Buffer>;
  /** index.json as parsed. */
  readIndex(): Promise<LayoutIndex>;
  /** The entry named `name`, or null. */
  findRef(name: string): Promise<Descriptor | null>;
  /** Every named entry, in index order. */
  listRefs(): Promise<LayoutRef[]>;
  /** Name lookups by digest, repository and tag. */
  readonly refs: {
    byDigest(digest: string): Promise<Descriptor | null>;
    tags(repository: string): Promise<string[]>;
    repositories(): Promise<string[]>;
  };
}
