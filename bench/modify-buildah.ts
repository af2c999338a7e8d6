/**
 * The standard way to append a directory to a multi-arch image without Docker: buildah, per
 * platform `from --platform` (pulls that platform's image), `add`, `commit`, then a manifest
 * list of the commits pushed with `manifest push --all`. Each step is its own timed process;
 * the run is all of them, one after the other, as a script runs them.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { measure, type Measured, type Sandbox } from './measure.js';

export type BuildahPhase = 'pull' | 'build' | 'push';

export interface BuildahStep extends Measured {
  phase: BuildahPhase;
  command: string[];
}

export interface BuildahRun {
  /** Exit code of the first step that failed, else 0 (later steps are not run). */
  exitCode: number;
  /** From spawning the first step to the exit of the last. */
  wallS: number;
  /** user+sys of every step. */
  cpuS: number;
  /** Largest of the steps'. */
  peakRssBytes: number;
  /** Wall seconds per phase: pull (from), build (add, commit), push (manifest create/add/push). */
  phases: Record<BuildahPhase, number>;
  steps: BuildahStep[];
  /** The step that failed and its log, when one did. */
  failure?: string;
}

/**
 * buildah's environment: the sandbox's (no host registries.conf, HOME, XDG dirs), without
 * DOCKER_CONFIG and REGISTRY_AUTH_FILE (anonymous pulls and pushes need no credentials, and
 * buildah would read them), TMPDIR and an empty containers.conf (defaults; buildah refuses a
 * CONTAINERS_CONF that does not exist) inside its own directory.
 */
function buildahEnv(sandbox: Sandbox, dir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...sandbox.env, TMPDIR: join(dir, 'tmp'), CONTAINERS_CONF: join(dir, 'containers.conf') };
  delete env.DOCKER_CONFIG;
  delete env.REGISTRY_AUTH_FILE;
  return env;
}

/**
 * As root, buildah keeps its blob info cache (which compressed blob is which layer, and where
 * each was seen) in /var/lib/containers/cache whatever --root says: the host's, shared by every
 * run. Where a private mount namespace can be had, each run gets an empty one of its own bound
 * there, as on a fresh machine; otherwise the host's is used, and the output says so.
 */
export const HOST_BLOB_CACHE = '/var/lib/containers/cache';

function privateCacheWrapper(cacheDir: string): string[] {
  return ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', `mount --bind "$0" ${HOST_BLOB_CACHE} && exec "$@"`, cacheDir];
}

/** True when buildah's blob info cache can be made private per run (root, unshare allowed, the directory there). */
export async function canPrivatiseBlobCache(): Promise<boolean> {
  const probe = join(tmpdir(), `airlock-bench-probe-${randomBytes(6).toString('hex')}`);
  await mkdir(probe, { recursive: true });
  try {
    await writeFile(join(probe, 'marker'), '');
    const [cmd, ...args] = privateCacheWrapper(probe);
    const r = spawnSync(cmd!, [...args, 'test', '-e', join(HOST_BLOB_CACHE, 'marker')], { stdio: 'ignore' });
    return r.status === 0;
  } finally {
    await rm(probe, { recursive: true, force: true });
  }
}

/** The sandbox's accept-anything policy, so /etc/containers/policy.json plays no part. */
function policyOf(sandbox: Sandbox): string[] {
  const i = sandbox.skopeoGlobal.indexOf('--policy');
  return i >= 0 ? ['--signature-policy', sandbox.skopeoGlobal[i + 1]!] : [];
}

/**
 * Appends `inputDir` under `dest` to every platform of `src` (`HOST/repo:tag`) and pushes the
 * result as a manifest list to `dst`, through buildah with vfs storage in a fresh directory of
 * its own (removed afterwards, outside the timing). Never throws for buildah failing.
 */
export async function runBuildah(opts: {
  src: string;
  dst: string;
  platforms: string[];
  inputDir: string;
  dest: string;
  sandbox: Sandbox;
  logDir: string;
  /** Give buildah an empty blob info cache of its own (canPrivatiseBlobCache said it can). */
  privateBlobCache: boolean;
}): Promise<BuildahRun> {
  // Lower case only: buildah names images and containers after paths in places, and names are lower case.
  const dir = join(tmpdir(), `airlock-bench-buildah-${randomBytes(6).toString('hex')}`);
  await mkdir(join(dir, 'tmp'), { recursive: true });
  await mkdir(opts.logDir, { recursive: true });
  await writeFile(join(dir, 'containers.conf'), '');
  await mkdir(join(dir, 'blob-cache'));
  const wrap = opts.privateBlobCache ? privateCacheWrapper(join(dir, 'blob-cache')) : [];
  const env = buildahEnv(opts.sandbox, dir);
  const global = ['--root', join(dir, 'root'), '--runroot', join(dir, 'run'), '--storage-driver', 'vfs'];
  const policy = policyOf(opts.sandbox);
  const archOf = (p: string) => p.split('/').slice(1).join('-');
  const plan: Array<{ phase: BuildahPhase; args: string[] }> = [];
  for (const p of opts.platforms) {
    plan.push({ phase: 'pull', args: ['from', '--quiet', '--name', `bench-${archOf(p)}`, '--platform', p, '--tls-verify=false', ...policy, `docker://${opts.src}`] });
  }
  for (const p of opts.platforms) {
    plan.push({ phase: 'build', args: ['add', `bench-${archOf(p)}`, opts.inputDir, opts.dest] });
    plan.push({ phase: 'build', args: ['commit', '--quiet', `bench-${archOf(p)}`, `localhost/bench-hotfix-${archOf(p)}`] });
  }
  plan.push({ phase: 'push', args: ['manifest', 'create', 'localhost/bench-hotfix-list'] });
  for (const p of opts.platforms) plan.push({ phase: 'push', args: ['manifest', 'add', 'localhost/bench-hotfix-list', `localhost/bench-hotfix-${archOf(p)}`] });
  plan.push({ phase: 'push', args: ['manifest', 'push', '--all', '--quiet', '--tls-verify=false', ...policy, 'localhost/bench-hotfix-list', `docker://${opts.dst}`] });

  const run: BuildahRun = { exitCode: 0, wallS: 0, cpuS: 0, peakRssBytes: 0, phases: { pull: 0, build: 0, push: 0 }, steps: [] };
  try {
    const started = process.hrtime.bigint();
    for (const [i, step] of plan.entries()) {
      const logBase = join(opts.logDir, `buildah-${String(i).padStart(2, '0')}-${step.args[0]}${step.args[0] === 'manifest' ? `-${step.args[1]}` : ''}`);
      const command = [...wrap, 'buildah', ...global, ...step.args];
      const m = await measure(command[0]!, command.slice(1), env, logBase);
      run.steps.push({ ...m, phase: step.phase, command });
      run.cpuS += m.userS + m.sysS;
      run.peakRssBytes = Math.max(run.peakRssBytes, m.peakRssBytes);
      run.phases[step.phase] += m.wallS;
      if (m.exitCode !== 0) {
        run.exitCode = m.exitCode;
        run.failure = `buildah ${step.args.slice(0, 2).join(' ')} exited ${m.exitCode} (see ${logBase}.err)`;
        break;
      }
    }
    run.wallS = Number(process.hrtime.bigint() - started) / 1e9;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return run;
}
