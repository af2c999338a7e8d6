import type { ReferrerCopy } from '../referrers/copy.js';
import type { Digest } from '../oci/digest.js';

/** Outcome of one image copy, as written to `--report` and `--json`. */
export interface ImageResult {
  source: string;
  destination: string;
  /** `copied`: something was written; `up-to-date`: destination already matched; `planned`: dry run;
   *  `not-started`: skipped because an earlier image failed without --keep-going. */
  status: 'copied' | 'up-to-date' | 'planned' | 'failed' | 'not-started';
  /** Digest of the manifest the destination now names (the filtered index digest when platforms were chosen). */
  digest?: Digest;
  /** Digest of the manifest read from the source. */
  sourceDigest?: Digest;
  mediaType?: string;
  bytesSent: number;
  blobsSent: number;
  blobsMounted: number;
  blobsExisting: number;
  manifestsWritten: number;
  /** For dry runs: bytes that would be sent. */
  bytesPlanned?: number;
  durationMs: number;
  error?: { code: string; message: string };
  /** Referrers (signatures, attestations, SBOMs) copied beside the image. */
  referrers?: ReferrerCopy[];
}

/** A result with zeroed counters. */
export function emptyResult(source: string, destination: string): ImageResult {
  return {
    source,
    destination,
    status: 'copied',
    bytesSent: 0,
    blobsSent: 0,
    blobsMounted: 0,
    blobsExisting: 0,
    manifestsWritten: 0,
    durationMs: 0,
  };
}
