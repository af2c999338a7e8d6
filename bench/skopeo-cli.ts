/**
 * skopeo as the benchmarks' independent client: pushing seed images in parallel and reading
 * a manifest digest back. Nothing here goes through airlock's code, so a seeded registry or
 * an expected digest never depends on the tool under test.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Sandbox } from './measure.js';

/** One `skopeo copy SRC DST` of a batch. */
export interface CopyLine {
  src: string;
  dst: string;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { env, timeout: timeoutMs, maxBuffer: 256 << 20, encoding: 'buffer' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${stderr.toString('utf8').slice(-2000) || err.message}`));
      else resolve(stdout);
    });
  });
}

/**
 * Runs `skopeo copy --preserve-digests` for every line, plain HTTP on both sides, one skopeo
 * process per copy as a script would. Groups run `parallel` at a time through `xargs -P`; the
 * copies of one group run one after the other. Put every copy to one repository in one group:
 * Distribution can fail a manifest with "blob unknown" when two pushes to the same
 * repository upload the same blob at once. Throws when any copy fails.
 */
export async function skopeoCopyAll(groups: CopyLine[][], sandbox: Sandbox, workDir: string, parallel = 4): Promise<void> {
  await mkdir(join(workDir, 'copy-groups'), { recursive: true });
  const files: string[] = [];
  for (const [i, group] of groups.entries()) {
    if (group.length === 0) continue;
    const file = join(workDir, 'copy-groups', `${i}.txt`);
    // References never contain blanks, so `read` splits the two safely.
    await writeFile(file, group.map((l) => `${l.src} ${l.dst}\n`).join(''));
    files.push(file);
  }
  if (files.length === 0) return;
  const list = join(workDir, 'copy-groups.txt');
  await writeFile(list, files.map((f) => `${f}\n`).join(''));
  const copy = [
    'skopeo', ...sandbox.skopeoGlobal, 'copy', '--quiet', '--preserve-digests',
    '--src-authfile', sandbox.authfile, '--dest-authfile', sandbox.authfile,
    '--src-tls-verify=false', '--dest-tls-verify=false',
  ];
  // xargs appends the group file after the copy command: split it off, then copy line by line
  // (stdin from /dev/null, so no copy can swallow the rest of the group file).
  const script = 'f="${@: -1}"; set -- "${@:1:$#-1}"; while read -r s d; do "$@" "$s" "$d" < /dev/null || exit 1; done < "$f"';
  await run('xargs', ['-P', String(parallel), '-L', '1', '-a', list, 'bash', '-c', script, 'copy-group', ...copy], sandbox.env, 30 * 60_000);
}

/**
 * The digest of the manifest `skopeo inspect --raw` returns for `ref` (`docker://...`): the
 * sha256 of the exact bytes, which is how a manifest digest is defined.
 */
export async function skopeoRawDigest(ref: string, sandbox: Sandbox): Promise<{ digest: string; bytes: Buffer }> {
  const bytes = await run(
    'skopeo',
    [...sandbox.skopeoGlobal, 'inspect', '--raw', '--no-tags', '--authfile', sandbox.authfile, '--tls-verify=false', ref],
    sandbox.env,
    60_000,
  );
  return { digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, bytes };
}

/** `count` indices spread evenly over `0..n-1` (first and last included): a deterministic sample. */
export function spread(n: number, count: number): number[] {
  if (n <= 0) return [];
  if (n <= count) return Array.from({ length: n }, (_, i) => i);
  return [...new Set(Array.from({ length: count }, (_, k) => Math.round((k * (n - 1)) / (count - 1))))];
}
