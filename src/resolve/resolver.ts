import pLimit from 'p-limit';
import type { KeyObject } from 'node:crypto';
import { AirlockError, ErrorCodes, toAirlockError, type ErrorCode } from '../errors.js';
import type { Digest } from '../oci/digest.js';
import { checkSignatures } from '../signature/check.js';
import { readPublicKey } from '../signature/cosign.js';
import type { PlannedImage, Rule } from '../imageset/types.js';
import { compareKeys } from '../lock/keys.js';
import { LOCK_VERSION, type LockedImage, type LockFile } from '../lock/types.js';
import { type ImageReference } from '../ref/reference.js';
import type { TransportContext } from '../transport/context.js';
import { placeImage } from '../transport/location.js';
import { openReader } from '../transport/open.js';
import { dockerLocation } from '../transport/registry/transport.js';
import type { Location } from '../transport/types.js';
import { discoverReferrers } from '../referrers/discover.js';
import { toLocked, type Referrer, type ReferrerChoice } from '../referrers/kinds.js';
import { resolveImage, type ImageReadAccess } from './image.js';

import { DEFAULT_RESOLVE_CONCURRENCY } from './defaults.js';

export { DEFAULT_RESOLVE_CONCURRENCY } from './defaults.js';

/** One image that could not be resolved. */
export interface ResolveFailure {
  key: string;
  code: ErrorCode;
  message: string;
}

/** Progress after each image. */
export interface ResolveProgress {
  key: string;
  done: number;
  total: number;
  image?: LockedImage;
  failure?: ResolveFailure;
}

/** Options of `resolvePlan`. */
export interface ResolveOptions {
  /** Connections, credentials and open layouts for the run (the caller closes it). */
  ctx: TransportContext;
  /**
   * Read every image from this namespace instead of its registry: `store:` or `oci:DIR`
   * pin from what is already here, with no network.
   */
  from?: Location;
  /** Images resolved at once (default 16). */
  concurrency?: number;
  /** The image set's rules, so the lock names the rules that applied. */
  rules?: readonly Pick<Rule, 'name'>[];
  onProgress?: (p: ResolveProgress) => void;
  /** Which referrers of each image the lock lists (default `all`; `none` looks for none). */
  referrers?: ReferrerChoice;
}

/**
 * Resolves every planned image to a lock entry, `concurrency` at a time. Every image is
 * tried; when any fail, throws one AirlockError carrying the first failure's code (in key
 * order), a message listing each, and `details.failures` ([{key, code, message}]).
 */
export async function resolvePlan(planned: PlannedImage[], opts: ResolveOptions): Promise<LockFile> {
  const limit = pLimit(Math.max(1, opts.concurrency ?? DEFAULT_RESOLVE_CONCURRENCY));
  const images: Record<string, LockedImage> = {};
  const failures: ResolveFailure[] = [];
  let done = 0;
  let firstError: AirlockError | undefined;
  const keys = new KeyCache();
  await Promise.all(
    planned.map((p) =>
      limit(async () => {
        try {
          const access = await accessFor(p.source, opts);
          const image = await resolveImage(p, access, opts.rules);
          const choice = opts.referrers ?? 'all';
          const found = choice !== 'none' ? await discoverReferrers(access.reader, access.repository, image.digest, choice) : undefined;
          if (found && found.length > 0) image.referrers = found.map(toLocked);
          if (p.verify) await requireSignature(p.key, access, image.digest, await keys.get(p.verify.value.key), found);
          images[p.key] = image;
          opts.onProgress?.({ key: p.key, done: ++done, total: planned.length, image });
        } catch (err) {
          const e = toAirlockError(err);
          firstError ??= e;
          const message = e.message.startsWith(`${p.key}:`) ? e.message : `${p.key}: ${e.message}`;
          const failure: ResolveFailure = { key: p.key, code: e.code, message };
          failures.push(failure);
          opts.onProgress?.({ key: p.key, done: ++done, total: planned.length, failure });
        }
      }),
    ),
  );
  if (failures.length > 0) {
    failures.sort((a, b) => compareKeys(a.key, b.key));
    const first = failures[0]!;
    const message =
      failures.length === 1
        ? first.message
        : `${failures.length} of ${planned.length} images failed to resolve:\n  ${failures.map((f) => `[${f.code}] ${f.message}`).join('\n  ')}`;
    throw new AirlockError(first.code, message, { failures }, { cause: firstError });
  }
  return { version: LOCK_VERSION, images: sortImages(images) };
}

/** The reader and repository an image is resolved from: its registry, or the `from` namespace. */
async function accessFor(ref: ImageReference, opts: ResolveOptions): Promise<ImageReadAccess> {
  const loc = opts.from ? placeImage(opts.from, ref) : dockerLocation(ref);
  return { reader: await openReader(loc, opts.ctx), repository: loc.repository, retry: { policy: opts.ctx.retry, signal: opts.ctx.signal } };
}

function sortImages(images: Record<string, LockedImage>): Record<string, LockedImage> {
  const out: Record<string, LockedImage> = {};
  for (const k of Object.keys(images).sort(compareKeys)) out[k] = images[k]!;
  return out;
}

/** Public keys read once per file for a run (many images share one). */
class KeyCache {
  private readonly keys = new Map<string, Promise<KeyObject>>();

  /** The key in `file`; KEY_INVALID when it is not one. */
  get(file: string): Promise<KeyObject> {
    let k = this.keys.get(file);
    if (!k) this.keys.set(file, (k = readPublicKey(file, 'verify: key')));
    return k;
  }
}

/**
 * Fails closed unless the image `digest` at its source carries a signature made with `key`
 * (cosign's .sig or a sigstore bundle): SIGNATURE_MISSING or SIGNATURE_INVALID naming it.
 * `found`: its referrers as resolve already found them, not looked for twice.
 */
async function requireSignature(key: string, access: ImageReadAccess, digest: Digest, pub: KeyObject, found: readonly Referrer[] | undefined): Promise<void> {
  const check = await checkSignatures(access.reader, access.repository, digest, pub, found);
  if (check.status === 'signed') return;
  if (check.status === 'missing') throw new AirlockError(ErrorCodes.SIGNATURE_MISSING, `${key}: ${access.repository}@${digest} has no signature (verify: in the image set requires one)`, { key, digest });
  throw new AirlockError(ErrorCodes.SIGNATURE_INVALID, `${key}: ${access.repository}@${digest} is not signed with the key: ${check.problems.join('; ')}`, { key, digest, problems: check.problems });
}
