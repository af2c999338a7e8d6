import cliProgress from 'cli-progress';
import type { CopyEvent } from '../copy/events.js';
import type { ImageResult } from '../copy/result.js';
import { summarize } from '../mirror/report.js';
import { formatBytes, formatDuration } from './format.js';

/** How results are shown: a live bar on a terminal, plain lines otherwise, JSON lines on request. */
export type OutputMode = 'tty' | 'plain' | 'json';

/** Picks the output mode from `--json` and whether stderr is a terminal. */
export function outputMode(json: boolean | undefined): OutputMode {
  if (json) return 'json';
  return process.stderr.isTTY && !process.env.CI ? 'tty' : 'plain';
}

/** One line describing a finished image. */
export function describeResult(r: ImageResult): string {
  const what =
    r.status === 'failed'
      ? `FAILED [${r.error?.code}] ${r.error?.message}`
      : r.status === 'up-to-date'
        ? 'up to date'
        : r.status === 'planned'
          ? `would send ${formatBytes(r.bytesPlanned ?? 0)} in ${r.blobsSent} blobs, ${r.blobsExisting} present, ${r.manifestsWritten} manifests`
          : r.status === 'not-started'
            ? 'not started (an earlier image failed; use --keep-going)'
            : `${formatBytes(r.bytesSent)} sent in ${r.blobsSent} blobs, ${r.blobsMounted} mounted, ${r.blobsExisting} present`;
  // The full digest: it is what users pin (a filtered index has a new one).
  const digest = r.digest ? ` ${r.digest}` : '';
  return `${r.status.padEnd(10)} ${r.source} -> ${r.destination}${digest}  ${what} (${formatDuration(r.durationMs)})`;
}

/**
 * Turns engine events into output. Progress and per-image lines go to stderr; JSON
 * events and the final summary go to stdout so they can be piped.
 */
export class Reporter {
  private done = 0;
  private readonly started = Date.now();
  private bar: cliProgress.SingleBar | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly mode: OutputMode,
    private readonly total: number,
    private readonly bytesSoFar: () => number,
  ) {
    if (mode === 'tty') {
      this.bar = new cliProgress.SingleBar(
        {
          format: ' {bar} {value}/{total} images | {bytes} | {rate} | ETA {eta_text}',
          hideCursor: true,
          clearOnComplete: true,
          stream: process.stderr,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(total, 0, this.payload());
      this.timer = setInterval(() => this.bar?.update(this.done, this.payload()), 250);
    }
  }

  /** Handles one engine event. */
  onEvent = (e: CopyEvent): void => {
    if (this.mode === 'json') {
      process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...e })}\n`);
      if (e.type === 'image-done') this.done++;
      return;
    }
    if (e.type === 'image-done') {
      this.done++;
      this.line(describeResult(e.result));
    } else if (e.type === 'blob-retry') {
      this.line(`retry      ${e.digest.slice(0, 19)} attempt ${e.attempt} after [${e.code}] ${e.message}`);
    }
  };

  /** Stops the live display and prints the totals. */
  finish(results: ImageResult[]): void {
    if (this.timer) clearInterval(this.timer);
    this.bar?.stop();
    const elapsed = Date.now() - this.started;
    const summary = { ...summarize(results), durationMs: elapsed };
    const bytes = summary.bytesSent;
    if (this.mode === 'json') {
      process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), type: 'summary', ...summary })}\n`);
      return;
    }
    const rate = elapsed > 0 ? formatBytes((bytes / elapsed) * 1000) : '0 B';
    const parts = [`${summary.copied} copied`, `${summary.upToDate} up to date`];
    if (summary.planned) parts.push(`${summary.planned} planned`);
    parts.push(`${summary.failed} failed`);
    if (summary.notStarted) parts.push(`${summary.notStarted} not started`);
    process.stdout.write(
      `${summary.images} image${summary.images === 1 ? '' : 's'}: ${parts.join(', ')}; ${formatBytes(bytes)} sent in ${formatDuration(elapsed)} (${rate}/s)\n`,
    );
  }

  private line(text: string): void {
    if (this.bar) {
      // Print above the live bar without tearing it.
      process.stderr.write('\r\x1b[K');
      process.stderr.write(`${text}\n`);
      this.bar.update(this.done, this.payload());
    } else {
      process.stderr.write(`${text}\n`);
    }
  }

  private payload(): Record<string, string> {
    const elapsed = (Date.now() - this.started) / 1000;
    const bytes = this.bytesSoFar();
    const eta = this.done > 0 ? ((elapsed / this.done) * (this.total - this.done)).toFixed(0) + 's' : '?';
    return { bytes: formatBytes(bytes), rate: `${formatBytes(elapsed > 0 ? bytes / elapsed : 0)}/s`, eta_text: eta };
  }
}
