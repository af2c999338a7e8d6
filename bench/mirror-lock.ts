/**
 * The lock the airlock-lock case mirrors: an image set naming every image of the benchmark,
 * with `push_destination: TARGET/PREFIX`, resolved by `airlock resolve` (outside the timed
 * part) into a lock whose every digest and destination is checked before it is used. A lock
 * that came out wrong fails the lock run rather than the whole benchmark.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DatasetImage } from './dataset.js';
import { lockProblems } from './lock-check.js';
import type { Sandbox } from './measure.js';
import type { BenchRegistry } from './registry.js';

/** An image-set key for a repo:tag (keys are lower-case letters, digits and _). */
export function keyOf(i: { repo: string; tag: string }): string {
  return `${i.repo}_${i.tag}`.toLowerCase().replace(/[^a-z0-9]+/g, '_');
}

/** Writes `images.yaml` and resolves it to `lock.yaml` in `workDir`; problems are empty when the lock is right. */
export async function writeMirrorLock(opts: {
  images: DatasetImage[];
  source: BenchRegistry;
  target: BenchRegistry;
  prefix: string;
  workDir: string;
  sandbox: Sandbox;
  airlockMain: string;
}): Promise<{ file: string; problems: string[] }> {
  const { images, source, target, prefix, workDir } = opts;
  const keys = images.map(keyOf);
  if (new Set(keys).size !== keys.length) throw new Error('two images map to the same image-set key');
  const set = join(workDir, 'images.yaml');
  const file = join(workDir, 'lock.yaml');
  await writeFile(
    set,
    `version: 1\nimages:\n${images.map((i, n) => `  ${keys[n]}: "${source.host}/${i.repo}:${i.tag}"\n`).join('')}` +
      `rules:\n  - name: mirror\n    push_destination: "${target.host}/${prefix}"\n`,
  );
  const failure = await new Promise<string | null>((resolve) => {
    execFile(process.execPath, [opts.airlockMain, 'resolve', set, '-o', file], { env: opts.sandbox.env }, (err, _out, stderr) =>
      resolve(err ? `airlock resolve for the lock failed: ${stderr.slice(-1000) || err.message}` : null),
    );
  });
  if (failure) return { file, problems: [failure] };
  const expected = images.map((i, n) => ({
    key: keys[n]!,
    digest: i.digest,
    tag: i.tag,
    destination: `${target.host}/${prefix}/${i.repo}:${i.tag}`,
  }));
  return { file, problems: await lockProblems(file, expected) };
}
