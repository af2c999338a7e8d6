import pLimit from 'p-limit';
import { AirlockError, ErrorCodes } from '../errors.js';
import { CopyRun, type CopyRunOptions } from '../copy/engine.js';
import { keptDigest } from '../copy/filter.js';
import { emptyResult, type ImageResult } from '../copy/result.js';
import type { TransportContext } from '../transport/context.js';
import { formatLocation } from '../transport/location.js';
import { openSink, openSource } from '../transport/open.js';
import { ModifiedSource } from '../modify/source.js';
import type { MirrorPair } from './plan.js';
import { copyReferrers } from '../referrers/copy.js';
import { discoverReferrers } from '../referrers/discover.js';
import { chosen, type ReferrerChoice } from '../referrers/kinds.js';
import { openReader } from '../transport/open.js';

/** Options of a mirror run. */
export interface MirrorOptions extends CopyRunOptions {
  /** Images copied at once (default 4). */
  jobs?: number;
  /** Go on after a failed image (default: stop starting new ones). */
  keepGoing?: boolean;
  /** Referrers (signatures, attestations, SBOMs) copied beside each image (default `all`). */
  referrers?: ReferrerChoice;
}

/**
 * Copies every pair through one CopyRun (so shared blobs move once), `jobs` images at a
 * time. Returns one result per pair, in the pairs' order; never throws for an image failure.
 */
export async function runMirror(pairs: MirrorPair[], ctx: TransportContext, opts: MirrorOptions = {}): Promise<ImageResult[]> {
  const run = new CopyRun(opts);
  return runPairs(run, pairs, ctx, opts);
}

/** As runMirror, on an existing CopyRun (to read its live totals while it works). */
export async function runPairs(
  run: CopyRun,
  pairs: MirrorPair[],
  ctx: TransportContext,
  opts: MirrorOptions = {},
): Promise<ImageResult[]> {
  const limit = pLimit(opts.jobs ?? 4);
  let stopped = false;
  return Promise.all(
    pairs.map((pair) =>
      limit(async () => {
        const src = formatLocation(pair.source);
        const dst = formatLocation(pair.destination);
        if (stopped || opts.signal?.aborted) return { ...emptyResult(src, dst), status: 'not-started' as const };
        const result = await copyPair(run, pair, ctx);
        await carryReferrers(run, pair, result, ctx, opts.referrers ?? 'all');
        if (result.status === 'failed' && !opts.keepGoing) stopped = true;
        return result;
      }),
    ),
  );
}

async function copyPair(run: CopyRun, pair: MirrorPair, ctx: TransportContext): Promise<ImageResult> {
  let source;
  try {
    source = await openSource(pair.source, ctx);
    const sink = await openSink(pair.destination, ctx);
    if (pair.modify && pair.modify.length > 0) {
      source = new ModifiedSource(source, pair.modify, ctx.signal);
      // A lock pins the modified image: unless the destination already holds it, one made
      // differently (an input changed, a build that is not reproducible) is refused before
      // anything is written.
      if (pair.pinned && (await sink.current())?.digest !== pair.pinned.result) {
        const made = await keptDigest(source, pair.platforms);
        if (made !== pair.pinned.result) {
          await sink.close().catch(() => undefined);
          throw new AirlockError(ErrorCodes.LOCK_STALE, `the modification now gives ${made}, the lock pinned ${pair.pinned.result} (an input changed, or the build is not reproducible): resolve again`, { made, pinned: pair.pinned.result });
        }
      }
    }
    return await run.copyImage(source, sink, {
      ...(pair.platforms ? { platforms: pair.platforms } : {}),
      ...(pair.pinned ? { pinned: pair.pinned } : {}),
    });
  } catch (err) {
    await source?.close().catch(() => undefined);
    return run.recordFailure(formatLocation(pair.source), formatLocation(pair.destination), err);
  }
}

/**
 * Copies the image's referrers beside it. A lock's referrers travel whenever the image is in
 * place (copied or up to date), and one that cannot be copied fails the image: the lock
 * promised it. Without a lock, referrers are looked for at the source when the image was
 * copied, and one that fails is reported without failing the image. A modified image is not
 * what upstream signed, so it gets none.
 */
async function carryReferrers(run: CopyRun, pair: MirrorPair, result: ImageResult, ctx: TransportContext, choice: ReferrerChoice): Promise<void> {
  const subject = result.sourceDigest ?? pair.pinned?.source.digest;
  if (choice === 'none' || pair.modify || !subject) return;
  if (result.status !== 'copied' && !(result.status === 'up-to-date' && pair.referrers)) return;
  let referrers = pair.referrers?.filter((r) => chosen(choice, r));
  if (!referrers) {
    try {
      const reader = await openReader(pair.source, ctx);
      try {
        referrers = await discoverReferrers(reader, pair.source.repository, subject, choice);
      } finally {
        await reader.close().catch(() => undefined);
      }
    } catch (err) {
      result.referrers = [{ scheme: 'oci', digest: '', status: 'failed', error: `looking for referrers: ${(err as Error).message}` }];
      return;
    }
  }
  if (referrers.length === 0) return;
  result.referrers = await copyReferrers(run, pair.source, pair.destination, subject, referrers, ctx);
  const failed = result.referrers.find((r) => r.status === 'failed');
  if (failed && pair.referrers) {
    result.status = 'failed';
    result.error = { code: failed.code ?? 'INTERNAL', message: `referrer ${failed.tag ?? failed.digest} of ${subject}: ${failed.error ?? 'failed'}` };
  }
}
