import type { LockFile } from '../lock/types.js';

/** What the caller can tune; each renderer reads only the options that concern it. */
export interface RenderOptions {
  /** Reference by tag instead of digest (`list`, `atmosphere`, `tripleo`; `kubespray` and `helm` leave the digest empty). */
  unpinned?: boolean;
  /** containerd: `[http(s)://]HOST[:PORT][/PREFIX]` of the local mirror (default: the one destination registry of the lock). */
  mirror?: string;
  /** containerd: do not verify the mirror's TLS certificate. */
  skipVerify?: boolean;
  /** containerd: path (as the nodes see it) of the CA certificate that signed the mirror's certificate. */
  ca?: string;
}

/**
 * A renderer's result: one text file, or several files by relative path (`/` separated).
 * `warnings` name what could not be rendered as asked (e.g. an image left unpinned).
 */
export type RenderOutput =
  | { kind: 'file'; content: string; warnings: string[] }
  | { kind: 'files'; files: Record<string, string>; warnings: string[] };

/** Turns a validated lock into one output format. Pure: same lock and options, same bytes. */
export type Renderer = (lock: LockFile, options: RenderOptions) => RenderOutput;
