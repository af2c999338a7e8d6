import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built CLI entry point (`npm test` builds dist/ before vitest runs). */
export const CLI_MAIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

/** The project root, for commands that use paths relative to it (e.g. `npm run demo`'s). */
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** What one `airlock` run produced. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * A private environment for CLI runs: its own HOME, DOCKER_CONFIG, XDG dirs and
 * AIRLOCK_STORE under one temp dir, so nothing of the host user (credentials, store) leaks in.
 */
export interface CliSandbox {
  dir: string;
  home: string;
  /** DOCKER_CONFIG: write `config.json` here to give credentials. */
  dockerConfig: string;
  /** AIRLOCK_STORE. */
  store: string;
  /** Directory put first on PATH (for docker-credential-* helpers). */
  bin: string;
  env: NodeJS.ProcessEnv;
  /** Runs `node dist/cli/main.js ...args` in this sandbox. */
  run(args: string[], opts?: RunOptions): Promise<CliResult>;
  remove(): Promise<void>;
}

export interface RunOptions {
  /** Extra or overriding environment variables. */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs?: number;
  /** Called with the child once spawned (to signal it, say). */
  onSpawn?: (child: ChildProcess) => void;
}

/** Creates a sandbox; call `remove()` when done. */
export async function makeCliSandbox(): Promise<CliSandbox> {
  if (!existsSync(CLI_MAIN)) throw new Error(`${CLI_MAIN} is missing: run \`npm run build\` first`);
  const dir = await mkdtemp(join(tmpdir(), 'airlock-e2e-'));
  const home = join(dir, 'home');
  const dockerConfig = join(dir, 'docker');
  const store = join(dir, 'store');
  const bin = join(dir, 'bin');
  await Promise.all([home, dockerConfig, bin, join(dir, 'run'), join(dir, 'config'), join(dir, 'cache')].map((d) => mkdir(d)));
  const env: NodeJS.ProcessEnv = {
    PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    HOME: home,
    DOCKER_CONFIG: dockerConfig,
    AIRLOCK_STORE: store,
    XDG_RUNTIME_DIR: join(dir, 'run'),
    XDG_CONFIG_HOME: join(dir, 'config'),
    XDG_CACHE_HOME: join(dir, 'cache'),
    // Plain per-image lines, never the live terminal bar.
    CI: '1',
  };
  return {
    dir,
    home,
    dockerConfig,
    store,
    bin,
    env,
    run: (args, opts = {}) => runCli(args, { ...opts, env: { ...env, ...(opts.env ?? {}) } }),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/**
 * Runs the CLI as a child process with exactly `opts.env` as its environment and resolves
 * with its exit code and output (never rejects for a non-zero exit). A run that outlives
 * `timeoutMs` is killed and reported with code -1.
 */
export function runCli(args: string[], opts: RunOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_MAIN, ...args], {
      env: opts.env ?? {},
      cwd: opts.cwd ?? PROJECT_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    opts.onSpawn?.(child);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 60_000);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const stderr = Buffer.concat(err).toString('utf8');
      // Ended by a signal: the code a shell reports (128 + its number).
      const bySignal = signal ? 128 + (constants.signals[signal] ?? 0) : -1;
      resolve({
        code: timedOut ? -1 : (code ?? bySignal),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: timedOut ? `${stderr}\n[e2e] airlock ${args.join(' ')} timed out` : stderr,
      });
    });
  });
}

/** A `--json` event line. */
export interface JsonEvent {
  type: string;
  [key: string]: any;
}

/** Parses `--json` stdout: one JSON object per non-empty line. */
export function jsonEvents(stdout: string): JsonEvent[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as JsonEvent);
}

/** The `result` of every `image-done` event, in order. */
export function imageResults(stdout: string): any[] {
  return jsonEvents(stdout)
    .filter((e) => e.type === 'image-done')
    .map((e) => e.result);
}

/** The `summary` event of a `--json` run. */
export function summaryOf(stdout: string): JsonEvent {
  const s = jsonEvents(stdout).find((e) => e.type === 'summary');
  if (!s) throw new Error(`no summary event in:\n${stdout}`);
  return s;
}

/** A readable description of a run, for assertion messages. */
export function show(r: CliResult): string {
  return `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}
