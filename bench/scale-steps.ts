/**
 * The timed steps of the scale benchmark for one size, each checked before it counts:
 *
 * - load + plan: in this process, `loadImageSet(images.yaml)` then `planImageSet(set, {})`;
 *   every image must be planned.
 * - resolve: `airlock resolve images.yaml -o lock.yaml`; every locked digest and destination
 *   must be the seeded one.
 * - no-op mirror: `airlock mirror lock.yaml --report`; exit 0, every image reported up to
 *   date, and nothing written to the registry (no PUT, POST, PATCH or DELETE in its log).
 */
import { rm, readFile } from 'node:fs/promises';
import { lockProblems } from './lock-check.js';
import { measure, type Sandbox } from './measure.js';
import { noiseMeter } from './noise.js';
import type { BenchRegistry, RequestCounts } from './registry.js';
import { DEST_PREFIX, type ScaleImage } from './scale-data.js';

export interface StepResult {
  wallS: number;
  cpuS?: number;
  peakRssBytes?: number;
  requests?: RequestCounts;
  /** CPU seconds other processes used meanwhile (noise.ts). */
  otherCpuS?: number;
  ok: boolean;
  problems: string[];
}

export interface LoadPlanResult {
  load: StepResult;
  plan: StepResult;
}

const seconds = (from: bigint) => Number(process.hrtime.bigint() - from) / 1e9;

/** Loads and plans the image set in this process, timing each part. */
export async function loadAndPlan(imageSet: string, images: ScaleImage[]): Promise<LoadPlanResult> {
  // Imported before the clock starts (module loading is not what is measured), and lazily,
  // so a library that does not load fails this step instead of the whole benchmark.
  let lib: typeof import('../src/index.js');
  try {
    lib = await import('../src/index.js');
  } catch (err) {
    const failed = { wallS: 0, ok: false, problems: [`cannot load ../src/index.js: ${(err as Error).message}`] };
    return { load: failed, plan: failed };
  }
  const t0 = process.hrtime.bigint();
  let set;
  try {
    set = await lib.loadImageSet(imageSet);
  } catch (err) {
    const failed = { wallS: seconds(t0), ok: false, problems: [`load: ${(err as Error).message}`] };
    return { load: failed, plan: { wallS: 0, ok: false, problems: ['not planned: load failed'] } };
  }
  const load = { wallS: seconds(t0), ok: true, problems: [] };
  const t1 = process.hrtime.bigint();
  try {
    const planned = lib.planImageSet(set, {});
    const wallS = seconds(t1);
    const want = new Set(images.map((i) => i.key));
    const got = new Set(planned.map((p) => p.key));
    const problems: string[] = [];
    if (planned.length !== images.length) problems.push(`planned ${planned.length} images, the set has ${images.length}`);
    for (const k of want) if (!got.has(k)) problems.push(`${k}: not planned`);
    return { load, plan: { wallS, ok: problems.length === 0, problems: problems.slice(0, 20) } };
  } catch (err) {
    return { load, plan: { wallS: seconds(t1), ok: false, problems: [`plan: ${(err as Error).message}`] } };
  }
}

/** Writes appear in the access log as these methods; a no-op must make none. */
const WRITES = /^(PUT|POST|PATCH|DELETE) /;

/** Runs `airlock ARGS` under GNU time, counting the registry's requests meanwhile. */
async function timed(
  airlockMain: string,
  args: string[],
  registry: BenchRegistry,
  sandbox: Sandbox,
  logBase: string,
): Promise<{ result: StepResult; exitCode: number }> {
  const mark = await registry.mark();
  const others = await noiseMeter([registry]);
  const m = await measure(process.execPath, [airlockMain, ...args], sandbox.env, logBase);
  const otherCpuS = await others(m.userS + m.sysS);
  const requests = await registry.requestsSince(mark);
  const problems = m.exitCode !== 0 ? [`exit code ${m.exitCode} (see ${logBase}.err)`] : [];
  return {
    exitCode: m.exitCode,
    result: { wallS: m.wallS, cpuS: m.userS + m.sysS, peakRssBytes: m.peakRssBytes, requests, otherCpuS, ok: problems.length === 0, problems },
  };
}

function fail(r: StepResult, problems: string[]): StepResult {
  return problems.length === 0 ? r : { ...r, ok: false, problems: [...r.problems, ...problems] };
}

/** `airlock resolve images.yaml -o lock.yaml`, then the lock checked against the seeded images. */
export async function resolveStep(opts: {
  airlockMain: string;
  imageSet: string;
  lockFile: string;
  images: ScaleImage[];
  registry: BenchRegistry;
  sandbox: Sandbox;
  logBase: string;
}): Promise<StepResult> {
  await rm(opts.lockFile, { force: true });
  const { result, exitCode } = await timed(opts.airlockMain, ['resolve', opts.imageSet, '-o', opts.lockFile], opts.registry, opts.sandbox, opts.logBase);
  if (exitCode !== 0) return result;
  const expected = opts.images.map((i) => ({
    key: i.key,
    digest: i.digest,
    tag: i.tag,
    destination: `${opts.registry.host}/${DEST_PREFIX}/${i.repo}:${i.tag}`,
  }));
  return fail(result, await lockProblems(opts.lockFile, expected));
}

/** `airlock mirror lock.yaml` onto a destination that already holds everything. */
export async function noOpMirrorStep(opts: {
  airlockMain: string;
  lockFile: string;
  count: number;
  registry: BenchRegistry;
  sandbox: Sandbox;
  logBase: string;
}): Promise<StepResult> {
  const reportFile = `${opts.logBase}.report.json`;
  await rm(reportFile, { force: true });
  const { result, exitCode } = await timed(opts.airlockMain, ['mirror', opts.lockFile, '--report', reportFile], opts.registry, opts.sandbox, opts.logBase);
  if (exitCode !== 0) return result;
  const problems: string[] = [];
  try {
    const summary = (JSON.parse(await readFile(reportFile, 'utf8')) as { summary?: Record<string, number> }).summary ?? {};
    if (summary.upToDate !== opts.count) problems.push(`report: ${summary.upToDate ?? 0} of ${opts.count} images up to date`);
    if (summary.copied || summary.failed) problems.push(`report: ${summary.copied ?? 0} copied, ${summary.failed ?? 0} failed`);
  } catch (err) {
    problems.push(`report unreadable: ${(err as Error).message}`);
  }
  const writes = Object.entries(result.requests?.byKind ?? {}).filter(([k]) => WRITES.test(k));
  if (writes.length > 0) problems.push(`wrote to the registry: ${writes.map(([k, n]) => `${n} ${k}`).join(', ')}`);
  return fail(result, problems);
}
