/**
 * `airlock bundle import` killed with SIGKILL at several points, then run again: each rerun
 * sends exactly the blobs that had not landed (none twice), and the last one completes with
 * every digest checked on the target. A fault proxy holds the destination's upload
 * completions (PUT) so each kill lands while a blob is in flight.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { makeImageOnDisk, writeOciLayout, type FixtureImage } from '../helpers/fixtures.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { pushLayoutWithSkopeo } from '../helpers/skopeo.js';
import { validateRegistryImage } from '../helpers/validate.js';
import { CLI_MAIN, jsonEvents, makeCliSandbox, PROJECT_ROOT, show, type CliSandbox } from './cli.js';

let A: TestRegistry;
let B: TestRegistry;
let proxy: FaultProxy;
let sb: CliSandbox;
let work: string;
let bundle: string;
const images: { repo: string; image: FixtureImage }[] = [];
const children: ChildProcess[] = [];

beforeAll(async () => {
  [A, B, sb, work] = await Promise.all([startRegistry(), startRegistry(), makeCliSandbox(), mkdtemp(join(tmpdir(), 'airlock-e2e-bundle-crash-'))]);
  proxy = await startFaultProxy({ upstream: B.url });
  const layout = join(work, 'layout');
  // Two images, three 1 MiB incompressible layers each, sharing the first.
  const shared = { seed: 'e2e-crash/shared', size: 1 << 20, gzipLevel: 0 };
  for (const n of [1, 2]) {
    const image = await makeImageOnDisk(layout, { seed: `e2e-crash-${n}`, layers: [shared, ...[0, 1].map((i) => ({ seed: `e2e-crash-${n}-${i}`, size: 1 << 20, gzipLevel: 0 }))] });
    images.push({ repo: `crash/app${n}`, image });
  }
  await writeOciLayout(layout, images.map((i, n) => ({ name: `app${n + 1}:v1`, image: i.image })));
  for (const [n, i] of images.entries()) await pushLayoutWithSkopeo(layout, `app${n + 1}:v1`, A, `${i.repo}:v1`);
  const set = join(work, 'images.yaml');
  await writeFile(set, `images:\n${images.map((i, n) => `  app${n + 1}: ${A.host}/${i.repo}:v1`).join('\n')}\n`);
  const lock = join(work, 'images.lock.yaml');
  let r = await sb.run(['resolve', set, '-o', lock]);
  expect(r.code, show(r)).toBe(0);
  bundle = join(work, 'images.tar');
  r = await sb.run(['bundle', 'create', lock, '-o', bundle]);
  expect(r.code, show(r)).toBe(0);
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await proxy?.stop();
  await Promise.all([A?.stop(), B?.stop(), sb?.remove(), work && rm(work, { recursive: true, force: true })]);
});

const importArgs = () => ['bundle', 'import', bundle, '--to', `${proxy.host}/mirror`, '--jobs', '1', '--blob-jobs', '1', '--json'];
const allBlobs = () => new Map<string, number>(images.flatMap((i) => [i.image.configDesc, ...i.image.layers.map((l) => l.desc)]).map((d) => [d.digest, d.size]));

/** Blobs B holds in any of the images' repositories (straight to B, not through the proxy). */
async function landed(): Promise<Set<string>> {
  const out = new Set<string>();
  for (const i of images) {
    for (const d of [i.image.configDesc, ...i.image.layers.map((l) => l.desc)]) {
      if ((await fetch(`${B.url}/v2/mirror/${i.repo}/blobs/${d.digest}`, { method: 'HEAD' })).status === 200) out.add(d.digest);
    }
  }
  return out;
}

/** Runs an import whose upload completions after the first `pass` are held, and kills it once one is held; the blobs it sent. */
async function importKilledAfter(pass: number): Promise<string[]> {
  proxy.clearRules();
  proxy.resetRequests();
  proxy.addRule({ method: 'PUT', path: /\/blobs\/uploads\//, skip: pass, times: Infinity, delayMs: 60_000 });
  const child = spawn(process.execPath, [CLI_MAIN, ...importArgs()], { env: sb.env, cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'ignore'] });
  children.push(child);
  let stdout = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  const exited = new Promise<string | null>((resolve) => child.once('exit', (_c, signal) => resolve(signal)));
  const deadline = Date.now() + 30_000;
  while (!proxy.requests.some((r) => r.method === 'PUT' && r.fault === 'delay') && proxy.count('PUT', /\/blobs\/uploads\//) <= pass) {
    if (Date.now() > deadline) throw new Error('the import never reached the held upload');
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
  proxy.clearRules();
  // The last line may be cut by the kill.
  const lines = stdout.split('\n').filter((l) => l.endsWith('}'));
  return jsonEvents(lines.join('\n')).filter((e) => e.type === 'blob-done' && e.action === 'sent').map((e) => e.digest as string);
}

describe('bundle import after kill -9', () => {
  it('resumes at several points, each rerun sending only what had not landed', async () => {
    const all = allBlobs();
    const history: number[] = [];
    for (const pass of [1, 2]) {
      const earlier = await landed();
      const sent = await importKilledAfter(pass);
      // A killed rerun, too, sent nothing that had landed before it.
      expect(sent.filter((d) => earlier.has(d))).toEqual([]);
      history.push((await landed()).size);
    }
    expect(history[1]!).toBeGreaterThan(history[0]!);
    // Both kills came mid-way: something landed, not everything.
    expect(history[0]!).toBeGreaterThan(0);
    expect(history.at(-1)!).toBeLessThan(all.size);
    const before = await landed();
    const r = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = spawn(process.execPath, [CLI_MAIN, ...importArgs()], { env: sb.env, cwd: PROJECT_ROOT });
      let stdout = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.once('exit', (code) => resolve({ code, stdout }));
    });
    expect(r.code, r.stdout).toBe(0);
    const sent = jsonEvents(r.stdout).filter((e) => e.type === 'blob-done' && e.action === 'sent').map((e) => e.digest as string);
    // Exactly the blobs that were not on the target, each once (the shared layer mounted, not sent, into the second repository).
    const missingBefore = [...all.keys()].filter((d) => !before.has(d));
    expect(new Set(sent)).toEqual(new Set(missingBefore));
    expect(sent.length).toBe(new Set(sent).size);
    const bytes = sent.reduce((n, d) => n + all.get(d)!, 0);
    expect(bytes).toBe(missingBefore.reduce((n, d) => n + all.get(d)!, 0));
    expect(bytes).toBeLessThan([...all.values()].reduce((a, b) => a + b, 0));
    for (const i of images) await validateRegistryImage({ url: B.url, repository: `mirror/${i.repo}`, reference: 'v1', expectDigest: i.image.manifestDesc.digest, checkDiffIds: true });
  });
});
