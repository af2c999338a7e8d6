/**
 * `npm run bench:serve [-- --size small|full] [--runs N]`: `airlock serve` against CNCF
 * Distribution (`docker-registry`) serving the same generated image set, side by side in one
 * run. Each case runs `--runs` times (default 5) for each server, the order alternating from
 * run to run, and the table shows the medians (one ~1 s sample per server is at the mercy of a
 * noisy 2-core machine):
 *
 * - blob GET throughput with 1, 8 and 32 concurrent clients (every blob of the set, each body
 *   hashed and checked against its digest);
 * - manifest GET requests per second with 8 and 32 clients (every tag, repeated; each body's
 *   digest checked);
 * - blob PUT throughput (POST then PUT of every blob, 4 at a time, into a fresh server of each
 *   kind per run; the bodies are read from the data set before the clock starts, so the time is
 *   the servers' and not the client's disk reads);
 * - airlock serve's peak RSS (VmHWM, the largest of every airlock serve process).
 *
 * The clients run in this process (undici, one pool per server) and cost the same for both.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { fixtureBlobs, type FixtureBlob } from '../test/helpers/fixtures.js';
import { freePort } from '../test/helpers/registry.js';
import { ensureDataset, type DatasetImage } from './dataset.js';
import { makeSandbox } from './measure.js';
import { planFor, SIZES, type SizeName } from './plan.js';
import { median } from './report.js';
import { startBenchRegistry, type BenchRegistry } from './registry.js';
import { seed } from './seed.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const AIRLOCK = join(ROOT, 'dist', 'cli', 'main.js');
const MB = 1e6;
const log = (m: string) => process.stderr.write(`${m}\n`);

interface Target {
  name: 'airlock' | 'distribution';
  url: string;
  /** The repository path a dataset repository is served under. */
  repo: (repo: string) => string;
}

interface BlobRef {
  repo: string;
  blob: FixtureBlob;
}

const isManifest = (b: FixtureBlob) => /manifest|index/.test(b.desc.mediaType);

/** Runs `jobs` over `workers` concurrent loops; the wall time in seconds. */
async function timed<T>(items: T[], workers: number, job: (item: T) => Promise<void>): Promise<number> {
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (next < items.length) await job(items[next++]!);
    }),
  );
  return Number(process.hrtime.bigint() - started) / 1e9;
}

async function getBlob(agent: Agent, t: Target, b: BlobRef): Promise<void> {
  const res = await request(`${t.url}/v2/${t.repo(b.repo)}/blobs/${b.blob.desc.digest}`, { dispatcher: agent });
  if (res.statusCode !== 200) throw new Error(`${t.name}: GET blob ${b.blob.desc.digest}: HTTP ${res.statusCode}`);
  const hash = createHash('sha256');
  for await (const c of res.body) hash.update(c as Buffer);
  if (`sha256:${hash.digest('hex')}` !== b.blob.desc.digest) throw new Error(`${t.name}: blob ${b.blob.desc.digest} came back different`);
}

const ACCEPT = 'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json';

async function getManifest(agent: Agent, t: Target, i: DatasetImage): Promise<void> {
  const res = await request(`${t.url}/v2/${t.repo(i.repo)}/manifests/${i.tag}`, { dispatcher: agent, headers: { accept: ACCEPT } });
  const body = Buffer.from(await res.body.arrayBuffer());
  if (res.statusCode !== 200 || `sha256:${createHash('sha256').update(body).digest('hex')}` !== i.digest) throw new Error(`${t.name}: manifest ${i.repo}:${i.tag} wrong (HTTP ${res.statusCode})`);
}

async function putBlob(agent: Agent, t: Target, b: BlobRef, bytes: Buffer): Promise<void> {
  const start = await request(`${t.url}/v2/${t.repo(b.repo)}/blobs/uploads/`, { method: 'POST', dispatcher: agent });
  await start.body.dump();
  if (start.statusCode !== 202) throw new Error(`${t.name}: POST upload: HTTP ${start.statusCode}`);
  const location = new URL(String(start.headers.location), t.url);
  location.searchParams.set('digest', b.blob.desc.digest);
  const put = await request(location, { method: 'PUT', body: bytes, dispatcher: agent, headers: { 'content-type': 'application/octet-stream', 'content-length': String(bytes.length) } });
  await put.body.dump();
  if (put.statusCode !== 201) throw new Error(`${t.name}: PUT blob ${b.blob.desc.digest}: HTTP ${put.statusCode}`);
}

async function startServe(env: NodeJS.ProcessEnv, store: string): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, [AIRLOCK, 'serve', '--store', store, '--listen', `127.0.0.1:${port}`], { env, stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    if (await fetch(`${url}/healthz`).then((r) => r.ok, () => false)) return { url, child };
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('airlock serve did not start');
}

const vmHwm = async (pid: number) => Number(/VmHWM:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;

/** The medians of one case's runs per server, with the ratio and goal as a table row. */
function row(label: string, unit: string, goal: number, runs: Record<string, number[]>): string {
  const a = median(runs.airlock!);
  const d = median(runs.distribution!);
  return `| ${label} | ${a.toFixed(0)} ${unit} | ${d.toFixed(0)} ${unit} | ${(a / d).toFixed(2)}x | >= ${goal.toFixed(1)}x ${a >= goal * d ? 'PASS' : 'MISS'} |`;
}

/** Runs `measure` `runs` times for each target, alternating which goes first; the results per target name. */
async function alternating(targets: Target[], runs: number, first: number, measure: (t: Target) => Promise<number>): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (let r = 0; r < runs; r++) {
    for (const t of (first + r) % 2 === 0 ? targets : [...targets].reverse()) (out[t.name] ??= []).push(await measure(t));
  }
  return out;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { size: { type: 'string', default: 'full' }, runs: { type: 'string', default: '5' } } });
  const size = values.size as SizeName;
  if (!SIZES.includes(size)) throw new Error(`--size must be one of ${SIZES.join(', ')}`);
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a whole number >= 1');
  const ds = await ensureDataset(join(ROOT, '.bench'), planFor(size), log);
  const sb = await makeSandbox();
  const work = await mkdtemp(join(tmpdir(), 'airlock-bench-serve-'));
  const registries: BenchRegistry[] = [];
  const children: ChildProcess[] = [];
  let rss = 0;
  try {
    const dist = await startBenchRegistry('serve-distribution');
    registries.push(dist);
    log(`seeding Distribution with ${ds.images.length} tags (${(ds.uniqueBytes / MB).toFixed(0)} MB)`);
    await seed(dist, ds.images);
    // airlock's store gets the same images, copied from Distribution (outside the timing).
    const store = join(work, 'store');
    const list = join(work, 'images.txt');
    await writeFile(list, ds.images.map((i) => `${dist.host}/${i.repo}:${i.tag}`).join('\n') + '\n');
    await new Promise<void>((resolve, reject) => {
      const c = spawn(process.execPath, [AIRLOCK, 'mirror', list, '--to', 'store:', '--store', store], { env: sb.env, stdio: 'ignore' });
      c.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`mirror into the store exited ${code}`))));
    });
    const serve = await startServe(sb.env, store);
    children.push(serve.child);
    const targets: Target[] = [
      { name: 'airlock', url: serve.url, repo: (r) => `${dist.host}/${r}` },
      { name: 'distribution', url: dist.url, repo: (r) => r },
    ];
    const blobs: BlobRef[] = [];
    const seen = new Set<string>();
    for (const i of ds.images) for (const b of fixtureBlobs(i.fixture)) if (!isManifest(b) && !seen.has(b.desc.digest)) (seen.add(b.desc.digest), blobs.push({ repo: i.repo, blob: b }));
    const bytes = blobs.reduce((n, b) => n + b.blob.desc.size, 0);
    const rows: string[] = [];
    let first = 0;
    for (const c of [1, 8, 32]) {
      const mbs = await alternating(targets, runs, first++, async (t) => {
        const agent = new Agent({ connections: c, pipelining: 1 });
        const s = await timed(blobs, c, (b) => getBlob(agent, t, b));
        await agent.close();
        log(`GET blobs x${c} ${t.name}: ${(bytes / MB / s).toFixed(0)} MB/s`);
        return bytes / MB / s;
      });
      rows.push(row(`blob GET, ${c} client(s)`, 'MB/s', 1, mbs));
    }
    for (const c of [8, 32]) {
      const requests = Array.from({ length: Math.max(2000, ds.images.length * 20) }, (_, k) => ds.images[k % ds.images.length]!);
      const rps = await alternating(targets, runs, first++, async (t) => {
        const agent = new Agent({ connections: c });
        const s = await timed(requests, c, (i) => getManifest(agent, t, i));
        await agent.close();
        log(`GET manifests x${c} ${t.name}: ${(requests.length / s).toFixed(0)} req/s`);
        return requests.length / s;
      });
      rows.push(row(`manifest GET, ${c} clients`, 'req/s', 1, rps));
    }
    rss = await vmHwm(serve.child.pid!);
    // Pushes, each run into a fresh, empty server of each kind; the bodies in memory first.
    const bodies = new Map<string, Buffer>();
    for (const b of blobs) bodies.set(b.blob.desc.digest, b.blob.bytes ?? (await readFile(b.blob.path!)));
    let fresh = 0;
    const pushed = await alternating(targets, runs, first++, async (t) => {
      let url: string;
      let stop: () => Promise<void>;
      if (t.name === 'airlock') {
        const s = await startServe(sb.env, join(work, `push-store-${fresh++}`));
        children.push(s.child);
        url = s.url;
        stop = async () => {
          rss = Math.max(rss, await vmHwm(s.child.pid!));
          s.child.kill('SIGTERM');
        };
      } else {
        const r = await startBenchRegistry('serve-push-distribution');
        registries.push(r);
        url = r.url;
        stop = () => r.stop();
      }
      const pushTarget: Target = { name: t.name, url, repo: (r) => `pushed/${r}` };
      const agent = new Agent({ connections: 4 });
      const s = await timed(blobs, 4, (b) => putBlob(agent, pushTarget, b, bodies.get(b.blob.desc.digest)!));
      await agent.close();
      await stop();
      log(`PUT blobs x4 ${t.name}: ${(bytes / MB / s).toFixed(0)} MB/s`);
      return bytes / MB / s;
    });
    rows.push(row('blob PUT, 4 clients', 'MB/s', 2, pushed));
    rows.push(`| airlock serve peak RSS | ${(rss / MB).toFixed(0)} MB | | | < 150 MB ${rss < 150 * MB ? 'PASS' : 'MISS'} |`);
    process.stdout.write(
      `\nserve benchmark: ${ds.images.length} tags, ${blobs.length} blobs, ${(bytes / MB).toFixed(0)} MB; medians of ${runs} run(s) per server; every body checked against its digest\n\n` +
        `| case | airlock serve | Distribution | ratio | goal |\n| --- | --- | --- | --- | --- |\n${rows.join('\n')}\n`,
    );
  } finally {
    for (const c of children) c.kill('SIGTERM');
    for (const r of registries) await r.stop();
    await rm(work, { recursive: true, force: true });
  }
}

await main();
