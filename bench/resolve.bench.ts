/**
 * Resolve benchmark: `airlock resolve` of an image set (default 500 images) against a local
 * Distribution registry, beside the usual scripted way of pinning digests with skopeo, in two
 * cases: plain tags, and tag_from_label "{version}-{release}". airlock runs twice in each:
 * as users run it (referrers listed, the goal is judged on it) and with `--referrers none`,
 * so what referrer discovery costs shows. Seeding is done with skopeo,
 * every run's output is checked against the seeded digests, and failed runs are left out of
 * the medians. See bench/README.md.
 *
 *   npm run bench:resolve [-- --images 500 --runs 3]
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { makeSandbox } from './measure.js';
import { noiseMeter, noiseWarning } from './noise.js';
import { startBenchRegistry, type RequestCounts } from './registry.js';
import { median } from './report.js';
import { AIRLOCK_JOBS, prepareCases, SKOPEO_PARALLEL, TOOL_LABEL, type ResolveMode, type ResolveTool } from './resolve-cases.js';
import { seedResolveImages } from './resolve-seed.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const AIRLOCK_MAIN = join(ROOT, 'dist', 'cli', 'main.js');
/** The goal is stated for this many images. */
const GOAL_IMAGES = 500;
const GOAL_WALL_S = 5;

const { values } = parseArgs({ options: { images: { type: 'string', default: String(GOAL_IMAGES) }, runs: { type: 'string', default: '3' } } });
const count = Number(values.images);
const runs = Number(values.runs);
if (!Number.isInteger(count) || count < 1) throw new Error('--images must be a positive whole number');
if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a positive whole number');
const log = (msg: string) => process.stderr.write(`${msg}\n`);

interface Run {
  tool: ResolveTool;
  mode: ResolveMode;
  round: number;
  exitCode: number;
  wallS: number;
  cpuS: number;
  peakRssBytes: number;
  requests: RequestCounts;
  /** CPU seconds other processes used meanwhile (noise.ts). */
  otherCpuS: number;
  ok: boolean;
  problems: string[];
  command: string[];
}

const CASES: Array<[ResolveTool, ResolveMode]> = [
  ['airlock', 'plain'],
  ['airlock-none', 'plain'],
  ['skopeo', 'plain'],
  ['airlock', 'labels'],
  ['airlock-none', 'labels'],
  ['skopeo', 'labels'],
];
const name = (tool: ResolveTool, mode: ResolveMode) => `${TOOL_LABEL[tool]} ${mode}`;
const NAME_WIDTH = 31;

const stamp = new Date().toISOString().replace(/[:.]/g, '-');
// Kept after the run (git-ignored), so a FAILED run's output can be read.
const work = join(ROOT, '.bench', 'runs', `resolve-${stamp}`);
await mkdir(work, { recursive: true });
const registry = await startBenchRegistry('resolve');
const sandbox = await makeSandbox();
try {
  log(`seeding ${count} images into ${registry.host} with skopeo copy (xargs -P 4), floating and versioned tags`);
  const seedStart = Date.now();
  const images = await seedResolveImages(count, registry, sandbox, join(work, 'seed'));
  await rm(join(work, 'seed', 'layout'), { recursive: true, force: true });
  log(`seeded ${images.length} images (${2 * images.length} tags) in ${((Date.now() - seedStart) / 1000).toFixed(1)} s, digests checked`);
  const cases = await prepareCases(images, registry, sandbox, work, AIRLOCK_MAIN);

  const all: Run[] = [];
  for (let round = 0; round < runs; round++) {
    for (const mode of ['plain', 'labels'] as const) {
      // Reverse the order every round, so no tool always meets the warmer registry.
      const order: ResolveTool[] = round % 2 === 0 ? ['airlock', 'airlock-none', 'skopeo'] : ['skopeo', 'airlock-none', 'airlock'];
      for (const tool of order) {
        const mark = await registry.mark();
        const others = await noiseMeter([registry]);
        const r = await cases.run(tool, mode, join(work, `${round + 1}-${tool}-${mode}`));
        const otherCpuS = await others(r.measured.userS + r.measured.sysS);
        const requests = await registry.requestsSince(mark);
        const run: Run = {
          tool,
          mode,
          round,
          exitCode: r.measured.exitCode,
          wallS: r.measured.wallS,
          cpuS: r.measured.userS + r.measured.sysS,
          peakRssBytes: r.measured.peakRssBytes,
          requests,
          otherCpuS,
          ok: r.problems.length === 0,
          problems: r.problems,
          command: r.command,
        };
        all.push(run);
        log(
          `round ${round + 1}/${runs} ${name(tool, mode).padEnd(NAME_WIDTH)} wall ${run.wallS.toFixed(2)} s, CPU ${run.cpuS.toFixed(2)} s, ` +
            `${requests.total} requests, others' CPU ${otherCpuS.toFixed(2)} s` +
            (run.ok ? ', every digest checked' : ` FAILED: ${run.problems.length} problem(s): ${run.problems.slice(0, 3).join('; ')}`),
        );
      }
    }
  }

  const good = (tool: ResolveTool, mode: ResolveMode) => all.filter((r) => r.tool === tool && r.mode === mode && r.ok);
  const med = (tool: ResolveTool, mode: ResolveMode, f: (r: Run) => number): number | undefined => {
    const ok = good(tool, mode);
    return ok.length > 0 ? median(ok.map(f)) : undefined;
  };
  const fmt = (n: number | undefined, d = 2) => (n === undefined ? 'FAILED' : n.toFixed(d));
  const lines = [
    '',
    `resolve ${count} images against a local Distribution registry; medians of the good runs of ${runs}`,
    `airlock resolve --jobs ${AIRLOCK_JOBS} (default), --referrers all (default) and none; skopeo: one bash + skopeo per image, xargs -P ${SKOPEO_PARALLEL}`,
    '',
    `${'case'.padEnd(NAME_WIDTH)}  runs    wall s    CPU s  req/image`,
  ];
  for (const [tool, mode] of CASES) {
    const n = all.filter((r) => r.tool === tool && r.mode === mode).length;
    const ok = good(tool, mode).length;
    lines.push(
      `${name(tool, mode).padEnd(NAME_WIDTH)} ${(ok === n ? String(n) : `${ok}/${n}`).padStart(5)} ${fmt(med(tool, mode, (r) => r.wallS)).padStart(9)} ` +
        `${fmt(med(tool, mode, (r) => r.cpuS)).padStart(8)} ${fmt(med(tool, mode, (r) => r.requests.total / count), 1).padStart(10)}`,
    );
  }
  lines.push('');
  const ratio = (x?: number, y?: number) => (x !== undefined && y !== undefined && y > 0 ? `${(x / y).toFixed(2)}x` : 'n/a (a case FAILED)');
  for (const mode of ['plain', 'labels'] as const) {
    for (const [a, b] of [['airlock', 'skopeo'], ['airlock-none', 'skopeo'], ['airlock', 'airlock-none']] as const) {
      const wall = ratio(med(a, mode, (r) => r.wallS), med(b, mode, (r) => r.wallS));
      const cpu = ratio(med(a, mode, (r) => r.cpuS), med(b, mode, (r) => r.cpuS));
      lines.push(`${TOOL_LABEL[a]} / ${TOOL_LABEL[b]} (${mode}): ${wall} wall, ${cpu} CPU`);
    }
  }
  lines.push('');
  for (const mode of ['plain', 'labels'] as const) {
    const a = med('airlock', mode, (r) => r.wallS);
    const failedRuns = all.some((r) => r.tool === 'airlock' && r.mode === mode && !r.ok);
    const verdict =
      a === undefined
        ? 'FAILED (no good run)'
        : count !== GOAL_IMAGES
          ? `n/a (${a.toFixed(2)} s; the goal is stated for ${GOAL_IMAGES} images, this run had ${count})`
          : `${a <= GOAL_WALL_S && !failedRuns ? 'PASS' : 'MISS'} (${a.toFixed(2)} s${failedRuns ? '; some runs FAILED' : ''})`;
    lines.push(`goal: airlock resolves ${GOAL_IMAGES} images (${mode}) in <= ${GOAL_WALL_S} s: ${verdict}`);
  }
  // Not a goal: airlock is judged as users run it, with referrers listed.
  for (const mode of ['plain', 'labels'] as const) {
    lines.push(`info, no goal: airlock --referrers none (${mode}): ${fmt(med('airlock-none', mode, (r) => r.wallS))} s`);
  }
  const noise = noiseWarning(all, median);
  if (noise) lines.push(noise);
  process.stdout.write(`${lines.join('\n')}\n`);
  const file = join(work, 'results.json');
  await writeFile(file, `${JSON.stringify({ images: count, runs, airlockJobs: AIRLOCK_JOBS, skopeoParallel: SKOPEO_PARALLEL, all }, null, 2)}\n`);
  process.stdout.write(`results and logs: ${work}\n`);
} finally {
  await registry.stop();
  await sandbox.remove();
}
