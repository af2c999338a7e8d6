import type { ImportedFrom } from '../imageset/types.js';
import type { Digest } from '../oci/digest.js';

/** Current lock file schema version. */
export const LOCK_VERSION = 1;

/** One platform of a multi-arch image in the lock. */
export interface LockedPlatform {
  /** `os/arch[/variant]`. */
  platform: string;
  digest: Digest;
  size: number;
  mediaType: string;
}

/** Where a locked value came from, so a reviewer can trace it. */
export interface LockOrigin {
  /** The reference template as written in the image set. */
  template: string;
  /** Indices (and names, when given) of the rules that applied. */
  rules?: { index: number; name?: string }[];
  /** Present when the tag was discovered from labels. */
  tag_from_label?: {
    /** The label name or template (`{version}-{release}`). */
    template: string;
    /** The floating tag whose image's labels were read. */
    from_tag: string;
    /** The label values used. */
    labels: Record<string, string>;
    rule?: number;
  };
  /** Where `airlock import` found the image; renderers write back to the same variables. */
  imported?: ImportedFrom;
}

/** What a modification was and what it gives. */
export interface LockedModify {
  /** The steps, as the image set gives them (input paths relative to the lock's directory). */
  steps: { kind: string; value: string }[];
  tag_suffix?: string;
  /** Digest of the modification: the steps and the digests of the layers their inputs make (a changed input file changes it). */
  modification: Digest;
  /** The modified image's digest (the same base and inputs always give it). */
  result: Digest;
}

/**
 * A referrer of a locked image (a signature, attestation, SBOM...), found beside it at
 * resolve time: cosign's tag scheme (`tag` set) or an OCI 1.1 referrer (by digest). Mirror,
 * bundle and import carry exactly these; a bundle is complete when it holds them all.
 */
export interface LockedReferrer {
  digest: Digest;
  mediaType: string;
  size: number;
  artifactType?: string;
  /** cosign's tag (`sha256-<hex>.sig`, `.att`, `.sbom`). */
  tag?: string;
  /** A sigstore bundle's predicate type (tells a signature from an attestation). */
  predicateType?: string;
}

/** One image, pinned. */
export interface LockedImage {
  /** Source `registry/repo:tag@digest`. */
  source: string;
  tag?: string;
  digest: Digest;
  mediaType: string;
  /** Size of the top manifest. */
  size: number;
  /** Children of an index (all of them, or those `platforms` kept). */
  platforms?: LockedPlatform[];
  /** Platforms to keep when mirroring, when the set restricts them. */
  keep_platforms?: string[];
  /**
   * With keep_platforms on an index: the digest of the filtered index that mirroring writes
   * (the copy engine's filterIndex over the locked index bytes), so the destination stays pinnable.
   */
  filtered_digest?: Digest;
  /** Destination `registry/prefix/repo:tag`, when the set pushes the image somewhere. */
  destination?: string;
  /** A modified image (an image set rule's `modify`): the destination gets `result`, made from the base `digest`. */
  modify?: LockedModify;
  /** The source image's referrers (of the locked source digest; a modified result has none). */
  referrers?: LockedReferrer[];
  origin: LockOrigin;
}

/** The lock file (`images.lock.yaml`). Keys are written in sorted order. */
export interface LockFile {
  version: typeof LOCK_VERSION;
  images: Record<string, LockedImage>;
}
