/**
 * `npm run bench:modify [-- --size small|full] [--runs N]`: `airlock modify --append` of a
 * 10 MiB directory onto a large multi-arch image in a registry, against buildah doing the same
 * (from, add, commit per platform; manifest push --all), in one run on the same data,
 * alternating which goes first. Wall time and the bytes that cross the wire, each way, through
 * a counting proxy; then airlock's rerun, which must write nothing. See bench/README.md.
 */
import { execFileSync } from 'node:child_process';
import { access, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { FixtureIndex } from '../test/helpers/fixtures.js';
import { bytesBetween, startByteProxy, type ByteCounts, type ByteProxy } from './byte-proxy.js';
import { ensureDataset, type DatasetImage } from './dataset.js';
import { makeSandbox, measure, type Sandbox } from './measure.js';
import { canPrivatiseBlobCache, HOST_BLOB_CACHE, runBuildah, type BuildahPhase } from './modify-buildah.js';
import { checkModified, type ResultCheck } from './modify-check.js';
import { INPUT_BYTES, MODIFY_REPO, MODIFY_TAG, modifyPlan, PLATFORMS, writeInputDir, type InputFile } from './modify-data.js';
import { noiseMeter, noiseWarning } from './noise.js';
import { SIZES, type SizeName } from './plan.js';
import { startBenchRegistry, type BenchRegistry, type RequestCounts } from './registry.js';
import { median } from './report.js';
import { seed } from './seed.js';
import { checkTags } from './verify.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CACHE = join(ROOT, '.bench');
const AIRLOCK_MAIN = join(ROOT, 'dist', 'cli', 'main.js');
/** Where the directory goes in the image. */
const DEST = '/opt/hotfix';
/** Both tools write the result beside the base, in its repository, under their own tag. */
const TAG_OF = { airlock: `${MODIFY_TAG}-hotfix`, buildah: `${MODIFY_TAG}-buildah` } as const;
/**
 * HTTP overhead allowed on top of the new blobs' bytes (request lines and headers of a few
 * dozen requests); every layer of the base is several MiB, so one sent again is far above it.
 */
const ALLOWANCE = 256 * 1024;
/** What a rerun may upload: requests without bodies (HEADs, GETs) only. */
const RERUN_ALLOWANCE = 16 * 1024;
const MB = 1e6;

const began = Date.now();
const log = (msg: string) => process.stderr.write(`[${((Date.now() - began) / 1000).toFixed(0).padStart(5)}s] ${msg}\n`);

type Tool = 'airlock' | 'airlock-rerun' | 'buildah';
const LABEL: Record<Tool, string> = { airlock: 'airlock modify', 'airlock-rerun': 'airlock modify (rerun)', buildah: 'buildah' };

interface Run {
  tool: Tool;
  round: number;
  /** 0: went first in its round. */
  position: number;
  exitCode: number;
  wallS: number;
  cpuS: number;
  peakRssBytes: number;
  /** On the wire through the proxy, client → registry and back. */
  bytes: ByteCounts;
  requests: RequestCounts;
  /** Cross-repository mounts asked (POST ...?mount=) and write requests (POST, PUT, PATCH, DELETE), from the access log. */
  mounts: number;
  writes: number;
  otherCpuS: number;
  ok: boolean;
  problems: string[];
  command: string[];
  check?: Omit<ResultCheck, 'problems'>;
  /** airlock's own report of the image. */
  report?: Record<string, unknown>;
  /** buildah: wall seconds per phase. */
  phases?: Record<BuildahPhase, number>;
}

function options(): { size: SizeName; runs: number } {
  const { values } = parseArgs({
    options: { size: { type: 'string', default: 'full' }, runs: { type: 'string', default: '3' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    process.stdout.write('usage: npm run bench:modify -- [--size small|full] [--runs N]\n');
    process.exit(0);
  }
  const size = values.size as SizeName;
  if (!SIZES.includes(size)) throw new Error(`--size must be one of ${SIZES.join(', ')}`);
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a positive whole number');
  return { size, runs };
}

function commandOutput(cmd: string, args: string[]): string | undefined {
  try {
    return execFileSync(cmd, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

/** What is missing to run at all; buildah missing only drops the comparison (said in the output). */
async function preflight(): Promise<{ buildah?: string; privateBlobCache: boolean }> {
  for (const cmd of ['docker-registry', 'skopeo']) {
    if (commandOutput('sh', ['-c', `command -v ${cmd}`]) === undefined) throw new Error(`${cmd} is not installed`);
  }
  await access('/usr/bin/time').catch(() => {
    throw new Error('/usr/bin/time (GNU time) is needed to measure CPU and peak RSS');
  });
  await access(AIRLOCK_MAIN).catch(() => {
    throw new Error(`${AIRLOCK_MAIN} is missing: run npm run build (npm run bench:modify does)`);
  });
  const buildah = commandOutput('buildah', ['--version']);
  return { ...(buildah ? { buildah } : {}), privateBlobCache: buildah ? await canPrivatiseBlobCache() : false };
}

/** The access-log lines after `mark`: mounts asked and write requests. */
async function writesSince(reg: BenchRegistry, mark: number): Promise<{ mounts: number; writes: number }> {
  const text = (await readFile(reg.logFile)).subarray(mark).toString('utf8');
  let mounts = 0;
  let writes = 0;
  for (const line of text.split('\n')) {
    const m = /"(POST|PUT|PATCH|DELETE) (\S+) HTTP/.exec(line);
    if (!m) continue;
    writes++;
    if (m[1] === 'POST' && /[?&]mount=/.test(m[2]!)) mounts++;
  }
  return { mounts, writes };
}

interface Setup {
  image: DatasetImage;
  base: FixtureIndex;
  input: InputFile[];
  inputDir: string;
  template: string;
  sandbox: Sandbox;
  runDir: string;
  runs: Run[];
  privateBlobCache: boolean;
}

/** A registry holding exactly the seeded base: a copy of the template storage, checked. */
async function freshRegistry(s: Setup, label: string): Promise<BenchRegistry> {
  const reg = await startBenchRegistry(label, { seed: (root) => cp(s.template, root, { recursive: true }) });
  const problems = await checkTags(reg.url, '', [s.image]);
  if (problems.length > 0) {
    await reg.stop();
    throw new Error(`registry copied from the template does not hold the base: ${problems.join('; ')}`);
  }
  return reg;
}

/**
 * Runs `body` timed, with the bytes through `proxy`, the requests and writes in `reg`'s log
 * and the CPU other processes used (the benchmark's own process, which runs the proxy, counts
 * as the client's side of the wire, not as noise).
 */
async function timed<T extends { exitCode: number; wallS: number; cpuS: number; peakRssBytes: number }>(
  reg: BenchRegistry,
  proxy: ByteProxy,
  body: () => Promise<T>,
): Promise<{ result: T; bytes: ByteCounts; requests: RequestCounts; mounts: number; writes: number; otherCpuS: number }> {
  // Flush the previous step's dirty pages (buildah's vfs copies are large) so this run does not pay for their writeback.
  execFileSync('sync');
  const mark = await reg.mark();
  const before = proxy.snapshot();
  const meter = await noiseMeter([reg]);
  const own0 = process.cpuUsage();
  const result = await body();
  const own = process.cpuUsage(own0);
  const bytes = bytesBetween(before, proxy.snapshot());
  const otherCpuS = await meter(result.cpuS + (own.user + own.system) / 1e6);
  const requests = await reg.requestsSince(mark);
  return { result, bytes, requests, otherCpuS, ...(await writesSince(reg, mark)) };
}

function describe(r: Run): string {
  const extra = r.tool === 'buildah' && r.phases ? ` (pull ${r.phases.pull.toFixed(1)} s, add+commit ${r.phases.build.toFixed(1)} s, push ${r.phases.push.toFixed(1)} s)` : '';
  return (
    `${LABEL[r.tool].padEnd(23)} ${r.round + 1} wall ${r.wallS.toFixed(2)} s${extra}, CPU ${r.cpuS.toFixed(2)} s, ` +
    `up ${(r.bytes.up / MB).toFixed(3)} MB, down ${(r.bytes.down / MB).toFixed(3)} MB, ${r.requests.total} requests, ${r.writes} writes, ${r.mounts} mounts` +
    (r.ok ? ', verified' : ` FAILED: ${r.problems.slice(0, 4).join('; ')}`)
  );
}

/** A check's findings but its problems, which the run carries. */
function withoutProblems(c: ResultCheck): Omit<ResultCheck, 'problems'> {
  const { problems: _, ...rest } = c;
  return rest;
}

/** airlock's report entry for the one image, or undefined. */
async function airlockReport(file: string): Promise<Record<string, unknown> | undefined> {
  try {
    const r = JSON.parse(await readFile(file, 'utf8')) as { images?: Array<Record<string, unknown>> };
    return r.images?.[0];
  } catch {
    return undefined;
  }
}

/** Bytes of the base's index, platform manifests and configs: all airlock needs to read. */
function baseMetaBytes(base: FixtureIndex): number {
  return base.manifest.length + base.images.reduce((n, i) => n + i.manifest.length + i.config.length, 0);
}

async function airlockRound(s: Setup, round: number, position: number): Promise<void> {
  const reg = await freshRegistry(s, 'modify-airlock');
  const proxy = await startByteProxy(reg.host);
  const dir = join(s.runDir, `${round + 1}-airlock`);
  await mkdir(dir, { recursive: true });
  try {
    const src = `${proxy.host}/${MODIFY_REPO}:${MODIFY_TAG}`;
    const dst = `${proxy.host}/${MODIFY_REPO}:${TAG_OF.airlock}`;
    const args = (report: string) => [AIRLOCK_MAIN, 'modify', src, dst, '--append', `${s.inputDir}:${DEST}`, '--report', report];
    let digest: string | undefined;
    for (const tool of ['airlock', 'airlock-rerun'] as const) {
      const report = join(dir, `${tool}-report.json`);
      const t = await timed(reg, proxy, async () => {
        const m = await measure(process.execPath, args(report), s.sandbox.env, join(dir, tool));
        return { ...m, cpuS: m.userS + m.sysS };
      });
      const entry = await airlockReport(report);
      const problems: string[] = [];
      if (t.result.exitCode !== 0) problems.push(`exit code ${t.result.exitCode} (see ${join(dir, tool)}.err)`);
      let check: ResultCheck | undefined;
      if (tool === 'airlock') {
        if (entry?.status !== 'copied') problems.push(`airlock reported ${String(entry?.status ?? 'nothing')}, expected copied`);
        check = await checkModified({ url: reg.url, host: reg.host, repo: MODIFY_REPO, tag: TAG_OF.airlock, base: s.base, input: s.input, dest: DEST, sandbox: s.sandbox, requireBaseDigests: true });
        problems.push(...check.problems);
        digest = check.digest;
        if (t.bytes.up < check.newLayerBytes) problems.push(`uploaded ${t.bytes.up} bytes, less than the new layers' ${check.newLayerBytes}: the proxy did not see the upload`);
        if (t.bytes.up > check.newBytes + ALLOWANCE) {
          problems.push(`base layers re-sent: uploaded ${t.bytes.up} bytes, the new layers, configs and manifests are ${check.newBytes} (+ ${ALLOWANCE} allowed)`);
        }
        const meta = baseMetaBytes(s.base);
        if (t.bytes.down > meta + ALLOWANCE) problems.push(`base layers downloaded: ${t.bytes.down} bytes came back, the base's manifests and configs are ${meta} (+ ${ALLOWANCE} allowed)`);
      } else {
        if (entry?.status !== 'up-to-date') problems.push(`airlock reported ${String(entry?.status ?? 'nothing')}, expected up-to-date`);
        if (t.writes > 0) problems.push(`${t.writes} write requests on a rerun`);
        if (t.bytes.up > RERUN_ALLOWANCE) problems.push(`uploaded ${t.bytes.up} bytes on a rerun (${RERUN_ALLOWANCE} allowed for requests without bodies)`);
        const now = await checkTags(reg.url, '', [{ ...s.image, tag: TAG_OF.airlock, digest: digest ?? 'unknown' }]);
        problems.push(...now.map((p) => `after the rerun: ${p}`));
      }
      const run: Run = {
        tool,
        round,
        position,
        exitCode: t.result.exitCode,
        wallS: t.result.wallS,
        cpuS: t.result.cpuS,
        peakRssBytes: t.result.peakRssBytes,
        bytes: t.bytes,
        requests: t.requests,
        mounts: t.mounts,
        writes: t.writes,
        otherCpuS: t.otherCpuS,
        ok: problems.length === 0,
        problems,
        command: ['node', ...args(report)],
        ...(check ? { check: withoutProblems(check) } : {}),
        ...(entry ? { report: entry } : {}),
      };
      s.runs.push(run);
      log(describe(run));
    }
  } finally {
    await proxy.stop();
    await reg.stop();
  }
}

async function buildahRound(s: Setup, round: number, position: number): Promise<void> {
  const reg = await freshRegistry(s, 'modify-buildah');
  const proxy = await startByteProxy(reg.host);
  const dir = join(s.runDir, `${round + 1}-buildah`);
  try {
    const t = await timed(reg, proxy, () =>
      runBuildah({
        src: `${proxy.host}/${MODIFY_REPO}:${MODIFY_TAG}`,
        dst: `${proxy.host}/${MODIFY_REPO}:${TAG_OF.buildah}`,
        platforms: PLATFORMS,
        inputDir: s.inputDir,
        dest: DEST,
        sandbox: s.sandbox,
        logDir: dir,
        privateBlobCache: s.privateBlobCache,
      }),
    );
    const problems: string[] = [];
    let check: ResultCheck | undefined;
    if (t.result.exitCode !== 0) problems.push(t.result.failure ?? `exit code ${t.result.exitCode}`);
    else {
      // buildah's result is held to the same image (base + one layer with the files); keeping base digests is only reported.
      check = await checkModified({ url: reg.url, host: reg.host, repo: MODIFY_REPO, tag: TAG_OF.buildah, base: s.base, input: s.input, dest: DEST, sandbox: s.sandbox, requireBaseDigests: false });
      problems.push(...check.problems);
    }
    const run: Run = {
      tool: 'buildah',
      round,
      position,
      exitCode: t.result.exitCode,
      wallS: t.result.wallS,
      cpuS: t.result.cpuS,
      peakRssBytes: t.result.peakRssBytes,
      bytes: t.bytes,
      requests: t.requests,
      mounts: t.mounts,
      writes: t.writes,
      otherCpuS: t.otherCpuS,
      ok: problems.length === 0,
      problems,
      command: t.result.steps.map((x) => x.command.join(' ')),
      phases: t.result.phases,
      ...(check ? { check: withoutProblems(check) } : {}),
    };
    s.runs.push(run);
    log(describe(run));
  } finally {
    await proxy.stop();
    await reg.stop();
  }
}

interface Summary {
  runs: number;
  ok: number;
  wallS?: number;
  cpuS?: number;
  peakRssBytes?: number;
  up?: number;
  down?: number;
  requests?: number;
  writes?: number;
  mounts?: number;
  newBytes?: number;
  baseDigestsKept?: boolean;
  phases?: Record<BuildahPhase, number>;
}

function summarise(runs: Run[], tool: Tool): Summary | undefined {
  const all = runs.filter((r) => r.tool === tool);
  if (all.length === 0) return undefined;
  const ok = all.filter((r) => r.ok);
  const s: Summary = { runs: all.length, ok: ok.length };
  if (ok.length === 0) return s;
  const med = (f: (r: Run) => number) => median(ok.map(f));
  s.wallS = med((r) => r.wallS);
  s.cpuS = med((r) => r.cpuS);
  s.peakRssBytes = med((r) => r.peakRssBytes);
  s.up = med((r) => r.bytes.up);
  s.down = med((r) => r.bytes.down);
  s.requests = med((r) => r.requests.total);
  s.writes = med((r) => r.writes);
  s.mounts = med((r) => r.mounts);
  if (ok.every((r) => r.check)) {
    s.newBytes = med((r) => r.check!.newBytes);
    s.baseDigestsKept = ok.every((r) => r.check!.baseDigestsKept);
  }
  if (ok.every((r) => r.phases)) s.phases = { pull: med((r) => r.phases!.pull), build: med((r) => r.phases!.build), push: med((r) => r.phases!.push) };
  return s;
}

function table(sum: Partial<Record<Tool, Summary>>, buildahNote: string | undefined): string {
  const cols: Array<[string, number]> = [
    ['tool', 24], ['runs', 5], ['wall s', 8], ['CPU s', 7], ['peak RSS MB', 12], ['up MB', 9], ['down MB', 9], ['requests', 9], ['writes', 7], ['new blobs MB', 13], ['base layer digests', 19],
  ];
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 || i === cols.length - 1 ? c.padEnd(cols[i]![1]) : c.padStart(cols[i]![1]))).join(' ').trimEnd();
  const f = (n: number | undefined, d = 2) => (n === undefined ? '-' : n.toFixed(d));
  const rows = [line(cols.map(([h]) => h)), line(cols.map(([, w]) => '-'.repeat(w)))];
  for (const tool of ['airlock', 'buildah', 'airlock-rerun'] as Tool[]) {
    const s = sum[tool];
    if (!s) {
      if (tool === 'buildah' && buildahNote) rows.push(line([LABEL.buildah, '-', 'not run', '', '', '', '', '', '', '', buildahNote]));
      continue;
    }
    rows.push(
      line([
        LABEL[tool],
        s.ok === s.runs ? String(s.runs) : `${s.ok}/${s.runs}`,
        s.wallS === undefined ? 'FAILED' : f(s.wallS),
        f(s.cpuS),
        s.peakRssBytes === undefined ? '-' : f(s.peakRssBytes / MB, 0),
        s.up === undefined ? '-' : f(s.up / MB, 3),
        s.down === undefined ? '-' : f(s.down / MB, 3),
        f(s.requests, 0),
        f(s.writes, 0),
        s.newBytes === undefined ? '-' : f(s.newBytes / MB, 3),
        tool === 'airlock-rerun' || s.baseDigestsKept === undefined ? '' : s.baseDigestsKept ? 'kept' : 'changed (recompressed)',
      ]),
    );
  }
  const a = sum.airlock;
  const b = sum.buildah;
  const ratio = (x: number | undefined, y: number | undefined) => (x !== undefined && y !== undefined && y > 0 ? `${(x / y).toFixed(1)}x` : '-');
  if (a && b) {
    rows.push(
      line([
        'buildah / airlock',
        '',
        ratio(b.wallS, a.wallS),
        ratio(b.cpuS, a.cpuS),
        ratio(b.peakRssBytes, a.peakRssBytes),
        ratio(b.up, a.up),
        ratio(b.down, a.down),
        ratio(b.requests, a.requests),
        '',
        ratio(b.newBytes, a.newBytes),
      ]),
    );
  }
  return rows.join('\n');
}

async function main(): Promise<void> {
  const opts = options();
  const tools = await preflight();
  const buildahNote = tools.buildah ? undefined : 'buildah is not installed (Debian: apt-get install buildah): no comparison';
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const cacheNote = tools.buildah
    ? tools.privateBlobCache
      ? `buildah's blob info cache: an empty one per run, bound over ${HOST_BLOB_CACHE} in a private mount namespace`
      : `buildah's blob info cache: the host's ${HOST_BLOB_CACHE} (no private mount namespace here), shared across runs`
    : undefined;
  log(`size ${opts.size}, ${opts.runs} runs per tool${buildahNote ? `; ${buildahNote}` : ''}`);
  if (cacheNote) log(cacheNote);
  if (loadavg()[0]! > 1) log(`warning: load average ${loadavg()[0]!.toFixed(1)} before starting: results may be noisy`);
  // Its own cache root, so the mirror set of the same size is not taken for a stale copy.
  const ds = await ensureDataset(join(CACHE, 'modify'), modifyPlan(opts.size), log);
  const image = ds.images[0]!;
  if (image.fixture.kind !== 'index') throw new Error('the modify base must be multi-arch');
  const base = image.fixture;
  const smallest = Math.min(...base.images.flatMap((i) => i.layers.map((l) => l.desc.size)));
  if (smallest <= 4 * ALLOWANCE) throw new Error(`a base layer of ${smallest} bytes is too small to tell from the allowance`);
  const runDir = join(CACHE, 'runs', `modify-${stamp}`);
  const inputDir = join(CACHE, 'modify', 'input');
  const input = await writeInputDir(inputDir);
  log(
    `base ${MODIFY_REPO}:${MODIFY_TAG}${ds.cached ? ' (cached)' : ''}: ${base.images.length} platforms, ` +
      `${base.images.map((i) => i.layers.length).join('+')} layers, ${(ds.uniqueBytes / MB).toFixed(1)} MB; ` +
      `appending ${input.length} files, ${(INPUT_BYTES / MB).toFixed(2)} MB, under ${DEST}`,
  );

  const sandbox = await makeSandbox();
  const template = await mkdtemp(join(tmpdir(), 'airlock-bench-modify-template-'));
  await mkdir(runDir, { recursive: true });
  const cleanup = async () => {
    await sandbox.remove();
    await rm(template, { recursive: true, force: true });
  };
  process.once('SIGINT', () => {
    log('interrupted');
    void cleanup().finally(() => process.exit(130));
  });
  try {
    // Seeded once with skopeo (not a tool under test); every run starts from a copy of that storage.
    let templateData = '';
    const seeder = await startBenchRegistry('modify-seed', { seed: async (root) => void (templateData = root) });
    try {
      const t0 = Date.now();
      await seed(seeder, [image]);
      await cp(templateData, template, { recursive: true });
      log(`base seeded with skopeo in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    } finally {
      await seeder.stop();
    }
    const s: Setup = { image, base, input, inputDir, template, sandbox, runDir, runs: [], privateBlobCache: tools.privateBlobCache };
    for (let round = 0; round < opts.runs; round++) {
      // Alternate who goes first, so neither always meets a warmer page cache.
      const order: Array<'airlock' | 'buildah'> = tools.buildah ? (round % 2 === 0 ? ['airlock', 'buildah'] : ['buildah', 'airlock']) : ['airlock'];
      for (const [pos, tool] of order.entries()) {
        if (tool === 'airlock') await airlockRound(s, round, pos);
        else await buildahRound(s, round, pos);
      }
    }
    // What starting airlock costs with no work: the rerun is mostly that.
    const floor: number[] = [];
    for (let i = 0; i < 3; i++) floor.push((await measure(process.execPath, [AIRLOCK_MAIN, '--version'], sandbox.env, join(runDir, `start-${i}`))).wallS);

    const sum: Partial<Record<Tool, Summary>> = {};
    for (const tool of ['airlock', 'airlock-rerun', 'buildah'] as Tool[]) {
      const x = summarise(s.runs, tool);
      if (x) sum[tool] = x;
    }
    const airlockRuns = s.runs.filter((r) => r.tool === 'airlock');
    const airlockOk = airlockRuns.filter((r) => r.ok);
    const rerunBad = s.runs.filter((r) => r.tool === 'airlock-rerun' && !r.ok);
    const finished = Date.now();
    const results = {
      startedAt: new Date(began).toISOString(),
      finishedAt: new Date(finished).toISOString(),
      options: opts,
      environment: {
        node: process.version,
        buildah: tools.buildah ?? 'not installed',
        ...(cacheNote ? { buildahBlobCache: cacheNote } : {}),
        skopeo: commandOutput('skopeo', ['--version']) ?? 'unknown',
        registry: commandOutput('docker-registry', ['--version']) ?? 'unknown',
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model ?? 'unknown',
        airlockCommit: commandOutput('git', ['rev-parse', 'HEAD']) ?? 'unknown',
        airlockTreeDirty: (commandOutput('git', ['status', '--porcelain', '--', 'src']) ?? '') !== '',
      },
      base: { ref: `${MODIFY_REPO}:${MODIFY_TAG}`, digest: image.digest, platforms: PLATFORMS, bytes: ds.uniqueBytes, layersPerPlatform: base.images.map((i) => i.layers.length) },
      input: { files: input.length, bytes: INPUT_BYTES, dest: DEST },
      allowanceBytes: ALLOWANCE,
      rerunAllowanceBytes: RERUN_ALLOWANCE,
      airlockStartS: median(floor),
      summary: sum,
      runs: s.runs,
      logs: runDir,
    };
    const file = join(CACHE, `results-modify-${stamp}.json`);
    await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);

    const out = process.stdout;
    out.write(
      `\nairlock modify --append (${input.length} files, ${(INPUT_BYTES / MB).toFixed(2)} MB) onto ${MODIFY_REPO}:${MODIFY_TAG} ` +
        `(${PLATFORMS.join(' + ')}, ${(ds.uniqueBytes / MB).toFixed(1)} MB) vs buildah, ${opts.size} size; medians of ${opts.runs} runs; ` +
        `bytes on the wire through a counting proxy (MB = 10^6 bytes)\n\n`,
    );
    out.write(`${table(sum, buildahNote)}\n\n`);
    if (sum.buildah?.phases) {
      const p = sum.buildah.phases;
      out.write(`buildah by phase (median s): pull (from x${PLATFORMS.length}) ${p.pull.toFixed(2)}, add+commit ${p.build.toFixed(2)}, manifest create/add/push ${p.push.toFixed(2)}\n`);
    }
    if (cacheNote) out.write(`${cacheNote}\n`);
    const mark = (good: boolean) => (good ? 'PASS' : 'FAILED');
    out.write(
      `only new layers, configs and manifests moved (airlock, up <= new blobs + ${ALLOWANCE / 1024} KiB, down <= base manifests and configs + ${ALLOWANCE / 1024} KiB): ` +
        `${airlockOk.length}/${airlockRuns.length} runs verified ${mark(airlockOk.length === airlockRuns.length && airlockRuns.length > 0)}\n`,
    );
    out.write(`rerun writes nothing (up-to-date, no write request, up <= ${RERUN_ALLOWANCE / 1024} KiB): ${mark(rerunBad.length === 0 && airlockRuns.length > 0)}\n`);
    for (const r of s.runs.filter((x) => !x.ok)) out.write(`FAILED ${LABEL[r.tool]} run ${r.round + 1}: ${r.problems.join('; ')}\n`);
    out.write(`airlock start alone (--version, median of 3): ${median(floor).toFixed(2)} s\n`);
    const warn = noiseWarning(s.runs, median);
    if (warn) out.write(`${warn}\n`);
    out.write(`results: ${file}\nlogs:    ${runDir}\ntotal time: ${((finished - began) / 60000).toFixed(1)} min\n`);
  } finally {
    await cleanup();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
