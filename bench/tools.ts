/**
 * The two clients under test, each asked to mirror the same list of images from the source
 * registry to `TARGET/PREFIX/<repo>:<tag>`, with its default settings.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DatasetImage } from './dataset.js';
import { measure, type Measured, type Sandbox } from './measure.js';
import type { BenchRegistry } from './registry.js';

export type ToolName = 'skopeo' | 'airlock';
export const TOOLS: readonly ToolName[] = ['skopeo', 'airlock'];

export interface MirrorJob {
  source: BenchRegistry;
  target: BenchRegistry;
  /** Path under the target both tools put the images in. */
  prefix: string;
  images: DatasetImage[];
  /** Where the list / sync file and the report go. */
  workDir: string;
  /** Where the tool's stdout/stderr go (`.out`, `.err` added). */
  logBase: string;
  sandbox: Sandbox;
  /** `dist/cli/main.js` of the airlock build under test. */
  airlockMain: string;
}

export interface ToolRun extends Measured {
  command: string[];
  /** airlock's own report summary (airlock only). */
  report?: Record<string, unknown>;
}

/**
 * `skopeo sync --src yaml`: the registry entry lists every repository with its tags.
 * JSON is YAML, and needs no quoting rules.
 */
export function syncYaml(source: BenchRegistry, images: DatasetImage[]): string {
  const byRepo: Record<string, string[]> = {};
  for (const i of images) (byRepo[i.repo] ??= []).push(i.tag);
  return `${JSON.stringify({ [source.host]: { images: byRepo, 'tls-verify': false } }, null, 2)}\n`;
}

/** airlock's list: one `HOST/repo:tag` per line. */
export function airlockList(source: BenchRegistry, images: DatasetImage[]): string {
  return images.map((i) => `${source.host}/${i.repo}:${i.tag}\n`).join('');
}

/** Runs one tool over the job, timed. Never throws for the tool failing: see exitCode. */
export async function runTool(tool: ToolName, job: MirrorJob): Promise<ToolRun> {
  const dest = `${job.target.host}/${job.prefix}`;
  if (tool === 'skopeo') {
    const file = join(job.workDir, 'sync.yaml');
    await writeFile(file, syncYaml(job.source, job.images));
    const args = [
      ...job.sandbox.skopeoGlobal,
      'sync',
      '--src', 'yaml',
      '--dest', 'docker',
      '--all',
      '--preserve-digests',
      '--src-authfile', job.sandbox.authfile,
      '--dest-authfile', job.sandbox.authfile,
      '--dest-tls-verify=false',
      file,
      dest,
    ];
    const m = await measure('skopeo', args, job.sandbox.env, job.logBase);
    return { ...m, command: ['skopeo', ...args] };
  }
  const list = join(job.workDir, 'images.txt');
  const reportFile = join(job.workDir, 'airlock-report.json');
  await writeFile(list, airlockList(job.source, job.images));
  const args = [job.airlockMain, 'mirror', list, '--to', dest, '--report', reportFile];
  const m = await measure(process.execPath, args, job.sandbox.env, job.logBase);
  let report: Record<string, unknown> | undefined;
  try {
    report = (JSON.parse(await readFile(reportFile, 'utf8')) as { summary?: Record<string, unknown> }).summary;
  } catch {
    report = undefined;
  }
  return { ...m, command: ['node', ...args], ...(report ? { report } : {}) };
}
