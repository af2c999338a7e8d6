import { dirname } from 'node:path';
import { AirlockError, ErrorCodes } from '../errors.js';
import type { ImageSet, ParamValue } from '../imageset/types.js';
import { planLockMirror } from '../lock/mirror.js';
import type { LockFile } from '../lock/types.js';
import { withImageSetCredentials } from '../resolve/credentials.js';
import { DEFAULT_RESOLVE_CONCURRENCY } from '../resolve/defaults.js';
import type { ResolveProgress } from '../resolve/resolver.js';
import type { TransportContext } from '../transport/context.js';
import { credentialHost } from '../transport/open.js';
import { withHostCredentials, type RegistryOptions } from '../transport/registry/options.js';
import type { Location } from '../transport/types.js';
import { parseList, readInputText, selectEntries, type ListEntry } from './list.js';
import { planMirror, type MirrorPair } from './plan.js';

/** What `airlock mirror FILE` was given, read and parsed once. */
export type MirrorInput =
  | { kind: 'list'; file: string; entries: ListEntry[] }
  | { kind: 'lock'; file: string; lock: LockFile }
  | { kind: 'imageset'; file: string; set: ImageSet };

/**
 * Reads a mirror input and tells what it is (see `mirrorInputKind`): a list (one reference
 * per line), a lock, or an image set. LIST_INVALID, LOCK_INVALID or IMAGESET_INVALID with
 * file and line when it does not parse.
 */
export async function readMirrorInput(file: string): Promise<MirrorInput> {
  const text = await readInputText(file);
  // Only YAML inputs (locks, image sets) need the YAML parser and schemas: a list mirror never loads them.
  if (/\.ya?ml$/i.test(file)) {
    const lock = (await import('../lock/read.js')).fastLock(text);
    if (lock) return { kind: 'lock', file, lock };
    return (await import('./yaml-input.js')).yamlMirrorInput(file, text);
  }
  return { kind: 'list', file, entries: parseList(text, file) };
}

/**
 * The registry options a mirror of `input` runs with: `base` (flags), the destination's
 * credentials (`--dest-creds`, for the registry `to` is on) and an image set's own
 * `credentials`. Explicit credentials win over the image set's.
 */
export function mirrorRegistryOptions(
  base: RegistryOptions,
  input: MirrorInput,
  dest: { to?: Location | undefined; creds?: string | undefined } = {},
): RegistryOptions {
  const host = dest.to ? credentialHost(dest.to) : undefined;
  const withDest = dest.creds && host ? withHostCredentials(base, host, dest.creds) : base;
  return input.kind === 'imageset' ? withImageSetCredentials(withDest, input.set) : withDest;
}

/** How to plan a mirror run. */
export interface MirrorPlanOptions {
  /** Connections and the store for resolving (image sets); the caller closes it. */
  ctx: TransportContext;
  /** Where to copy (a namespace); a list needs it, for a lock or image set it overrides every destination. */
  to?: Location | undefined;
  /** Read the images from this namespace (`oci:DIR`, `store:`) instead of their registries. */
  from?: Location | undefined;
  /** Lock or image set: only the image with this key. List: only references containing this text. */
  only?: string | undefined;
  /** Image set parameters that win over the file's (`--set`). */
  overrides?: Record<string, ParamValue>;
  /** Images resolved at once (image sets; default 16). */
  resolveConcurrency?: number;
  onResolveProgress?: (p: ResolveProgress) => void;
}

/**
 * The copies a mirror of `input` makes: a list's entries placed under `to`; a lock's images
 * pinned by digest; an image set resolved first (from `from` when given, else the source
 * registries), then copied as its lock says. USAGE when a list has no `to`.
 */
export async function planMirrorInput(input: MirrorInput, opts: MirrorPlanOptions): Promise<MirrorPair[]> {
  if (input.kind === 'list') {
    if (!opts.to) throw new AirlockError(ErrorCodes.USAGE, 'a list needs --to REGISTRY[/PREFIX], store: or oci:DIR');
    return planMirror(selectEntries(input.entries, opts.only, input.file), opts.to, opts.from);
  }
  const lock =
    input.kind === 'lock'
      ? input.lock
      : await (await import('../resolve/imageset.js')).resolveImageSet(input.set, {
          ctx: opts.ctx,
          ...(opts.from ? { from: opts.from } : {}),
          overrides: opts.overrides ?? {},
          concurrency: opts.resolveConcurrency ?? DEFAULT_RESOLVE_CONCURRENCY,
          ...(opts.only !== undefined ? { only: opts.only } : {}),
          ...(opts.onResolveProgress ? { onProgress: opts.onResolveProgress } : {}),
        });
  return planLockMirror(lock, {
    dir: dirname(input.file),
    ...(opts.to ? { to: opts.to } : {}),
    ...(opts.only !== undefined ? { only: opts.only } : {}),
    ...(opts.from ? { from: opts.from } : {}),
  });
}
