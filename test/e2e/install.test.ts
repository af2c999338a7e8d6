/**
 * airlock on a host with no internet and no Node.js: the single executable `npm run dist`
 * builds (scripts/dist.mjs, built once here into a temp directory and shared), copied alone
 * into an empty directory and run with a PATH that has no node, mirrors the samples, serves
 * them, carries itself in a bundle (--include-self) and is written out again on the far side
 * (bundle extract-self), checked. The npm tarball installs with no registry and an empty
 * cache. Completion scripts and the format help come from the same executable.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, open, readdir, readFile, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/registry.js';
import { PROJECT_ROOT, show, type CliResult } from './cli.js';

const VERSION = (JSON.parse(await readFile(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

let work: string;
/** The executable, alone in its directory. */
let exe: string;
/** What the dist script wrote. */
let built: string;
let tarball: string;
/** The environment of a host without node: PATH has only an empty directory (and the executable's). */
let env: NodeJS.ProcessEnv;
let store: string;
/** The npm install of the tarball, started once it is built: it is slow (thousands of files), so it runs beside the other tests. */
let installed: Promise<{ status: number | null; output: string; prefix: string }>;

/** Runs `file ...args` with exactly `runEnv`; resolves with its exit code and output. */
function run(file: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; onSpawn?: (c: ChildProcess) => void } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env: opts.env ?? env, cwd: opts.cwd ?? work, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    opts.onSpawn?.(child);
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : -1), stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

const airlock = (args: string[], opts: { env?: NodeJS.ProcessEnv; onSpawn?: (c: ChildProcess) => void } = {}) => run(exe, args, opts);

const sha256 = async (file: string) => createHash('sha256').update(await readFile(file)).digest('hex');

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'airlock-install-'));
  built = join(work, 'built');
  // dist/ is fresh (the global setup builds it); this makes the executable and the tarball
  // from it, away from the checkout's own dist/.
  const r = spawnSync(process.execPath, ['scripts/dist.mjs', '--out', join(built, 'sea'), '--pack-dir', built], { cwd: PROJECT_ROOT, encoding: 'utf8' });
  expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
  tarball = join(built, (await readdir(built)).find((f) => f.endsWith('.tgz'))!);
  const prefix = join(work, 'prefix');
  // An empty cache and --offline: anything the tarball does not carry would have to come from a registry, and fails.
  const npmEnv = { ...process.env, npm_config_cache: join(work, 'npm-cache'), npm_config_update_notifier: 'false', npm_config_audit: 'false', npm_config_fund: 'false' };
  installed = new Promise((resolve) => {
    const child = spawn('npm', ['install', '-g', '--prefix', prefix, '--offline', tarball], { cwd: work, env: npmEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr.on('data', (b: Buffer) => (output += b.toString()));
    child.once('error', (e) => resolve({ status: -1, output: e.message, prefix }));
    child.once('close', (status) => resolve({ status, output, prefix }));
  });
  const host = join(work, 'host');
  const nobin = join(work, 'nobin');
  await Promise.all([mkdir(host), mkdir(nobin), mkdir(join(work, 'home'))]);
  exe = join(host, 'airlock');
  await cp(join(built, 'sea', 'airlock'), exe);
  expect((await readdir(host))).toEqual(['airlock']);
  store = join(work, 'store');
  env = { PATH: `${host}:${nobin}`, HOME: join(work, 'home'), CI: '1' };
}, 180_000);

afterAll(async () => {
  await installed;
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the single executable on a host without node', () => {
  it('is the executable its sha256 file names, and node is nowhere on its PATH', async () => {
    const line = await readFile(join(built, 'sea', 'airlock.sha256'), 'utf8');
    expect(line).toBe(`${await sha256(exe)}  airlock\n`);
    const which = await run('/bin/sh', ['-c', 'command -v node || echo none'], {});
    expect(which.stdout.trim()).toBe('none');
  });

  it('prints the package version', async () => {
    const r = await airlock(['--version']);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout.trim()).toBe(VERSION);
  });

  it('mirrors the samples into a store', async () => {
    const r = await airlock(['mirror', join(PROJECT_ROOT, 'samples/images.txt'), '--from', `oci:${join(PROJECT_ROOT, 'samples/layout')}`, '--to', 'store:', '--store', store]);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toMatch(/4 images: 4 copied/);
  });

  it('serves the store: /v2/ and a manifest answer, and SIGTERM stops it within a second', async () => {
    const port = await freePort();
    let child: ChildProcess | undefined;
    const done = airlock(['serve', '--store', store, '--listen', `127.0.0.1:${port}`], { onSpawn: (c) => (child = c) });
    const base = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 15_000;
    let v2: Response | undefined;
    while (!v2) {
      v2 = await fetch(`${base}/v2/`).catch(() => undefined);
      if (!v2) {
        if (Date.now() > deadline) throw new Error(`serve did not answer: ${show(await done)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    try {
      expect(v2.status).toBe(200);
      const index = JSON.parse(await readFile(join(PROJECT_ROOT, 'samples/layout/index.json'), 'utf8')) as { manifests: { digest: string; annotations: Record<string, string> }[] };
      const want = index.manifests.find((m) => m.annotations['org.opencontainers.image.ref.name'] === 'registry.example.org/ceph/ceph:v18')!.digest;
      const m = await fetch(`${base}/v2/registry.example.org/ceph/ceph/manifests/v18`, { headers: { accept: 'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json' } });
      expect(m.status).toBe(200);
      expect(m.headers.get('docker-content-digest')).toBe(want);
      expect(`sha256:${createHash('sha256').update(Buffer.from(await m.arrayBuffer())).digest('hex')}`).toBe(want);
    } finally {
      const t0 = Date.now();
      child!.kill('SIGTERM');
      await done;
      expect(Date.now() - t0).toBeLessThan(1000);
    }
  });
});

describe('bundle create --include-self', () => {
  it('carries the executable; verify checks it; extract-self writes it out, checked, mode 0755, and it runs', async () => {
    const bundle = join(work, 'self.tar');
    const r = await airlock(['bundle', 'create', join(PROJECT_ROOT, 'samples/images.txt'), '--from', 'store:', '--store', store, '-o', bundle, '--include-self', '--json']);
    expect(r.code, show(r)).toBe(0);
    const entry = `airlock/bin/airlock-linux-${process.arch}`;
    expect(JSON.parse(r.stdout).self).toEqual({ entry, size: (await stat(exe)).size, sha256: await sha256(exe) });
    const sums = spawnSync('tar', ['-xOf', bundle, 'airlock/checksums.sha256'], { encoding: 'utf8' }).stdout;
    expect(sums).toContain(`${await sha256(exe)}  ${entry}\n`);

    const v = await airlock(['bundle', 'verify', bundle]);
    expect(v.code, show(v)).toBe(0);
    const ls = await airlock(['bundle', 'ls', bundle, '--json']);
    expect(JSON.parse(ls.stdout).self).toEqual([{ entry, size: (await stat(exe)).size }]);

    // The far side: a fresh directory with only the bundle.
    const far = join(work, 'far');
    await mkdir(far);
    const out = join(far, 'airlock');
    const x = await airlock(['bundle', 'extract-self', bundle, '-o', out]);
    expect(x.code, show(x)).toBe(0);
    expect(await sha256(out)).toBe(await sha256(exe));
    expect((await stat(out)).mode & 0o777).toBe(0o755);
    const again = await run(out, ['--version']);
    expect(again.stdout.trim(), show(again)).toBe(VERSION);

    // One byte changed inside the carried executable: verify and extract-self both refuse, and nothing is left.
    const damaged = bundle;
    const tar = spawnSync('tar', ['-tvf', damaged, '--block-number'], { encoding: 'utf8' }).stdout;
    const block = Number(/block (\d+): \S+ \S+\s+\d+ \S+ \S+ airlock\/bin\//.exec(tar)![1]);
    const h = await open(damaged, 'r+');
    await h.write(Buffer.from([0x5a]), 0, 1, (block + 1) * 512 + 4096);
    await h.close();
    const bad = await airlock(['bundle', 'verify', damaged]);
    expect(bad.code, show(bad)).toBe(1);
    expect(bad.stdout).toContain(`checksum  ${entry}: sha256`);
    const badOut = join(far, 'damaged');
    const bx = await airlock(['bundle', 'extract-self', damaged, '-o', badOut]);
    expect(bx.code, show(bx)).toBe(1);
    expect(bx.stderr).toContain('BUNDLE_DAMAGED');
    expect(await readdir(far)).toEqual(['airlock']);
  });

  it('under node: carries the executable npm run dist built beside the CLI, and says to build one when there is none', async () => {
    // A copy of the built CLI, so whether the checkout has a dist/sea/ does not matter.
    const pkg = join(work, 'pkg');
    await cp(join(PROJECT_ROOT, 'dist', 'cli'), join(pkg, 'dist', 'cli'), { recursive: true, filter: (f) => !f.endsWith('.map') });
    const nodeEnv = { ...env, PATH: `${join(process.execPath, '..')}:/usr/bin:/bin` };
    const args = ['bundle', 'create', join(PROJECT_ROOT, 'samples/images.txt'), '--from', 'store:', '--store', store, '--include-self'];
    const none = await run(process.execPath, [join(pkg, 'dist/cli/main.js'), ...args, '-o', join(work, 'none.tar')], { env: nodeEnv });
    expect(none.code, show(none)).toBe(2);
    expect(none.stderr).toContain('npm run dist');

    await symlink(join(built, 'sea'), join(pkg, 'dist', 'sea'));
    const bundle = join(work, 'under-node.tar');
    const r = await run(process.execPath, [join(pkg, 'dist/cli/main.js'), ...args, '-o', bundle], { env: nodeEnv });
    expect(r.code, show(r)).toBe(0);
    const out = join(work, 'from-under-node');
    const x = await airlock(['bundle', 'extract-self', bundle, '-o', out]);
    expect(x.code, show(x)).toBe(0);
    expect(await sha256(out)).toBe(await sha256(exe));
  });

  it('extract-self on a bundle without it says so', async () => {
    const bundle = join(work, 'plain.tar');
    const r = await airlock(['bundle', 'create', join(PROJECT_ROOT, 'samples/images.txt'), '--from', 'store:', '--store', store, '-o', bundle]);
    expect(r.code, show(r)).toBe(0);
    expect((await stat(bundle)).size).toBeLessThan(10 * 1024 * 1024);
    const x = await airlock(['bundle', 'extract-self', bundle, '-o', join(work, 'nothing')]);
    expect(x.code, show(x)).toBe(2);
    expect(x.stderr).toContain('carries no airlock executable');
  });
});

describe('npm pack tarball', () => {
  it('installs with npm install -g --offline and an empty cache (dependencies bundled), and runs', async () => {
    const { status, output, prefix } = await installed;
    expect(status, output).toBe(0);
    const r = await run(join(prefix, 'bin', 'airlock'), ['--version'], { env: { ...env, PATH: `${join(process.execPath, '..')}:/usr/bin:/bin` } });
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout.trim()).toBe(VERSION);
    // The library's dependencies came with it.
    const lib = join(prefix, 'lib', 'node_modules', 'airlock');
    expect((await readdir(join(lib, 'node_modules'))).length).toBeGreaterThan(5);
    await expect(readdir(join(lib, 'dist', 'sea'))).rejects.toThrow();
  });
});

describe('completion and format help, from the executable', () => {
  it('bash sources the completion script, registers it, and completes airlock mi<TAB> to mirror', async () => {
    const script = [
      'source <(airlock completion bash) || exit 9',
      'complete -p airlock || exit 8',
      't() { COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _airlock; echo "${COMPREPLY[*]}"; }',
      't airlock mi',
      't airlock bundle ex',
      't airlock bundle create --include-s',
      't airlock help lo',
    ].join('\n');
    const r = await run('/bin/bash', ['-c', script], { env: { ...env, PATH: `${env.PATH}:/usr/bin:/bin` } });
    expect(r.code, show(r)).toBe(0);
    const [complete, ...lines] = r.stdout.trim().split('\n');
    expect(complete).toMatch(/complete .*-F _airlock airlock/);
    expect(lines).toEqual(['mirror', 'extract-self', '--include-self', 'lock']);
  });

  it('zsh gets a compdef script over the same tree', async () => {
    const r = await airlock(['completion', 'zsh']);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout.startsWith('#compdef airlock\n')).toBe(true);
    expect(r.stdout).toContain('compdef _airlock airlock');
    expect(r.stdout).toMatch(/"bundle"\) echo "[^"]*extract-self/);
  });

  it('airlock help lists the format topics; each topic prints its reference', async () => {
    const all = await airlock(['help']);
    expect(all.code, show(all)).toBe(0);
    expect(all.stdout).toContain('Usage: airlock');
    for (const t of ['image-set', 'lock', 'bundle']) expect(all.stdout).toMatch(new RegExp(`^  ${t} `, 'm'));
    const expectations: Record<string, string[]> = {
      'image-set': ['schema/images.schema.json', 'push_destination', 'tag_from_label', 'credentials', 'enabled_by'],
      lock: ['filtered_digest', 'keep_platforms', 'referrers', 'origin', 'destination'],
      bundle: ['airlock/checksums.sha256', 'airlock/images.lock.yaml', 'airlock/bin/airlock-OS-ARCH', 'blobs/sha256/', '.bundle.json'],
    };
    for (const [topic, words] of Object.entries(expectations)) {
      const r = await airlock(['help', topic]);
      expect(r.code, show(r)).toBe(0);
      for (const w of words) expect(r.stdout, topic).toContain(w);
    }
    const cmd = await airlock(['help', 'bundle', 'extract-self']);
    expect(cmd.stdout).toContain('Usage: airlock bundle extract-self');
    const unknown = await airlock(['help', 'nope']);
    expect(unknown.code).toBe(2);
  });
});
