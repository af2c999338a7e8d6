/**
 * Running an Ansible command: found on PATH, in its own process group (so a kill reaches
 * the workers it forks), with a time limit, stopped at once on Ctrl-C (by its process id).
 */
import { spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';
import { AirlockError, clip, ErrorCodes } from '../../errors.js';

/** The absolute path of executable `name` on `path` (default `$PATH`), or undefined. */
export async function findExecutable(name: string, path = process.env.PATH ?? ''): Promise<string | undefined> {
  for (const dir of path.split(delimiter)) {
    if (dir === '' || !isAbsolute(dir)) continue;
    const file = join(dir, name);
    try {
      await access(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** How a command ended. */
export interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** How to run a command. */
export interface RunProcessOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** Output kept per stream: the end, where Ansible says what failed. */
const KEEP_OUTPUT = 64 * 1024;
/** How long a stopped command gets between SIGTERM and SIGKILL. */
const KILL_GRACE_MS = 2000;

/**
 * Runs `command args` and resolves with its exit status and output (the last 64 KiB of
 * each stream). A run over `timeoutMs` is killed and is IMPORT_INVALID; an abort of
 * `signal` kills it and rejects with the signal's reason (INTERRUPTED).
 */
export function runProcess(command: string, args: string[], opts: RunProcessOptions): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) {
      reject(opts.signal.reason);
      return;
    }
    const child = spawn(command, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const out = { stdout: '', stderr: '' };
    const keep = (stream: 'stdout' | 'stderr') => (b: Buffer) => {
      out[stream] = (out[stream] + b.toString('utf8')).slice(-KEEP_OUTPUT);
    };
    child.stdout.on('data', keep('stdout'));
    child.stderr.on('data', keep('stderr'));
    let stopped: AirlockError | unknown;
    const kill = (why: unknown) => {
      if (stopped !== undefined) return;
      stopped = why;
      const group = child.pid !== undefined ? -child.pid : undefined;
      const send = (sig: NodeJS.Signals) => {
        try {
          if (group !== undefined) process.kill(group, sig);
        } catch {
          // already gone
        }
      };
      send('SIGTERM');
      setTimeout(() => send('SIGKILL'), KILL_GRACE_MS).unref();
    };
    const timer = setTimeout(
      () => kill(new AirlockError(ErrorCodes.IMPORT_INVALID, `${command} did not finish within ${Math.round(opts.timeoutMs / 1000)} s; stopped it`)),
      opts.timeoutMs,
    );
    const onAbort = () => kill(opts.signal!.reason ?? new AirlockError(ErrorCodes.INTERRUPTED, 'interrupted'));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const done = () => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
    };
    child.once('error', (err) => {
      done();
      reject(new AirlockError(ErrorCodes.IMPORT_INVALID, `cannot run ${command}: ${clip(err.message, 200)}`));
    });
    child.once('close', (code, signal) => {
      done();
      if (stopped !== undefined) reject(stopped);
      else resolve({ code, signal, ...out });
    });
  });
}
