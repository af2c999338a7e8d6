import type { Readable } from 'node:stream';
import type { AirlockError } from '../errors.js';
import type { Descriptor } from '../oci/descriptor.js';
import type { Digest } from '../oci/digest.js';
import type { ImageReference } from '../ref/reference.js';
import type { TransportContext } from './context.js';

/**
 * Where images live, in one shape for every transport (as regclient's references):
 * which transport, which instance of it, and the repository, tag and digest within.
 * A location with neither tag nor digest names a namespace: a place holding many images
 * (a registry under a path prefix, a layout, the store), or a layout's only image.
 */
export interface Location {
  /** The transport, as registered by scheme: `docker`, `oci`, `store`. */
  readonly scheme: string;
  /** Which one: a registry host (`quay.io`, `127.0.0.1:5000`), a directory, '' for the default store. */
  readonly root: string;
  /** A registry repository (`ceph/ceph`); in a layout, the part of an image's name before its tag. */
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: Digest;
}

/** Manifest bytes exactly as stored, with the media type and digest they were verified against. */
export interface FetchedManifest {
  bytes: Buffer;
  mediaType: string;
  digest: Digest;
}

/**
 * The read verbs every backend speaks, keyed by repository and reference (a tag or a
 * digest), whatever holds the images: a registry, an OCI layout, the store, a bundle.
 * Nothing here writes. Manifest bytes are verified; blob streams are not (the caller hashes).
 */
export interface ContentReader {
  /** Blob namespace: readers and writers with equal scope share blobs (mount instead of copy). */
  readonly blobScope: string;
  /**
   * The descriptor a tag or digest names, or null when absent. Without a reference, the
   * one image the backend holds (layouts only; LOCATION_INVALID when it holds several).
   */
  headManifest(repository: string, reference?: string): Promise<Descriptor | null>;
  /** Manifest bytes by tag or digest, verified against `expected` and a digest reference. */
  getManifest(repository: string, reference: string, expected?: Digest): Promise<FetchedManifest>;
  /** The stored size of a blob, or null when absent. */
  headBlob(repository: string, digest: Digest): Promise<number | null>;
  /** A blob's bytes as a stream, unverified. A stream that breaks mid-way is read again by the caller. */
  getBlob(repository: string, digest: Digest): Promise<Readable>;
  /**
   * The manifests whose `subject` is `digest` (OCI 1.1 referrers), or null when the backend
   * cannot list them (a registry without the referrers API: use the tag schema). Absent on
   * backends that hold no referrers.
   */
  listReferrers?(repository: string, digest: Digest): Promise<Descriptor[] | null>;
  /** The tags of a repository. */
  listTags(repository: string): Promise<string[]>;
  /** The repositories the backend holds (a registry's catalog, a layout's names). */
  listRepositories(): Promise<string[]>;
  /** The error this backend reports for a manifest it does not have (stable code per backend). */
  notFound(repository: string, reference: string): AirlockError;
  /** Releases what this reader holds (not what its context shares). */
  close(): Promise<void>;
}

/** What a writer can do; the copy engine adapts to it. */
export interface SinkCapabilities {
  /** Blobs can be mounted from another repository in the same `blobScope`. */
  crossRepoMount: boolean;
  /** Only one blob may be written at a time (a tar stream): the engine serialises `putBlob`. */
  serialBlobs?: boolean;
  /**
   * Manifest media types the writer accepts (absent: any). The engine converts between
   * Docker v2 schema 2 and OCI when a type is not accepted, and fails with
   * MEDIA_TYPE_UNSUPPORTED before writing anything when it cannot.
   */
  manifestTypes?: readonly string[];
}

/**
 * The write verbs every writable backend speaks. A writer is one write session: what it
 * writes is visible at the latest after `commit`; `close` without `commit` abandons what
 * is not yet visible (a layout's new names; a whole archive). Registries make every write
 * visible at once.
 */
export interface ContentWriter extends ContentReader {
  readonly capabilities: SinkCapabilities;
  /** Mounts `digest` from `fromRepository` (same blob scope); true when mounted. */
  mountBlob(repository: string, digest: Digest, fromRepository: string): Promise<boolean>;
  /**
   * Streams a blob in, verifying digest and size while streaming; on any failure nothing is
   * left under the blob's final name and the error is thrown.
   */
  putBlob(repository: string, desc: Descriptor, data: Readable): Promise<void>;
  /**
   * Stores manifest bytes exactly as given under `reference` (a tag, or the digest).
   * `child`: a manifest only its parent names (an index's platform image), which a layout
   * does not list in its index.
   */
  putManifest(repository: string, reference: string, bytes: Buffer, desc: Descriptor, opts?: { child?: boolean }): Promise<void>;
  /** Makes what was written visible (e.g. writes a layout's new names into index.json). */
  commit(): Promise<void>;
}

/**
 * The read side of one image location, as the copy engine sees it.
 * Sources never verify blob streams themselves: the copy engine does, while streaming.
 */
export interface Source {
  /** Printable name, e.g. `docker://quay.io/ceph/ceph:v18`. */
  readonly description: string;
  /** Blob namespace, as `Sink.blobScope`; when equal to a sink's, the engine mounts instead of copying. */
  readonly blobScope?: string;
  /** Repository within the scope, if any. */
  readonly repository?: string;
  /** Descriptor of the manifest the location names. */
  resolve(): Promise<Descriptor>;
  /** The exact manifest bytes for `digest`; throws DIGEST_MISMATCH if they do not hash to it. */
  getManifest(digest: Digest): Promise<FetchedManifest>;
  /** A stream of the blob's bytes. Unverified: the caller hashes it. */
  getBlob(desc: Descriptor): Promise<Readable>;
  /** Releases what the source holds (not the shared connection pools). */
  close(): Promise<void>;
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
  /** Streams a blob in, verified; on failure nothing is left under its final name. */
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

/**
 * One kind of location, registered by scheme in `schemes.ts`. Adding a kind of location
 * means one folder implementing this (and the reader/writer verbs) plus one line there.
 */
export interface Transport {
  /** The scheme as written: `docker`, `oci`, `store`. */
  readonly scheme: string;
  /** What precedes the body in text: `docker://`, `oci:`, `store:`. */
  readonly prefix: string;
  /** The forms it accepts, for help and error messages: `oci:DIR[:NAME]`. */
  readonly syntax: string;
  /** Parses the text after the prefix into a location (an image, or for some transports a whole layout). */
  parse(body: string, input: string): Location;
  /** Parses the text after the prefix as a namespace: a place for many images (mirror's --to/--from). */
  parseNamespace(body: string, input: string): Location;
  /** The printable form, parseable again. */
  format(loc: Location): string;
  /** Where image `ref` (a full registry reference) lives inside the namespace `ns`. */
  place(ns: Location, ref: ImageReference): Location;
  /** Throws LOCATION_INVALID unless `loc` names one image this transport can read or write. */
  checkImage(loc: Location, input: string): void;
  /** Opens the backend holding `loc` for reading; never creates anything. */
  openReader(loc: Location, ctx: TransportContext): Promise<ContentReader>;
  /** Opens a write session on the backend holding `loc`, creating the backend when missing. */
  openWriter(loc: Location, ctx: TransportContext): Promise<ContentWriter>;
  /** The registry host whose credentials apply to `loc` (`--src-creds`, `--dest-creds`), if any. */
  credentialHost?(loc: Location): string | undefined;
  /** A line worth printing after a run that wrote to `loc` (e.g. where the store is). */
  describeRoot?(loc: Location, ctx: TransportContext): string | undefined;
}
