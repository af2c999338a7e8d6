/**
 * `npm run bench:bundle [-- --size small|full] [--runs N]`: carrying the bench set across the
 * gap, airlock against skopeo on the same generated images in one run, alternating order:
 *
 * - create: `airlock bundle create LOCK -o images.tar` (pull into a fresh store, then the
 *   bundle) against `skopeo copy --all docker://... oci-archive:` per image, 4 at a time;
 * - import: `airlock bundle import images.tar --to TARGET/mirror` against
 *   `skopeo copy --all --preserve-digests oci-archive:... docker://TARGET/mirror/...` per
 *   image, 4 at a time, each into its own fresh registry;
 * - sizes: the bundle against the set's unique blob bytes, skopeo's archives beside it;
 * - differential: an inventory of airlock's target, then a bundle of the set plus one new tag
 *   made against it, against that tag's new blob bytes;
 * - warm: `airlock warm images.tar --containerd SOCK` against `ctr images import --no-unpack`
 *   of the same bundle, each into a fresh containerd (started as root, as the tests do).
 *
 * Every run is checked (every tag's digest on the target, a sample re-downloaded blob by
 * blob); failed runs are dropped from the medians and reported.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { fixtureBlobs } from '../test/helpers/fixtures.js';
import { ensureDataset, ensureIncremental, type Dataset, type DatasetImage } from './dataset.js';
import { makeSandbox, measure, type Measured, type Sandbox } from './measure.js';
import { writeMirrorLock } from './mirror-lock.js';
import { planFor, SIZES, type SizeName } from './plan.js';
import { startBenchRegistry, type BenchRegistry } from './registry.js';
import { median } from './report.js';
import { seed } from './seed.js';
import { SKOPEO_COPY_PARALLEL } from './tools.js';
import { containerdImages, startContainerd } from '../test/helpers/containerd.js';
import { checkTags, sampleOf, validateSample } from './verify.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CACHE = join(ROOT, '.bench');
const AIRLOCK = join(ROOT, 'dist', 'cli', 'main.js');
const PREFIX = 'mirror';
const MB = 1e6;

const began = Date.now();
/** Docker-format images skopeo's oci-archive round trip gave new digests. */
let skopeoRewrote = 0;
const log = (msg: string) => process.stderr.write(`[${((Date.now() - began) / 1000).toFixed(0).padStart(5)}s] ${msg}\n`);

type Tool = 'airlock' | 'skopeo' | 'ctr';
type Step = 'create' | 'import' | 'warm';
interface Run extends Measured {
  tool: Tool;
  step: Step;
  round: number;
  ok: boolean;
  problems: string[];
}

function options(): { size: SizeName; runs: number } {
  const { values } = parseArgs({ options: { size: { type: 'string', default: 'full' }, runs: { type: 'string', default: '3' } } });
  const size = values.size as SizeName;
  if (!SIZES.includes(size)) throw new Error(`--size must be one of ${SIZES.join(', ')}`);
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a positive whole number');
  return { size, runs };
}

async function bytesUnder(dir: string): Promise<number> {
  let n = 0;
  for (const f of await readdir(dir)) n += (await stat(join(dir, f))).size;
  return n;
}

/** One line per image for the xargs loops: `REPO TAG INDEX`. */
async function imageLines(workDir: string, images: DatasetImage[]): Promise<string> {
  const file = join(workDir, 'images.lines');
  await writeFile(file, images.map((i, n) => `${i.repo} ${i.tag} ${n}\n`).join(''));
  return file;
}

/** skopeo, per image, 4 at a time: `skopeo copy --all SRC DST` with SRC/DST built from a line. */
function skopeoLoop(sb: Sandbox, lines: string, src: string, dst: string, extra: string[] = []): [string, string[]] {
  const skopeo = ['skopeo', ...sb.skopeoGlobal, 'copy', '--all', ...extra].map((a) => `'${a}'`).join(' ');
  const script = `set -e; ${skopeo} "${src}" "${dst}"`;
  return ['xargs', ['-a', lines, '-P', String(SKOPEO_COPY_PARALLEL), '-L', '1', 'sh', '-c', script, 'loop']];
}

async function main(): Promise<void> {
  const opts = options();
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const runDir = join(CACHE, 'runs', `bundle-${stamp}`);
  await mkdir(runDir, { recursive: true });
  const ds: Dataset = await ensureDataset(CACHE, planFor(opts.size), log);
  const inc = await ensureIncremental(ds, 0);
  const sb = await makeSandbox();
  const source = await startBenchRegistry('source');
  const registries: BenchRegistry[] = [source];
  const runs: Run[] = [];
  const sizes: { bundle: number[]; skopeoArchives: number[]; differential: number[] } = { bundle: [], skopeoArchives: [], differential: [] };
  try {
    log(`seeding ${ds.images.length} tags (${(ds.uniqueBytes / MB).toFixed(0)} MB unique) and one incremental tag`);
    await seed(source, [...ds.images, inc]);
    const lock = await writeMirrorLock({ images: ds.images, source, target: source, prefix: PREFIX, workDir: await mkdirp(join(runDir, 'lock')), sandbox: sb, airlockMain: AIRLOCK });
    const lock2 = await writeMirrorLock({ images: [...ds.images, inc], source, target: source, prefix: PREFIX, workDir: await mkdirp(join(runDir, 'lock2')), sandbox: sb, airlockMain: AIRLOCK });
    if (lock.problems.length || lock2.problems.length) throw new Error(`the locks came out wrong: ${[...lock.problems, ...lock2.problems].join('; ')}`);

    for (let round = 0; round < opts.runs; round++) {
      const order: Tool[] = round % 2 === 0 ? ['airlock', 'skopeo'] : ['skopeo', 'airlock'];
      for (const tool of order) {
        const dir = await mkdirp(join(runDir, `${round + 1}-${tool}`));
        const env = { ...sb.env, AIRLOCK_STORE: join(dir, 'store') };
        const lines = await imageLines(dir, ds.images);
        const archives = await mkdirp(join(dir, 'archives'));
        const bundle = join(dir, 'images.tar');
        execFileSync('sync');
        // create
        const created =
          tool === 'airlock'
            ? await measure(process.execPath, [AIRLOCK, 'bundle', 'create', lock.file, '-o', bundle], env, join(dir, 'create'))
            : await measure(...skopeoLoop(sb, lines, `docker://${source.host}/$1:$2`, `oci-archive:${archives}/$3.tar:$1:$2`, ['--src-tls-verify=false']), env, join(dir, 'create'));
        const createProblems = created.exitCode !== 0 ? [`exit ${created.exitCode} (see ${dir})`] : [];
        if (tool === 'airlock' && createProblems.length === 0) sizes.bundle.push((await stat(bundle)).size);
        if (tool === 'skopeo' && createProblems.length === 0) sizes.skopeoArchives.push(await bytesUnder(archives));
        runs.push({ ...created, tool, step: 'create', round, ok: createProblems.length === 0, problems: createProblems });
        log(`create ${round + 1} ${tool.padEnd(7)} wall ${created.wallS.toFixed(2)} s, RSS ${(created.peakRssBytes / MB).toFixed(0)} MB${createProblems.length ? ` FAILED ${createProblems[0]}` : ''}`);
        // import, into a fresh registry
        const target = await startBenchRegistry(`target-${tool}-${round}`);
        registries.push(target);
        execFileSync('sync');
        const imported =
          tool === 'airlock'
            ? await measure(process.execPath, [AIRLOCK, 'bundle', 'import', bundle, '--to', `${target.host}/${PREFIX}`], env, join(dir, 'import'))
            : await measure(...skopeoLoop(sb, lines, `oci-archive:${archives}/$3.tar:$1:$2`, `docker://${target.host}/${PREFIX}/$1:$2`, ['--preserve-digests', '--dest-tls-verify=false']), env, join(dir, 'import'));
        const importProblems = imported.exitCode !== 0 ? [`exit ${imported.exitCode} (see ${dir})`] : [];
        // skopeo's oci-archive holds OCI manifests only: it rewrites Docker-format images (new
        // digests). Their tags are checked for presence; the rewrite is reported, not failed.
        const kept = tool === 'skopeo' ? ds.images.filter((i) => i.format !== 'docker') : ds.images;
        importProblems.push(...(await checkTags(target.url, PREFIX, kept)));
        if (tool === 'skopeo') {
          const rewritten = (await checkTags(target.url, PREFIX, ds.images.filter((i) => i.format === 'docker'))).filter((p) => !p.includes('digest'));
          importProblems.push(...rewritten);
          skopeoRewrote = ds.images.length - kept.length;
        }
        if (importProblems.length === 0) importProblems.push(...(await validateSample(target.url, PREFIX, sampleOf(kept, round))));
        runs.push({ ...imported, tool, step: 'import', round, ok: importProblems.length === 0 && createProblems.length === 0, problems: importProblems });
        log(`import ${round + 1} ${tool.padEnd(7)} wall ${imported.wallS.toFixed(2)} s, RSS ${(imported.peakRssBytes / MB).toFixed(0)} MB${importProblems.length ? ` FAILED ${importProblems.slice(0, 3).join('; ')}` : ', verified'}`);
        // differential, airlock only: what the target holds, then the set plus one new tag against it
        if (tool === 'airlock' && importProblems.length === 0) {
          const have = join(dir, 'have.json');
          const inv = await measure(process.execPath, [AIRLOCK, 'inventory', '--registry', `${target.host}/${PREFIX}`, '-o', have], env, join(dir, 'inventory'));
          const diff = join(dir, 'update.tar');
          const made = inv.exitCode === 0 ? await measure(process.execPath, [AIRLOCK, 'bundle', 'create', lock2.file, '--have', have, '-o', diff], env, join(dir, 'diff')) : inv;
          if (made.exitCode === 0) sizes.differential.push((await stat(diff)).size);
          else log(`differential ${round + 1} FAILED (see ${dir})`);
        }
        if (tool === 'airlock' && createProblems.length === 0) runs.push(...(await warmCase(round, bundle, dir, env, source, ds.images)));
        await target.stop();
        // Keep the disk bounded: this round's outputs are measured already (the logs stay).
        for (const big of ['store', 'archives', 'images.tar', 'update.tar']) await rm(join(dir, big), { recursive: true, force: true });
      }
    }
  } finally {
    for (const r of registries) await r.stop();
  }
  report(ds, inc, runs, sizes, join(CACHE, `results-bundle-${stamp}.json`));
}

/** airlock warm and ctr images import of the same bundle, each into a fresh containerd, checked by `ctr images ls`. */
async function warmCase(round: number, bundle: string, dir: string, env: NodeJS.ProcessEnv, source: BenchRegistry, images: DatasetImage[]): Promise<Run[]> {
  const out: Run[] = [];
  const order: Tool[] = round % 2 === 0 ? ['airlock', 'ctr'] : ['ctr', 'airlock'];
  for (const tool of order) {
    const c = await startContainerd();
    try {
      execFileSync('sync');
      const m =
        tool === 'airlock'
          ? await measure(process.execPath, [AIRLOCK, 'warm', bundle, '--containerd', c.socket, '--namespace', 'k8s.io', '--platform', 'linux/amd64'], env, join(dir, 'warm-airlock'))
          : await measure('ctr', ['-a', c.socket, '-n', 'k8s.io', 'images', 'import', '--no-unpack', '--platform', 'linux/amd64', bundle], env, join(dir, 'warm-ctr'));
      const problems = m.exitCode !== 0 ? [`exit ${m.exitCode} (see ${dir})`] : [];
      const have = await containerdImages(c, 'k8s.io');
      // airlock names images as the lock's destinations (the pods' names); ctr as the bundle's index does.
      for (const i of images) {
        const name = tool === 'airlock' ? `${source.host}/${PREFIX}/${i.repo}:${i.tag}` : `${source.host}/${i.repo}:${i.tag}`;
        if (have.get(name) !== i.digest) problems.push(`${name}: ${have.get(name) ?? 'absent'}, expected ${i.digest}`);
      }
      out.push({ ...m, tool, step: 'warm', round, ok: problems.length === 0, problems });
      log(`warm   ${round + 1} ${tool.padEnd(7)} wall ${m.wallS.toFixed(2)} s, RSS ${(m.peakRssBytes / MB).toFixed(0)} MB${problems.length ? ` FAILED ${problems.slice(0, 3).join('; ')}` : ', verified'}`);
    } finally {
      await c.stop();
    }
  }
  return out;
}

async function mkdirp(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  return dir;
}

function report(ds: Dataset, inc: DatasetImage, runs: Run[], sizes: { bundle: number[]; skopeoArchives: number[]; differential: number[] }, file: string): void {
  const ok = (tool: Tool, step: Step) => runs.filter((r) => r.tool === tool && r.step === step && r.ok);
  const wall = (tool: Tool, step: Step) => median(ok(tool, step).map((r) => r.wallS));
  const rss = (tool: Tool) => Math.max(0, ...runs.filter((r) => r.tool === tool && r.ok).map((r) => r.peakRssBytes));
  const known = new Set(ds.images.flatMap((i) => fixtureBlobs(i.fixture).map((b) => b.desc.digest)));
  const incBlobs = fixtureBlobs(inc.fixture);
  const newBytes = incBlobs.filter((b) => !known.has(b.desc.digest)).reduce((n, b) => n + b.desc.size, 0);
  // The images the target holds are left out whole; the new tag's manifests are carried with its new blobs.
  const manifestBytes = incBlobs.filter((b) => /manifest|index/.test(b.desc.mediaType)).reduce((n, b) => n + b.desc.size, 0);
  const failed = runs.filter((r) => !r.ok);
  const createRatio = wall('airlock', 'create') / wall('skopeo', 'create');
  const importRatio = wall('airlock', 'import') / wall('skopeo', 'import');
  const bothRatio = (wall('airlock', 'create') + wall('airlock', 'import')) / (wall('skopeo', 'create') + wall('skopeo', 'import'));
  const bundleSize = median(sizes.bundle);
  const diffSize = median(sizes.differential);
  const lines = [
    '',
    `bundle benchmark: ${ds.images.length} tags, ${ds.uniqueBlobs} unique blobs, ${(ds.uniqueBytes / MB).toFixed(1)} MB unique; medians of ${ok('airlock', 'import').length} airlock / ${ok('skopeo', 'import').length} skopeo verified runs${failed.length ? `; ${failed.length} failed runs dropped` : ''}`,
    '',
    '| step | airlock | skopeo (per image, -P4) | ratio |',
    '| --- | --- | --- | --- |',
    `| create (registry -> file) | ${wall('airlock', 'create').toFixed(2)} s | ${wall('skopeo', 'create').toFixed(2)} s | ${createRatio.toFixed(2)}x |`,
    `| import (file -> registry) | ${wall('airlock', 'import').toFixed(2)} s | ${wall('skopeo', 'import').toFixed(2)} s | ${importRatio.toFixed(2)}x |`,
    `| warm (file -> containerd; other: ctr images import) | ${wall('airlock', 'warm').toFixed(2)} s | ${wall('ctr', 'warm').toFixed(2)} s (ctr) | ${(wall('airlock', 'warm') / wall('ctr', 'warm')).toFixed(2)}x |`,
    `| peak RSS | ${(rss('airlock') / MB).toFixed(0)} MB | ${(rss('skopeo') / MB).toFixed(0)} MB | |`,
    `| bytes carried | ${(bundleSize / MB).toFixed(1)} MB (one bundle) | ${(median(sizes.skopeoArchives) / MB).toFixed(1)} MB (${ds.images.length} archives) | |`,
    '',
    'goals:',
    `  create + import <= 0.5x skopeo: ${bothRatio.toFixed(2)}x ${bothRatio <= 0.5 ? 'PASS' : 'MISS'}`,
    `  bundle within 1% of the unique blob bytes: ${(bundleSize / MB).toFixed(2)} MB vs ${(ds.uniqueBytes / MB).toFixed(2)} MB (+${((bundleSize / ds.uniqueBytes - 1) * 100).toFixed(2)}%) ${bundleSize <= ds.uniqueBytes * 1.01 ? 'PASS' : 'MISS'}`,
    `  differential bundle for one new tag within 1% of its new blobs (+ its manifests): ${(diffSize / MB).toFixed(3)} MB vs ${((newBytes + manifestBytes) / MB).toFixed(3)} MB (new blobs ${(newBytes / MB).toFixed(3)} MB + manifests ${(manifestBytes / MB).toFixed(3)} MB; +${((diffSize / (newBytes + manifestBytes) - 1) * 100).toFixed(2)}%) ${diffSize <= (newBytes + manifestBytes) * 1.01 ? 'PASS' : 'MISS'}`,
    `  airlock peak RSS under 200 MB: ${(rss('airlock') / MB).toFixed(0)} MB ${rss('airlock') < 200 * MB ? 'PASS' : 'MISS'}`,
    ...(skopeoRewrote ? [`  note: skopeo's oci-archive round trip converted ${skopeoRewrote} Docker-format images to OCI (new digests, pins broken); airlock's bundle kept every digest`] : []),
    ...failed.map((r) => `  failed: ${r.step} ${r.round + 1} ${r.tool}: ${r.problems.slice(0, 3).join('; ')}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  void writeFile(file, JSON.stringify({ dataset: { images: ds.images.length, uniqueBytes: ds.uniqueBytes, newBytes, manifestBytes }, runs, sizes }, null, 1));
}

await main();
