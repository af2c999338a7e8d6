/**
 * The cases of the resolve benchmark and how each run's result is checked:
 *
 * - airlock plain / labels: `airlock resolve SET -o LOCK` (default --jobs 16, default
 *   --referrers all); the lock must pin every image to its seeded digest (labels: under the
 *   versioned tag).
 * - airlock-none plain / labels: the same with `--referrers none` (no referrer discovery),
 *   checked the same way: shown beside the default, so what discovery costs is visible.
 * - skopeo plain: per image `skopeo inspect --raw --no-tags REF | sha256sum` (one manifest GET;
 *   the digest is the sha256 of the raw bytes), 8 at a time with `xargs -P 8`.
 * - skopeo labels: per image `skopeo inspect --no-tags --format` of the two labels (manifest +
 *   config, no tag list), then the raw-manifest digest of the versioned tag they name.
 *
 * The skopeo loops print `key [tag] digest` lines, which are checked like the lock.
 */
import { rm, writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { lockProblems } from './lock-check.js';
import { measure, type Measured, type Sandbox } from './measure.js';
import type { BenchRegistry } from './registry.js';
import type { SeededImage } from './resolve-seed.js';

export type ResolveTool = 'airlock' | 'airlock-none' | 'skopeo';
/** How the tables name each tool. */
export const TOOL_LABEL: Record<ResolveTool, string> = { airlock: 'airlock', 'airlock-none': 'airlock --referrers none', skopeo: 'skopeo' };
export type ResolveMode = 'plain' | 'labels';

/** Images resolved at once: airlock's default --jobs, and the xargs -P of the skopeo loop. */
export const AIRLOCK_JOBS = 16;
export const SKOPEO_PARALLEL = 8;

export interface CaseResult {
  measured: Measured;
  command: string[];
  /** Empty when the run exited 0 and every image came out right. */
  problems: string[];
}

/** Everything the cases need, written once: image sets, input lines, the two skopeo scripts. */
export interface ResolveCases {
  run(tool: ResolveTool, mode: ResolveMode, logBase: string): Promise<CaseResult>;
}

const LABEL_TEMPLATE = '{version}-{release}';
/** The Go template that builds the same tag from the config labels. */
const GO_LABEL_TEMPLATE = '{{index .Labels "version"}}-{{index .Labels "release"}}';

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Checks `key [tag] digest` lines printed by a skopeo loop against the seeded images. */
function outputProblems(text: string, images: SeededImage[], withTag: boolean): string[] {
  const got = new Map<string, string[]>();
  const problems: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const fields = line.trim().split(/\s+/);
    if (fields.length !== (withTag ? 3 : 2)) {
      problems.push(`unexpected output line: ${line.slice(0, 200)}`);
      continue;
    }
    if (got.has(fields[0]!)) problems.push(`${fields[0]}: printed twice`);
    got.set(fields[0]!, fields.slice(1));
  }
  for (const img of images) {
    const f = got.get(img.key);
    if (!f) {
      problems.push(`${img.key}: no digest printed`);
      continue;
    }
    const [tag, digest] = withTag ? f : [undefined, f[0]];
    if (digest !== img.digest) problems.push(`${img.key}: got ${digest}, seeded ${img.digest}`);
    if (withTag && tag !== img.versionedTag) problems.push(`${img.key}: tag ${tag}, expected ${img.versionedTag}`);
    got.delete(img.key);
  }
  for (const key of got.keys()) problems.push(`${key}: printed but not in the set`);
  return problems;
}

/** Writes the inputs of all the cases into `workDir`. */
export async function prepareCases(
  images: SeededImage[],
  registry: BenchRegistry,
  sandbox: Sandbox,
  workDir: string,
  airlockMain: string,
): Promise<ResolveCases> {
  const set = (extra: string) =>
    `version: 1\nimages:\n${images.map((i) => `  ${i.key}: "${registry.host}/${i.repo}:${i.tag}"\n`).join('')}${extra}`;
  const sets: Record<ResolveMode, string> = { plain: join(workDir, 'images.yaml'), labels: join(workDir, 'images-labels.yaml') };
  await writeFile(sets.plain, set(''));
  await writeFile(sets.labels, set(`rules:\n  - tag_from_label: "${LABEL_TEMPLATE}"\n`));

  // One line per image: the arguments xargs hands to the script.
  const lines: Record<ResolveMode, string> = { plain: join(workDir, 'skopeo-plain.txt'), labels: join(workDir, 'skopeo-labels.txt') };
  await writeFile(lines.plain, images.map((i) => `${i.key} docker://${registry.host}/${i.repo}:${i.tag}\n`).join(''));
  await writeFile(lines.labels, images.map((i) => `${i.key} ${registry.host}/${i.repo} ${i.tag}\n`).join(''));

  const inspect = ['skopeo', ...sandbox.skopeoGlobal, 'inspect', '--no-tags', '--authfile', sandbox.authfile, '--tls-verify=false']
    .map(shellQuote)
    .join(' ');
  // pipefail: a failed skopeo must fail the line, not hash an empty manifest.
  const scripts: Record<ResolveMode, string> = { plain: join(workDir, 'skopeo-plain.sh'), labels: join(workDir, 'skopeo-labels.sh') };
  await writeFile(
    scripts.plain,
    [
      'set -o pipefail',
      '# $1 key, $2 docker://host/repo:tag',
      `d=$(${inspect} --raw "$2" | sha256sum) || exit 1`,
      `printf '%s sha256:%s\\n' "$1" "\${d%% *}"`,
      '',
    ].join('\n'),
  );
  await writeFile(
    scripts.labels,
    [
      'set -o pipefail',
      '# $1 key, $2 host/repo, $3 floating tag',
      `t=$(${inspect} --format ${shellQuote(GO_LABEL_TEMPLATE)} "docker://$2:$3") || exit 1`,
      `d=$(${inspect} --raw "docker://$2:$t" | sha256sum) || exit 1`,
      `printf '%s %s sha256:%s\\n' "$1" "$t" "\${d%% *}"`,
      '',
    ].join('\n'),
  );

  return {
    async run(tool, mode, logBase) {
      if (tool !== 'skopeo') {
        const lock = `${logBase}.lock.yaml`;
        await rm(lock, { force: true });
        const args = [airlockMain, 'resolve', sets[mode], '-o', lock, ...(tool === 'airlock-none' ? ['--referrers', 'none'] : [])];
        const measured = await measure(process.execPath, args, sandbox.env, logBase);
        const problems = measured.exitCode !== 0 ? [`exit code ${measured.exitCode} (see ${logBase}.err)`] : [];
        const expected = images.map((i) => ({ key: i.key, digest: i.digest, ...(mode === 'labels' ? { tag: i.versionedTag } : {}) }));
        if (problems.length === 0) problems.push(...(await lockProblems(lock, expected)));
        return { measured, command: ['node', ...args], problems };
      }
      const args = ['-P', String(SKOPEO_PARALLEL), '-L', '1', '-a', lines[mode], 'bash', scripts[mode]];
      const measured = await measure('xargs', args, sandbox.env, logBase);
      const problems = measured.exitCode !== 0 ? [`exit code ${measured.exitCode} (see ${logBase}.err)`] : [];
      if (problems.length === 0) problems.push(...outputProblems(await readFile(`${logBase}.out`, 'utf8'), images, mode === 'labels'));
      return { measured, command: ['xargs', ...args], problems };
    },
  };
}
