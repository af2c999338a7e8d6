/**
 * The clients under test, each asked to mirror the same images from the source registry to
 * `TARGET/PREFIX/<repo>:<tag>`, with its default settings:
 *
 * - skopeo-sync: `skopeo sync --src yaml` over every repository and tag;
 * - skopeo-copy: `skopeo copy --all --preserve-digests` per tag, 4 at a time (`xargs -P 4`),
 *   as a mirroring script would run it;
 * - airlock: `airlock mirror LIST --to TARGET/PREFIX` (default --referrers all: looks for each
 *   copied image's referrers at the source);
 * - airlock-none: the same with `--referrers none`, beside it so what referrer discovery costs
 *   shows (no goal is judged on it);
 * - airlock-lock: `airlock mirror LOCK`, the same images pinned by digest in a lock whose
 *   destinations are TARGET/PREFIX/<repo>:<tag> (no-op case only, on airlock's target).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DatasetImage } from './dataset.js';
import { measure, type Measured, type Sandbox } from './measure.js';
import type { BenchRegistry } from './registry.js';

export type ToolName = 'skopeo-sync' | 'skopeo-copy' | 'airlock' | 'airlock-none' | 'airlock-lock';
/** The tools `--tools` selects from; airlock-lock runs whenever airlock does. */
export const TOOLS: readonly ToolName[] = ['skopeo-sync', 'skopeo-copy', 'airlock', 'airlock-none'];
export const ALL_TOOLS: readonly ToolName[] = ['skopeo-sync', 'skopeo-copy', 'airlock', 'airlock-none', 'airlock-lock'];
/** How the tables name each tool. */
export const TOOL_LABEL: Record<ToolName, string> = {
  'skopeo-sync': 'skopeo sync',
  'skopeo-copy': 'skopeo copy -P4',
  airlock: 'airlock',
  'airlock-none': 'airlock --referrers none',
  'airlock-lock': 'airlock (lock)',
};
export const isSkopeo = (t: ToolName): boolean => t.startsWith('skopeo');
/** Tags copied at once by the skopeo-copy loop (airlock's default --jobs is 4 too). */
export const SKOPEO_COPY_PARALLEL = 4;

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
  /** airlock-lock: the lock to mirror (its destinations already point at the target). */
  lockFile?: string;
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

/** skopeo's flags shared by sync and copy: the sandbox's auth file on both sides. */
function skopeoAuth(job: MirrorJob): string[] {
  return ['--src-authfile', job.sandbox.authfile, '--dest-authfile', job.sandbox.authfile];
}

/** Runs one tool over the job, timed. Never throws for the tool failing: see exitCode. */
export async function runTool(tool: ToolName, job: MirrorJob): Promise<ToolRun> {
  const dest = `${job.target.host}/${job.prefix}`;
  if (tool === 'skopeo-sync') {
    const file = join(job.workDir, 'sync.yaml');
    await writeFile(file, syncYaml(job.source, job.images));
    const args = [
      ...job.sandbox.skopeoGlobal,
      'sync',
      '--src', 'yaml',
      '--dest', 'docker',
      '--all',
      '--preserve-digests',
      ...skopeoAuth(job),
      '--dest-tls-verify=false',
      file,
      dest,
    ];
    const m = await measure('skopeo', args, job.sandbox.env, job.logBase);
    return { ...m, command: ['skopeo', ...args] };
  }
  if (tool === 'skopeo-copy') {
    // The sync file says tls-verify: false for the source; copy takes it as a flag.
    const file = join(job.workDir, 'copies.txt');
    await writeFile(file, job.images.map((i) => `docker://${job.source.host}/${i.repo}:${i.tag} docker://${dest}/${i.repo}:${i.tag}\n`).join(''));
    const args = [
      '-P', String(SKOPEO_COPY_PARALLEL), '-L', '1', '-a', file,
      'skopeo', ...job.sandbox.skopeoGlobal,
      'copy',
      '--all',
      '--preserve-digests',
      ...skopeoAuth(job),
      '--src-tls-verify=false',
      '--dest-tls-verify=false',
    ];
    const m = await measure('xargs', args, job.sandbox.env, job.logBase);
    return { ...m, command: ['xargs', ...args] };
  }
  const reportFile = join(job.workDir, 'airlock-report.json');
  let args: string[];
  if (tool === 'airlock-lock') {
    if (!job.lockFile) throw new Error('airlock-lock needs a lock file');
    args = [job.airlockMain, 'mirror', job.lockFile, '--report', reportFile];
  } else {
    const list = join(job.workDir, 'images.txt');
    await writeFile(list, airlockList(job.source, job.images));
    args = [job.airlockMain, 'mirror', list, '--to', dest, '--report', reportFile, ...(tool === 'airlock-none' ? ['--referrers', 'none'] : [])];
  }
  const m = await measure(process.execPath, args, job.sandbox.env, job.logBase);
  let report: Record<string, unknown> | undefined;
  try {
    report = (JSON.parse(await readFile(reportFile, 'utf8')) as { summary?: Record<string, unknown> }).summary;
  } catch {
    report = undefined;
  }
  return { ...m, command: ['node', ...args], ...(report ? { report } : {}) };
}
