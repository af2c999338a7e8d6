import type { Readable } from 'node:stream';
import type { Descriptor } from '../oci/descriptor.js';
import type { Digest } from '../oci/digest.js';

/** Manifest bytes exactly as stored, with the media type and digest they were verified against. */
export interface FetchedManifest {
  bytes: Buffer;
  mediaType: string;
  digest: Digest;
}

/**
 * The read side of one image location (one repository and reference).
 * Sources never verify blob streams themselves: the copy engine does, while streaming.
 */
export interface Source {
  /** Printable name, e.g. `docker://quay.io/ceph/ceph:v18`. */
  readonly description: string;
  /** Blob namespace, as `Sink.blobScope`; when equal to a sink's, the engine mounts instead of copying. */
  readonly blobScope?: string;
  /** Repository within the scope, if any. */
  readonly repository?: string;
  /** Descriptor of the manifest the location names (HEAD where the backend has it). */
  resolve(): Promise<Descriptor>;
  /** The exact manifest bytes for `digest`; throws DIGEST_MISMATCH if they do not hash to it. */
  getManifest(digest: Digest): Promise<FetchedManifest>;
  /** A stream of the blob's bytes. Unverified: the caller hashes it. */
  getBlob(desc: Descriptor): Promise<Readable>;
  /** Releases what the source holds (not the shared connection pools). */
  close(): Promise<void>;
}

/** What a sink can do; the engine adapts to it. */
export interface SinkCapabilities {
  /** Blobs can be mounted from another repository in the same `blobScope`. */
  crossRepoMount: boolean;
}

/** Outcome of trying to make a blob present without sending its bytes. */
export type ReuseResult = 'exists' | 'mounted' | null;

/**
 * The write side of one image location. Contract, in the order the engine calls it:
 * `current` → for each blob `tryReuse`, else `putBlob` → `putManifest` (children first,
 * root last) → `commit` → `close`. `close` without `commit` abandons the work: nothing
 * half-written stays under a final name.
 */
export interface Sink {
  /** Printable name. */
  readonly description: string;
  /**
   * Blob namespace: sinks with equal scope share blobs (`registry:HOST` or `layout:DIR`).
   * The engine copies each digest once per scope per run.
   */
  readonly blobScope: string;
  /** Repository within the scope (for cross-repository mounts), if any. */
  readonly repository?: string;
  readonly capabilities: SinkCapabilities;
  /** The descriptor currently at the destination reference, or null when nothing is there. */
  current(): Promise<Descriptor | null>;
  /** True when a manifest with this digest is already stored (not necessarily tagged). */
  hasManifest(desc: Descriptor): Promise<boolean>;
  /**
   * Makes the blob present without sending it when possible: 'exists' when already there,
   * 'mounted' when mounted from `fromRepository` (same scope), null when it must be sent.
   */
  tryReuse(desc: Descriptor, fromRepository?: string): Promise<ReuseResult>;
  /**
   * Streams a blob in. Verifies digest and size while streaming (the data stream may
   * already verify; the sink must still never commit bytes that fail). On any failure
   * nothing is left under the blob's final name and the error is thrown.
   */
  putBlob(desc: Descriptor, data: Readable): Promise<void>;
  /**
   * Stores manifest bytes exactly as given. `root` marks the manifest the destination
   * reference should name (its tag, or its digest when the reference has no tag).
   */
  putManifest(bytes: Buffer, desc: Descriptor, root: boolean): Promise<void>;
  /** Makes the result visible (e.g. writes index.json). */
  commit(): Promise<void>;
  /** Releases resources; abandons uncommitted work. */
  close(): Promise<void>;
}
