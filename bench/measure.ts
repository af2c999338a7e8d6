/**
 * Runs a client under GNU time: wall clock, user+sys CPU of the process and every child it
 * waited for, and peak resident set size (the largest of them), all from wait4's rusage.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeSandbox as makeSkopeoSandbox, type Sandbox as SkopeoSandbox } from '../test/helpers/skopeo.js';

/** What one timed run cost. */
export interface Measured {
  exitCode: number;
  wallS: number;
  userS: number;
  sysS: number;
  /** Peak RSS in bytes. */
  peakRssBytes: number;
}

const TIME = '/usr/bin/time';

/**
 * Runs `cmd args` with `env`, stdout/stderr to `logBase.out` / `logBase.err`, under
 * `/usr/bin/time`. Wall time is measured here around the whole child (time itself adds
 * well under a millisecond). Never throws for a non-zero exit: that is reported.
 */
export async function measure(cmd: string, args: string[], env: NodeJS.ProcessEnv, logBase: string): Promise<Measured> {
  const scratch = await mkdtemp(join(tmpdir(), 'airlock-bench-time-'));
  const timeFile = join(scratch, 'time');
  const out = await open(`${logBase}.out`, 'w');
  const err = await open(`${logBase}.err`, 'w');
  try {
    const started = process.hrtime.bigint();
    const child = spawn(TIME, ['-o', timeFile, '-f', '%x %U %S %M', cmd, ...args], {
      env,
      stdio: ['ignore', out.fd, err.fd],
    });
    const exitCode = await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
    });
    const wallS = Number(process.hrtime.bigint() - started) / 1e9;
    const text = (await readFile(timeFile, 'utf8')).trim();
    // A killed child makes time print "Command terminated by signal N" first.
    const last = text.split('\n').pop() ?? '';
    const [code, user, sys, rssKiB] = last.split(' ').map(Number);
    if ([code, user, sys, rssKiB].some((n) => n === undefined || Number.isNaN(n))) {
      throw new Error(`cannot parse ${TIME} output: ${text}`);
    }
    return { exitCode: code === undefined || code < 0 ? exitCode : code, wallS, userS: user!, sysS: sys!, peakRssBytes: rssKiB! * 1024 };
  } finally {
    await out.close();
    await err.close();
    await rm(scratch, { recursive: true, force: true });
  }
}

/** The shared skopeo sandbox, with skopeo's global flags under the name the tools use. */
export interface Sandbox extends SkopeoSandbox {
  skopeoGlobal: string[];
}

/**
 * Builds the environment both tools run in, so neither reads the host user's registries
 * configuration or credentials (the test helpers' skopeo sandbox, plus a private store).
 */
export async function makeSandbox(): Promise<Sandbox> {
  const sb = await makeSkopeoSandbox('airlock-bench-home-');
  return { ...sb, env: { ...sb.env, AIRLOCK_STORE: join(sb.dir, 'store') }, skopeoGlobal: sb.globalArgs };
}
