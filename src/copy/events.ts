import type { Digest } from '../oci/digest.js';
import type { ImageResult } from './result.js';

/** What the engine reports while it works; the CLI turns these into progress and JSON lines. */
export type CopyEvent =
  | { type: 'image-start'; source: string; destination: string }
  | { type: 'image-done'; result: ImageResult }
  | { type: 'blob-done'; destination: string; digest: Digest; size: number; action: BlobAction }
  | { type: 'blob-retry'; destination: string; digest: Digest; attempt: number; code: string; message: string }
  | { type: 'manifest-done'; destination: string; digest: Digest; root: boolean };

/** How a blob reached its destination: streamed, mounted from another repository, or already there. */
export type BlobAction = 'sent' | 'mounted' | 'exists';
