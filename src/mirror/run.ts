import pLimit from 'p-limit';
import { CopyRun, type CopyRunOptions } from '../copy/engine.js';
import { emptyResult, type ImageResult } from '../copy/result.js';
import type { TransportContext } from '../transport/context.js';
import { formatLocation } from '../transport/location.js';
import { openSink, openSource } from '../transport/open.js';
import { ModifiedSource } from '../modify/source.js';
import type { MirrorPair } from './plan.js';
import { copyCosignTags, type ReferrerChoice } from './referrers.js';

/** Options of a mirror run. */
export interface MirrorOptions extends CopyRunOptions {
  /** Images copied at once (default 4). */
  jobs?: number;
  /** Go on after a failed image (default: stop starting new ones). */
  keepGoing?: boolean;
  /** cosign's signatures, attestations and SBOMs copied beside each copied image (default `all`). */
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
        // A modified image is not what upstream signed; an image already in place had its referrers copied with it.
        if (result.status === 'copied' && !pair.modify && result.sourceDigest && (opts.referrers ?? 'all') !== 'none') {
          const referrers = await copyCosignTags(run, pair.source, pair.destination, result.sourceDigest, opts.referrers ?? 'all', ctx);
          if (referrers.length > 0) result.referrers = referrers;
        }
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
    if (pair.modify && pair.modify.length > 0) source = new ModifiedSource(source, pair.modify, ctx.signal);
    const sink = await openSink(pair.destination, ctx);
    return await run.copyImage(source, sink, {
      ...(pair.platforms ? { platforms: pair.platforms } : {}),
      ...(pair.pinned ? { pinned: pair.pinned } : {}),
    });
  } catch (err) {
    await source?.close().catch(() => undefined);
    return run.recordFailure(formatLocation(pair.source), formatLocation(pair.destination), err);
  }
}
