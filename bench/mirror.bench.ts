/**
 * `npm run bench:mirror [-- --size small|full] [--runs N]`: airlock mirror against skopeo
 * sync and a parallel skopeo copy loop, registry to registry over plain HTTP on loopback, in
 * three cases (cold, no-op, incremental; no-op also from a lock), alternating the tools. See
 * bench/README.md.
 */
import { execFileSync } from 'node:child_process';
import { access, mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { fixtureBlobs } from '../test/helpers/fixtures.js';
import { ensureDataset, ensureIncremental, type Dataset, type DatasetImage } from './dataset.js';
import { makeSandbox, measure, type Sandbox } from './measure.js';
import { planFor, SIZES, type SizeName } from './plan.js';
import { machineCpuSeconds, startBenchRegistry, type BenchRegistry } from './registry.js';
import { CASES, goals, median, renderTable, summarise, type CaseName, type RunRecord } from './report.js';
import { writeMirrorLock } from './mirror-lock.js';
import { isSkopeo, runTool, TOOLS, type ToolName } from './tools.js';
import { seed } from './seed.js';
import { checkTags, sampleOf, validateSample } from './verify.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CACHE = join(ROOT, '.bench');
const AIRLOCK_MAIN = join(ROOT, 'dist', 'cli', 'main.js');
/** Both tools write under this path of their target: TARGET/mirror/<repo>:<tag>. */
const PREFIX = 'mirror';
const GiB = 1024 ** 3;

const began = Date.now();
function log(msg: string): void {
  const t = ((Date.now() - began) / 1000).toFixed(0).padStart(5);
  process.stderr.write(`[${t}s] ${msg}\n`);
}

interface Options {
  size: SizeName;
  runs: number;
  tools: ToolName[];
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      size: { type: 'string', default: 'full' },
      runs: { type: 'string', default: '5' },
      tools: { type: 'string', default: TOOLS.join(',') },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`usage: npm run bench:mirror -- [--size small|full] [--runs N] [--tools ${TOOLS.join(',')}]\n`);
    process.exit(0);
  }
  const size = values.size as SizeName;
  if (!SIZES.includes(size)) throw new Error(`--size must be one of ${SIZES.join(', ')}`);
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a positive whole number');
  const tools = values.tools!.split(',').filter(Boolean) as ToolName[];
  if (tools.length === 0 || tools.some((t) => !TOOLS.includes(t))) throw new Error(`--tools takes ${TOOLS.join(',')}`);
  return { size, runs, tools };
}

function commandOutput(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

async function preflight(tools: ToolName[]): Promise<void> {
  for (const cmd of ['docker-registry', 'skopeo']) {
    if (commandOutput('sh', ['-c', `command -v ${cmd}`]) === 'unknown') throw new Error(`${cmd} is not installed`);
  }
  await access('/usr/bin/time').catch(() => {
    throw new Error('/usr/bin/time (GNU time) is needed to measure CPU and peak RSS');
  });
  if (!tools.every(isSkopeo)) {
    await access(AIRLOCK_MAIN).catch(() => {
      throw new Error(`${AIRLOCK_MAIN} is missing: run npm run build (npm run bench does)`);
    });
  }
}

/** Bytes of the blobs of `image` that are not in the base set. */
function newBytes(ds: Dataset, image: DatasetImage): number {
  const known = new Set<string>();
  for (const i of ds.images) for (const b of fixtureBlobs(i.fixture)) known.add(b.desc.digest);
  return fixtureBlobs(image.fixture)
    .filter((b) => !known.has(b.desc.digest))
    .reduce((n, b) => n + b.desc.size, 0);
}

interface Bench {
  ds: Dataset;
  source: BenchRegistry;
  /** Each tool's own target; airlock-lock uses airlock's. */
  targets: Partial<Record<ToolName, BenchRegistry>>;
  sandbox: Sandbox;
  runDir: string;
  records: RunRecord[];
  rounds: number;
}

async function timedRun(
  b: Bench,
  c: CaseName,
  tool: ToolName,
  round: number,
  position: number,
  images: DatasetImage[],
  bytesToCopy: number,
  sample: DatasetImage[],
  lock?: { file: string; problems: string[] },
): Promise<void> {
  const target = targetOf(b, tool);
  const workDir = join(b.runDir, `${round + 1}-${c}-${tool}`);
  await mkdir(workDir, { recursive: true });
  // Flush dirty pages left by the previous step, so its writeback is not billed to this run.
  execFileSync('sync');
  const srcMark = await b.source.mark();
  const dstMark = await target.mark();
  const machine0 = await machineCpuSeconds();
  const srcCpu = await b.source.cpuSeconds();
  const dstCpu = await target.cpuSeconds();
  const run = await runTool(tool, {
    source: b.source,
    target,
    prefix: PREFIX,
    images,
    workDir,
    logBase: join(workDir, tool),
    sandbox: b.sandbox,
    airlockMain: AIRLOCK_MAIN,
    ...(lock ? { lockFile: lock.file } : {}),
  });
  const source = await b.source.requestsSince(srcMark);
  const dest = await target.requestsSince(dstMark);
  const machine1 = await machineCpuSeconds();
  const registryCpuS = { source: (await b.source.cpuSeconds()) - srcCpu, target: (await target.cpuSeconds()) - dstCpu };
  // Includes the ~100 ms the request count waits for the log to settle, when little runs.
  const otherCpuS = Math.max(0, machine1.busy - machine0.busy - run.userS - run.sysS - registryCpuS.source - registryCpuS.target);
  const stealS = machine1.steal - machine0.steal;
  // Everything below is outside the measurement: requests are counted already.
  // A wrong lock (checked when it was written) fails the run that mirrors it.
  const problems: string[] = [...(lock?.problems ?? [])];
  if (run.exitCode !== 0) problems.push(`exit code ${run.exitCode} (see ${workDir})`);
  problems.push(...(await checkTags(target.url, PREFIX, images)));
  if (problems.length === 0 && sample.length > 0) problems.push(...(await validateSample(target.url, PREFIX, sample)));
  const rec: RunRecord = {
    case: c,
    tool,
    round,
    position,
    exitCode: run.exitCode,
    wallS: run.wallS,
    userS: run.userS,
    sysS: run.sysS,
    cpuS: run.userS + run.sysS,
    peakRssBytes: run.peakRssBytes,
    requests: { source, target: dest, total: source.total + dest.total },
    registryCpuS,
    otherCpuS,
    stealS,
    tags: images.length,
    bytesToCopy,
    ok: problems.length === 0,
    problems,
    command: run.command,
    ...(run.report ? { airlockReport: run.report } : {}),
  };
  b.records.push(rec);
  log(
    `${c.padEnd(11)} ${round + 1}/${b.rounds} ${tool.padEnd(12)} wall ${rec.wallS.toFixed(2)} s, CPU ${rec.cpuS.toFixed(2)} s, ` +
      `RSS ${(rec.peakRssBytes / 1e6).toFixed(0)} MB, ${rec.requests.total} requests (${source.total} source, ${dest.total} target), ` +
      `registries' CPU ${(registryCpuS.source + registryCpuS.target).toFixed(2)} s, others' CPU ${otherCpuS.toFixed(2)} s` +
      (rec.ok ? `, verified${sample.length ? ` (+${sample.length} re-downloaded)` : ''}` : ` FAILED: ${problems.slice(0, 5).join('; ')}`),
  );
}

/** What starting each client costs with no work at all (`--version`, median of 3), and bare Node.js. */
async function startFloor(tools: ToolName[], sandbox: Sandbox, dir: string): Promise<Record<string, { wallS: number; cpuS: number; peakRssBytes: number }>> {
  const out: Record<string, { wallS: number; cpuS: number; peakRssBytes: number }> = {};
  const commands: Record<string, [string, string[]]> = {
    skopeo: ['skopeo', ['--version']],
    airlock: [process.execPath, [AIRLOCK_MAIN, '--version']],
    // Bare Node.js: the part of airlock's start that is the runtime, not airlock.
    node: [process.execPath, ['-e', '0']],
  };
  const which = [...(tools.some(isSkopeo) ? ['skopeo'] : []), ...(tools.every(isSkopeo) ? [] : ['airlock', 'node'])];
  for (const tool of which) {
    const [cmd, args] = commands[tool]!;
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await measure(cmd, args, sandbox.env, join(dir, `start-${tool}-${i}`)));
    out[tool] = {
      wallS: median(runs.map((r) => r.wallS)),
      cpuS: median(runs.map((r) => r.userS + r.sysS)),
      peakRssBytes: median(runs.map((r) => r.peakRssBytes)),
    };
  }
  return out;
}

function targetOf(b: Bench, tool: ToolName): BenchRegistry {
  return b.targets[tool === 'airlock-lock' ? 'airlock' : tool]!;
}

/** This round's lock (destinations on airlock's current target), resolved and checked outside the timing. */
async function lockFor(b: Bench, round: number): Promise<{ file: string; problems: string[] }> {
  const workDir = join(b.runDir, `${round + 1}-lock`);
  await mkdir(workDir, { recursive: true });
  const lock = await writeMirrorLock({
    images: b.ds.images,
    source: b.source,
    target: targetOf(b, 'airlock-lock'),
    prefix: PREFIX,
    workDir,
    sandbox: b.sandbox,
    airlockMain: AIRLOCK_MAIN,
  });
  if (lock.problems.length > 0) log(`lock of round ${round + 1} is wrong: ${lock.problems.slice(0, 3).join('; ')}`);
  return lock;
}

async function newTarget(b: Bench, tool: ToolName): Promise<void> {
  await b.targets[tool]?.stop();
  b.targets[tool] = await startBenchRegistry(`target-${tool}`);
}

async function main(): Promise<void> {
  const opts = options();
  await preflight(opts.tools);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const plan = planFor(opts.size);
  log(`size ${opts.size}, ${opts.runs} runs per case per tool, tools: ${opts.tools.join(', ')}`);
  if (loadavg()[0]! > 1) log(`warning: load average ${loadavg()[0]!.toFixed(1)} before starting: results may be noisy`);
  const ds = await ensureDataset(CACHE, plan, log);
  const incrementals: DatasetImage[] = [];
  for (let i = 0; i < opts.runs; i++) incrementals.push(await ensureIncremental(ds, i));
  const multi = ds.images.filter((i) => i.multiArch).length;
  const repos = new Set(ds.images.map((i) => i.repo)).size;
  log(
    `image set${ds.cached ? ' (cached)' : ''}: ${repos} repos, ${ds.images.length} tags (${multi} multi-arch), ` +
      `${(ds.uniqueBytes / GiB).toFixed(2)} GiB in ${ds.uniqueBlobs} distinct blobs`,
  );

  const sandbox = await makeSandbox();
  const runDir = join(CACHE, 'runs', stamp);
  await mkdir(runDir, { recursive: true });
  const registries: Array<BenchRegistry | undefined> = [];
  let b: Bench | undefined;
  const cleanup = async () => {
    await Promise.all([...registries, ...Object.values(b?.targets ?? {})].map((r) => r?.stop()));
    await sandbox.remove();
  };
  process.once('SIGINT', () => {
    log('interrupted: stopping registries');
    void cleanup().finally(() => process.exit(130));
  });
  try {
    const source = await startBenchRegistry('source');
    registries.push(source);
    const seedStart = Date.now();
    log(`seeding source ${source.host} with skopeo`);
    await seed(source, ds.images);
    const seedS = (Date.now() - seedStart) / 1000;
    log(`source seeded in ${seedS.toFixed(1)} s`);
    b = { ds, source, targets: {}, sandbox, runDir, records: [], rounds: opts.runs };

    for (let round = 0; round < opts.runs; round++) {
      // Alternate who goes first, so neither always meets a warmer page cache.
      const order = round % 2 === 0 ? opts.tools : [...opts.tools].reverse();
      for (const [pos, tool] of order.entries()) {
        await newTarget(b, tool);
        await timedRun(b, 'cold', tool, round, pos, ds.images, ds.uniqueBytes, sampleOf(ds.images, round));
      }
      // The lock case mirrors right after the list case, to the target airlock filled.
      const noOpOrder = order.flatMap((t): ToolName[] => (t === 'airlock' ? ['airlock', 'airlock-lock'] : [t]));
      for (const [pos, tool] of noOpOrder.entries()) {
        const lock = tool === 'airlock-lock' ? await lockFor(b, round) : undefined;
        await timedRun(b, 'no-op', tool, round, pos, ds.images, 0, [], lock);
      }
      const inc = incrementals[round]!;
      await seed(source, [inc]);
      for (const [pos, tool] of order.entries()) {
        await timedRun(b, 'incremental', tool, round, pos, [...ds.images, inc], newBytes(ds, inc), [inc]);
      }
    }

    const floor = await startFloor(opts.tools, sandbox, runDir);
    const summary = summarise(b.records);
    const goalList = goals(summary);
    const finished = Date.now();
    const results = {
      startedAt: new Date(began).toISOString(),
      finishedAt: new Date(finished).toISOString(),
      durationS: (finished - began) / 1000,
      options: opts,
      environment: {
        node: process.version,
        skopeo: commandOutput('skopeo', ['--version']),
        registry: commandOutput('docker-registry', ['--version']),
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model ?? 'unknown',
        airlockCommit: commandOutput('git', ['rev-parse', 'HEAD']),
        airlockTreeDirty: commandOutput('git', ['status', '--porcelain', '--', 'src']) !== '',
      },
      dataset: {
        size: ds.plan.size,
        repos,
        tags: ds.images.length,
        multiArch: multi,
        dockerFormat: ds.images.filter((i) => i.format === 'docker').length,
        uniqueBytes: ds.uniqueBytes,
        uniqueBlobs: ds.uniqueBlobs,
        incrementalTags: incrementals.map((i) => `${i.repo}:${i.tag}`),
        cached: ds.cached,
      },
      seedS,
      startFloor: floor,
      cases: CASES,
      summary,
      goals: goalList,
      runs: b.records,
      logs: runDir,
    };
    const file = join(CACHE, `results-${stamp}.json`);
    await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);

    process.stdout.write(
      `\nairlock mirror vs skopeo sync and skopeo copy (xargs -P 4): ${opts.size} set, ${repos} repos, ${ds.images.length} tags (${multi} multi-arch), ` +
        `${(ds.uniqueBytes / GiB).toFixed(2)} GiB; medians of ${opts.runs} runs\n\n`,
    );
    process.stdout.write(`${renderTable(summary, goalList)}\n\n`);
    const floorText = Object.entries(floor)
      .map(([t, f]) => `${t} ${f.wallS.toFixed(2)} s wall, ${f.cpuS.toFixed(2)} s CPU, ${(f.peakRssBytes / 1e6).toFixed(0)} MB`)
      .join('; ');
    process.stdout.write(`process start alone (--version; node -e 0; median of 3): ${floorText}\n`);
    const others = median(b.records.map((r) => r.otherCpuS / r.wallS));
    const stealShare = median(b.records.map((r) => r.stealS / (r.wallS * cpus().length)));
    process.stdout.write(
      `other processes during the runs: median ${others.toFixed(2)} CPU s per second of run; ` +
        `hypervisor steal: median ${(stealShare * 100).toFixed(0)}% of the cores' time\n`,
    );
    if (others > 0.1 || stealShare > 0.05) {
      const who = others > 0.1 ? 'other processes' : 'the hypervisor (steal: other guests on the host)';
      process.stdout.write(`WARNING: ${who} took CPU time during the runs; absolute numbers are noisy, ratios less so. Re-run on a quiet machine.\n`);
    }
    process.stdout.write(`results: ${file}\nlogs:    ${runDir}\ntotal time: ${((finished - began) / 60000).toFixed(1)} min\n`);
  } finally {
    await cleanup();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
