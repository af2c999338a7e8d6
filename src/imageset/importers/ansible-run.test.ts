import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AirlockError, ErrorCodes } from '../../errors.js';
import { findExecutable, runProcess } from './ansible-run.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airlock-run-test-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** True while any process of group `pgid` is alive. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A script that starts a background child (as ansible-playbook forks workers), writes both pids to `pids`, and waits. */
async function forkingScript(): Promise<string> {
  const file = join(dir, 'forks.sh');
  await writeFile(file, '#!/bin/sh\nsleep 30 &\necho "$$ $!" > pids\nwait\n');
  await chmod(file, 0o755);
  return file;
}

/** The script's pids once it wrote them. */
async function pidsOf(): Promise<[number, number]> {
  for (let i = 0; i < 100; i++) {
    const text = await readFile(join(dir, 'pids'), 'utf8').catch(() => '');
    if (text.endsWith('\n')) return text.trim().split(' ').map(Number) as [number, number];
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the script did not start');
}

/** Waits until no process of group `pgid` is left (or fails after 5 s). */
async function groupGone(pgid: number): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if (!groupAlive(pgid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

describe('runProcess', () => {
  it('returns the exit code and output', async () => {
    const r = await runProcess('/bin/sh', ['-c', 'echo out; echo err >&2; exit 3'], { cwd: dir, env: {}, timeoutMs: 10_000 });
    expect(r).toMatchObject({ code: 3, stdout: 'out\n', stderr: 'err\n' });
  });

  it('on abort, kills the whole process group and rejects with the reason', async () => {
    const script = await forkingScript();
    const ac = new AbortController();
    const reason = new AirlockError(ErrorCodes.INTERRUPTED, 'interrupted (SIGINT)');
    await rm(join(dir, 'pids'), { force: true });
    const run = runProcess(script, [], { cwd: dir, env: {}, timeoutMs: 60_000, signal: ac.signal });
    const [pgid] = await pidsOf();
    ac.abort(reason);
    await expect(run).rejects.toBe(reason);
    expect(await groupGone(pgid)).toBe(true);
  });

  it('kills a run over its time limit: IMPORT_INVALID, nothing left running', async () => {
    const script = await forkingScript();
    await rm(join(dir, 'pids'), { force: true });
    const run = runProcess(script, [], { cwd: dir, env: {}, timeoutMs: 1000 });
    const [pgid] = await pidsOf();
    const err = await run.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AirlockError);
    expect((err as AirlockError).code).toBe(ErrorCodes.IMPORT_INVALID);
    expect((err as AirlockError).message).toContain('did not finish within');
    expect(await groupGone(pgid)).toBe(true);
  });
});

describe('findExecutable', () => {
  it('finds an executable on PATH and nothing for a missing one or a relative PATH entry', async () => {
    const script = await forkingScript();
    expect(await findExecutable('forks.sh', `/nonexistent:${dir}`)).toBe(script);
    expect(await findExecutable('forks.sh', 'relative/dir')).toBeUndefined();
    expect(await findExecutable('no-such-tool-airlock', dir)).toBeUndefined();
  });
});
