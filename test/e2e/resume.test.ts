/**
 * End to end: an `airlock copy` killed with SIGKILL mid-way, then run again. The rerun must
 * finish, the result must validate, and what the first run had completed must not be sent
 * again. Slow reads (and a stalled upload) through the fault proxy make sure the kill lands
 * while blobs are in flight.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { Agent, createServer, request, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaultProxy, type FaultProxy, type ProxiedRequest } from '../helpers/fault-proxy.js';
import { makeImageOnDisk, writeOciLayout, type FixtureImage } from '../helpers/fixtures.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { pushLayoutWithSkopeo } from '../helpers/skopeo.js';
import { validateLayout, validateRegistryImage } from '../helpers/validate.js';
import { CLI_MAIN, jsonEvents, makeCliSandbox, PROJECT_ROOT, show, type CliSandbox } from './cli.js';
import { blobsNotMatchingTheirName, filesUnder, uploadDigest } from './leftovers.js';

const REPO = 'resume/big';
// Six incompressible 8 MiB layers (gzip level 0 keeps generation fast).
const LAYERS = Array.from({ length: 6 }, (_, i) => ({ seed: `e2e-resume-${i}`, size: 8 << 20, gzipLevel: 0 }));
const SLOW_MS = 15_000;

let src: TestRegistry;
let dst: TestRegistry;
let sb: CliSandbox;
let work: string;
let image: FixtureImage;
const proxies: FaultProxy[] = [];
const children: ChildProcess[] = [];
const stoppers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  [src, dst, sb, work] = await Promise.all([
    startRegistry(),
    startRegistry(),
    makeCliSandbox(),
    mkdtemp(join(tmpdir(), 'airlock-e2e-resume-')),
  ]);
  const layout = join(work, 'layout');
  image = await makeImageOnDisk(layout, { seed: 'e2e-resume', layers: LAYERS });
  await writeOciLayout(layout, [{ name: 'big:v1', image }]);
  expect(await pushLayoutWithSkopeo(layout, 'big:v1', src, `${REPO}:v1`)).toBe(image.manifestDesc.digest);
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await Promise.all([...proxies.map((p) => p.stop()), ...stoppers.map((stop) => stop())]);
  await Promise.all([src?.stop(), dst?.stop(), sb?.remove(), work && rm(work, { recursive: true, force: true })]);
});

async function proxyFor(reg: TestRegistry): Promise<FaultProxy> {
  const p = await startFaultProxy({ upstream: reg.url });
  proxies.push(p);
  return p;
}

const layer = (i: number) => image.layers[i]!.desc.digest;
const allBlobs = () => [image.configDesc.digest, ...image.layers.map((l) => l.desc.digest)];

/** Starts the CLI in the sandbox and returns the child (for killing) and its exit. */
function startCli(args: string[]): { child: ChildProcess; exited: Promise<{ code: number | null; signal: string | null }> } {
  const child = spawn(process.execPath, [CLI_MAIN, ...args], { env: sb.env, cwd: PROJECT_ROOT, stdio: 'ignore' });
  children.push(child);
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, exited };
}

/** Polls `check` until it is true; fails after `timeoutMs` (the process under test never got there). */
async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function killNow(run: ReturnType<typeof startCli>): Promise<void> {
  run.child.kill('SIGKILL');
  expect((await run.exited).signal).toBe('SIGKILL');
}

/** Slow GETs of layers 2..5 (first read only): the first run cannot get past them before the kill. */
function slowLaterLayers(p: FaultProxy): void {
  for (let i = 2; i < LAYERS.length; i++) {
    p.addRule({ method: 'GET', path: `/v2/${REPO}/blobs/${layer(i)}`, delayMs: SLOW_MS });
  }
}

/**
 * A plain forwarder to `upstream` that sends only the first `bytes` of the body of the
 * first GET of `path` and then holds the response open: a transfer stuck half-way.
 */
async function startStaller(upstream: string, path: string, bytes: number) {
  const agent = new Agent({ keepAlive: true });
  const held = new Set<ServerResponse>();
  let stalled = false;
  const endToEnd = (h: IncomingHttpHeaders) => {
    const out = { ...h };
    for (const k of ['connection', 'keep-alive', 'transfer-encoding']) delete out[k];
    return out;
  };
  const server = createServer((req, res) => {
    const up = request(
      new URL(req.url ?? '/', upstream),
      { method: req.method, headers: { ...endToEnd(req.headers), host: new URL(upstream).host }, agent },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, endToEnd(upRes.headers));
        if (stalled || req.method !== 'GET' || req.url !== path) {
          upRes.pipe(res);
          return;
        }
        stalled = true;
        held.add(res);
        let sent = 0;
        upRes.on('data', (chunk: Buffer) => {
          const part = chunk.subarray(0, Math.max(0, bytes - sent));
          sent += part.length;
          if (part.length) res.write(part);
        });
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const stop = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    agent.destroy();
  };
  stoppers.push(stop);
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    /** Drops the held response. */
    release: () => held.forEach((r) => r.destroy()),
  };
}

const isUploadPut = (q: ProxiedRequest) => q.method === 'PUT' && q.path.includes('/blobs/uploads/');

describe('a copy killed mid-way and run again', () => {
  it('into a registry: finishes, validates, and does not upload again what had landed', async () => {
    const ps = await proxyFor(src);
    const pd = await proxyFor(dst);
    slowLaterLayers(ps);
    // The third upload stalls mid-body, so the kill also cuts an upload in flight.
    pd.addRule({ method: 'PUT', path: /\/blobs\/uploads\//, skip: 2, delayMs: SLOW_MS });
    const args = ['copy', '--json', '--blob-jobs', '2', `docker://${ps.host}/${REPO}:v1`, `docker://${pd.host}/${REPO}:v1`];

    const first = startCli(args);
    await until('two completed uploads and a third one stalled', () => {
      const puts = pd.requests.filter(isUploadPut);
      return puts.filter((q) => q.status === 201).length >= 2 && puts.some((q) => q.fault === 'delay');
    });
    await killNow(first);
    const firstRun = pd.requests.length;
    const landed = new Set(pd.requests.filter((q) => isUploadPut(q) && q.status === 201).map((q) => uploadDigest(q.path)!));
    expect(landed.size).toBeGreaterThanOrEqual(2);
    expect(landed.size).toBeLessThan(allBlobs().length);

    ps.clearRules();
    pd.clearRules();
    const r = await sb.run(args, { timeoutMs: 90_000 });
    expect(r.code, show(r)).toBe(0);
    const v = await validateRegistryImage({ url: dst.url, repository: REPO, reference: 'v1', expectDigest: image.manifestDesc.digest });
    expect(v.blobs.map((b) => b.digest).sort()).toEqual(allBlobs().sort());

    const second = pd.requests.slice(firstRun);
    for (const d of landed) {
      // Found by HEAD, never uploaded again.
      expect(second.some((q) => q.method === 'HEAD' && q.path === `/v2/${REPO}/blobs/${d}` && q.status === 200)).toBe(true);
      expect(second.filter((q) => isUploadPut(q) && uploadDigest(q.path) === d)).toEqual([]);
    }
    // Across both runs every blob was committed exactly once.
    const commits = pd.requests.filter((q) => isUploadPut(q) && q.status === 201).map((q) => uploadDigest(q.path));
    expect(commits.sort()).toEqual(allBlobs().sort());
    const actions = new Map(jsonEvents(r.stdout).filter((e) => e.type === 'blob-done').map((e) => [e.digest as string, e.action]));
    for (const d of allBlobs()) expect(actions.get(d)).toBe(landed.has(d) ? 'exists' : 'sent');
  });

  it('into the store: leaves no blob that fails its digest, and the rerun completes', async () => {
    // Layer 1 arrives half-way and then stalls, so the kill finds it half-written.
    const staller = await startStaller(src.url, `/v2/${REPO}/blobs/${layer(1)}`, 4 << 20);
    const ps = await startFaultProxy({ upstream: staller.url });
    proxies.push(ps);
    slowLaterLayers(ps);
    const name = `airlock.test/${REPO}:v1`;
    const args = ['copy', '--json', '--blob-jobs', '2', `docker://${ps.host}/${REPO}:v1`, `store:${name}`];
    const blobsDir = join(sb.store, 'blobs');

    const first = startCli(args);
    const hex1 = layer(1).slice('sha256:'.length);
    await until('two blobs in the store and layer 1 half-written', async () => {
      if ((await filesUnder(blobsDir)).length < 2) return false;
      const partial = (await filesUnder(sb.store)).filter((f) => !f.startsWith('blobs/') && basename(f).startsWith(hex1));
      const sizes = await Promise.all(partial.map((f) => stat(join(sb.store, f)).then((st) => st.size, () => 0)));
      return sizes.some((n) => n > 0);
    });
    await killNow(first);
    staller.release();
    expect(await blobsNotMatchingTheirName(sb.store)).toEqual([]);
    const present = new Set((await filesUnder(blobsDir)).map((f) => f.replace('/', ':')));
    expect(present.size).toBeGreaterThanOrEqual(2);
    expect(present.size).toBeLessThan(allBlobs().length);

    ps.clearRules();
    const firstRun = ps.requests.length;
    const r = await sb.run(args, { timeoutMs: 90_000 });
    expect(r.code, show(r)).toBe(0);
    const v = await validateLayout(sb.store, name);
    expect(v.digest).toBe(image.manifestDesc.digest);
    expect(await blobsNotMatchingTheirName(sb.store)).toEqual([]);
    // Blobs already in the store were not read from the source again.
    const second = ps.requests.slice(firstRun);
    for (const d of present) expect(second.filter((q) => q.method === 'GET' && q.path === `/v2/${REPO}/blobs/${d}`)).toEqual([]);
  });
});
