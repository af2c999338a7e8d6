/**
 * Ctrl-C and SIGTERM end `airlock import` at once even while it parses a large file, which
 * blocks the event loop (no signal handler could run): the signal's default action applies
 * during those steps, so the process ends and writes nothing.
 */
import { access, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCliSandbox, show, type CliSandbox } from './cli.js';

let sb: CliSandbox;
let big: string;

beforeAll(async () => {
  sb = await makeCliSandbox();
  big = join(sb.dir, 'big.yml');
  // 300,000 images: several seconds of parsing, far longer than the signal below takes.
  const lines = Array.from({ length: 300_000 }, (_, i) => `image_${i}: registry.example/library/image-${i}:1.${i % 100}`);
  await writeFile(big, `${lines.join('\n')}\n`);
});

afterAll(async () => {
  await sb?.remove();
});

describe('airlock import under a signal', () => {
  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)('%s while parsing ends the process (exit %i) and writes nothing', async (sig, exit) => {
    const out = join(sb.dir, `${sig}.yaml`);
    let signalled = 0;
    const r = await sb.run(['import', 'atmosphere', big, '-o', out], {
      timeoutMs: 120_000,
      onSpawn: (child) =>
        void setTimeout(() => {
          signalled = Date.now();
          child.kill(sig);
        }, 1500),
    });
    expect(r.code, show(r)).toBe(exit);
    // Not a speed claim: a process that waited for the parse to end would take the rest of it (over ten seconds here).
    expect(Date.now() - signalled).toBeLessThan(5000);
    expect(r.stdout).not.toContain('images');
    await expect(access(out)).rejects.toThrow();
  });
});
