/**
 * Scale benchmark: how load + plan, resolve and a no-op mirror of a lock grow with the number
 * of images (default 1000, 5000 and 20000). Each size gets its own Distribution registry,
 * seeded by writing its storage directly (fast, and independent of airlock) with every image
 * at its source and at its destination, then checked with skopeo. See bench/README.md.
 *
 *   npm run bench:scale [-- --sizes 1000,5000,20000 --runs 1]
 */
import { access, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { makeSandbox, type Sandbox } from './measure.js';
import { noiseWarning } from './noise.js';
import { median } from './report.js';
import { startBenchRegistry, type BenchRegistry } from './registry.js';
import { DEST_PREFIX, scaleImages, seedStorage, writeInputs, type ScaleSet } from './scale-data.js';
import { renderGoals, renderScaleTable, scaleGoals, STEPS, type SizeRuns } from './scale-report.js';
import { loadAndPlan, noOpMirrorStep, resolveStep, type StepResult } from './scale-steps.js';
import { storeLookups } from './scale-store.js';
import { skopeoRawDigest, spread } from './skopeo-cli.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const AIRLOCK_MAIN = join(ROOT, 'dist', 'cli', 'main.js');

const { values } = parseArgs({ options: { sizes: { type: 'string', default: '1000,5000,20000' }, runs: { type: 'string', default: '1' } } });
const sizes = values.sizes.split(',').filter(Boolean).map(Number);
const runs = Number(values.runs);
if (sizes.length === 0 || sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new Error('--sizes takes positive whole numbers, e.g. 1000,5000,20000');
if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a positive whole number');

const began = Date.now();
const log = (msg: string) => process.stderr.write(`[${((Date.now() - began) / 1000).toFixed(0).padStart(5)}s] ${msg}\n`);

/** skopeo must read back, at source and destination, exactly the bytes written for a sample of images. */
async function checkSeeded(set: ScaleSet, registry: BenchRegistry, sandbox: Sandbox): Promise<void> {
  for (const i of spread(set.images.length, 5)) {
    const img = set.images[i]!;
    for (const repo of [img.repo, `${DEST_PREFIX}/${img.repo}`]) {
      const { bytes } = await skopeoRawDigest(`docker://${registry.host}/${repo}:${img.tag}`, sandbox);
      if (!bytes.equals(img.manifest)) throw new Error(`seeded registry: skopeo inspect --raw ${repo}:${img.tag} does not return the seeded manifest`);
    }
  }
}

function describe(step: string, r: StepResult): string {
  const extra = [
    r.cpuS !== undefined ? `CPU ${r.cpuS.toFixed(2)} s` : '',
    r.peakRssBytes !== undefined ? `RSS ${(r.peakRssBytes / 1e6).toFixed(0)} MB` : '',
    r.requests ? `${r.requests.total} requests` : '',
    r.otherCpuS !== undefined ? `others' CPU ${r.otherCpuS.toFixed(2)} s` : '',
  ].filter(Boolean);
  const verdict = r.ok ? 'checked' : `FAILED: ${r.problems.slice(0, 3).join('; ')}${r.problems.length > 3 ? ` (+${r.problems.length - 3} more)` : ''}`;
  return `${step.padEnd(8)} ${r.wallS.toFixed(3)} s${extra.length ? `, ${extra.join(', ')}` : ''}, ${verdict}`;
}

async function runSize(size: number, sandbox: Sandbox, workRoot: string): Promise<SizeRuns> {
  const workDir = join(workRoot, String(size));
  await mkdir(workDir, { recursive: true });
  const set = scaleImages(size);
  let files = 0;
  const seedStart = Date.now();
  const registry = await startBenchRegistry(`scale-${size}`, { seed: async (root) => void (files = seedStorage(set, root)) });
  try {
    await checkSeeded(set, registry, sandbox);
    log(`${size} images over ${set.repos.length} repos: ${files} storage files written, registry up and sampled with skopeo in ${((Date.now() - seedStart) / 1000).toFixed(1)} s`);
    const { imageSet } = await writeInputs(set, registry.host, workDir);
    const lockFile = join(workDir, 'lock.yaml');
    const out: SizeRuns = { size, runs: { load: [], plan: [], resolve: [], mirror: [] }, store: null };
    for (let run = 1; run <= runs; run++) {
      const lp = await loadAndPlan(imageSet, set.images);
      out.runs.load.push(lp.load);
      out.runs.plan.push(lp.plan);
      const resolve = await resolveStep({ airlockMain: AIRLOCK_MAIN, imageSet, lockFile, images: set.images, registry, sandbox, logBase: join(workDir, `${run}-resolve`) });
      out.runs.resolve.push(resolve);
      // A no-op mirror needs the right lock; without one it is not attempted, and counts as failed.
      const mirror = resolve.ok
        ? await noOpMirrorStep({ airlockMain: AIRLOCK_MAIN, lockFile, count: size, registry, sandbox, logBase: join(workDir, `${run}-mirror`) })
        : { wallS: 0, ok: false, problems: ['not run: resolve failed'] };
      out.runs.mirror.push(mirror);
      for (const step of STEPS) log(`${size} run ${run}/${runs} ${describe(step, out.runs[step].at(-1)!)}`);
    }
    out.store = await storeLookups(set, workDir);
    return out;
  } finally {
    await registry.stop();
  }
}

await access(AIRLOCK_MAIN).catch(() => {
  throw new Error(`${AIRLOCK_MAIN} is missing: run npm run build (npm run bench:scale does)`);
});
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
// Kept after the run (git-ignored): inputs, locks, reports and every run's output.
const workRoot = join(ROOT, '.bench', 'runs', `scale-${stamp}`);
const sandbox = await makeSandbox();
try {
  // Loading the library and the first parses compile a lot of code: do that once, untimed,
  // on a set big enough for V8 to optimise the hot paths, so the first size is not billed for
  // it and linearity compares like with like.
  const warm = scaleImages(2000);
  const warmDir = join(workRoot, 'warm-up');
  await mkdir(warmDir, { recursive: true });
  await loadAndPlan((await writeInputs(warm, 'registry.invalid:5000', warmDir)).imageSet, warm.images);
  const results: SizeRuns[] = [];
  for (const size of [...sizes].sort((a, b) => a - b)) results.push(await runSize(size, sandbox, workRoot));
  const goals = scaleGoals(results);
  process.stdout.write(
    `\nscale: load + plan in process, airlock resolve and no-op mirror of the lock against a seeded Distribution registry; ` +
      `medians of the good runs of ${runs}\n\n${renderScaleTable(results)}\n\n${renderGoals(goals)}\n`,
  );
  const noise = noiseWarning(results.flatMap((r) => [...r.runs.resolve, ...r.runs.mirror]), median);
  if (noise) process.stdout.write(`${noise}\n`);
  await writeFile(join(workRoot, 'results.json'), `${JSON.stringify({ sizes, runs, results, goals }, null, 2)}\n`);
  process.stdout.write(`results and logs: ${workRoot}\ntotal time: ${((Date.now() - began) / 60000).toFixed(1)} min\n`);
} finally {
  await sandbox.remove();
}
