import { CopyRun } from '../copy/engine.js';
import type { ImageResult } from '../copy/result.js';
import { buildReport, writeReport } from '../mirror/report.js';
import { runPairs, type MirrorOptions } from '../mirror/run.js';
import type { MirrorPair } from '../mirror/plan.js';
import type { TransportContext } from '../transport/context.js';
import { describeRoots } from '../transport/open.js';
import { exitCodeFor, ExitCodes } from './exit-codes.js';
import { interruptExitCode } from './interrupt.js';
import { outputMode, Reporter } from './reporter.js';

/** What `copy` and `mirror` share once their arguments are parsed. */
export interface RunRequest {
  pairs: MirrorPair[];
  ctx: TransportContext;
  options: MirrorOptions;
  json?: boolean;
  reportFile?: string;
}

/**
 * Runs the pairs through one copy run with live output, writes the report, and returns
 * the process exit code. Ctrl-C (the context's signal) stops the work and exits 130.
 */
export async function runWithOutput(req: RunRequest): Promise<number> {
  const signal = req.ctx.signal;
  const startedAt = new Date();
  let reporter: Reporter | undefined;
  let results: ImageResult[];
  try {
    const run = new CopyRun({
      ...req.options,
      ...(signal ? { signal } : {}),
      onEvent: (e) => reporter?.onEvent(e),
    });
    reporter = new Reporter(outputMode(req.json), req.pairs.length, () => run.totals.bytesSent);
    results = await runPairs(run, req.pairs, req.ctx, { ...req.options, ...(signal ? { signal } : {}) });
    reporter.finish(results);
    if (!req.json) for (const line of describeRoots(req.pairs.map((p) => p.destination), req.ctx)) process.stdout.write(`${line}\n`);
  } finally {
    await req.ctx.close();
  }
  if (req.reportFile) await writeReport(req.reportFile, buildReport(results, startedAt));
  if (signal?.aborted) return interruptExitCode(signal.reason);
  const failed = results.filter((r) => r.status === 'failed');
  if (failed.length === 0) return ExitCodes.ok;
  if (req.options.keepGoing && failed.length < results.length) return ExitCodes.partial;
  return exitCodeFor(failed[0]!.error?.code ?? 'INTERNAL');
}
