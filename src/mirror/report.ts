import { rename, writeFile } from 'node:fs/promises';
import type { ImageResult } from '../copy/result.js';

/** The `--report` document. */
export interface MirrorReport {
  version: 1;
  startedAt: string;
  finishedAt: string;
  summary: { images: number; copied: number; upToDate: number; planned: number; failed: number; notStarted: number; bytesSent: number };
  images: ImageResult[];
}

/** Counts of a run's results by status, and the bytes sent. */
export function summarize(results: ImageResult[]): MirrorReport['summary'] {
  const count = (s: ImageResult['status']) => results.filter((r) => r.status === s).length;
  return {
    images: results.length,
    copied: count('copied'),
    upToDate: count('up-to-date'),
    planned: count('planned'),
    failed: count('failed'),
    notStarted: count('not-started'),
    bytesSent: results.reduce((n, r) => n + r.bytesSent, 0),
  };
}

/** Builds the report document for a finished run. */
export function buildReport(results: ImageResult[], startedAt: Date, finishedAt = new Date()): MirrorReport {
  return {
    version: 1,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    summary: summarize(results),
    images: results,
  };
}

/** Writes the report atomically (temp file, then rename). */
export async function writeReport(file: string, report: MirrorReport): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(report, null, 2)}\n`);
  await rename(tmp, file);
}
