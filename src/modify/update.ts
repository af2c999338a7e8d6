/**
 * `--update REPOS_DIR`, TripleO's yum_update.yml as its buildah path (yum_update_buildah.yml)
 * does it: the image's own package manager (`dnf`, else `yum`) updates every package as
 * root, with the operator's repo files mounted read-only at /etc/yum.repos.d and each local
 * repository they name (`baseurl=file:///path`, when that directory exists) mounted
 * read-only at its own path. Mounts are not part of the image, so neither the repo files nor
 * the local repositories end up in it; the image's user and the rest of its config are not
 * touched (`--user` applies to the command only). Mount points buildah had to create are
 * removed again before the commit, so they leave nothing in the layer either.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { AirlockError, ErrorCodes } from '../errors.js';
import { buildah } from './buildah-cli.js';

/** Where the repo files are mounted in the image, as the role does. */
export const REPOS_IN_IMAGE = '/etc/yum.repos.d';

/** The update, as the role's yum_update.sh: dnf or yum, every package, then the package manager's cache removed. */
const UPDATE_SCRIPT = [
  'set -e',
  'if command -v dnf >/dev/null 2>&1; then PKG=dnf',
  'elif command -v yum >/dev/null 2>&1; then PKG=yum',
  "else echo 'airlock modify --update: neither dnf nor yum is in the image' >&2; exit 127; fi",
  '"$PKG" -y update',
  'rm -rf /var/cache/dnf /var/cache/yum',
].join('\n');

function invalid(message: string): AirlockError {
  return new AirlockError(ErrorCodes.MODIFY_INPUT_INVALID, message);
}

/** The `*.repo` files directly in `dir`, sorted; MODIFY_INPUT_INVALID when there are none or it cannot be read. */
export async function repoFiles(dir: string): Promise<string[]> {
  const names = await fs.readdir(dir).catch((err: NodeJS.ErrnoException) => {
    throw invalid(`--update ${dir}: ${err.code === 'ENOENT' ? 'no such directory' : err.code === 'ENOTDIR' ? 'not a directory' : err.message}`);
  });
  const repos = names.filter((n) => n.endsWith('.repo')).sort();
  if (repos.length === 0) throw invalid(`--update ${dir}: no .repo file in it`);
  return repos.map((n) => path.join(dir, n));
}

/** The existing local directories the repo files name as `baseurl=file:///path`, sorted, each once. */
async function localRepositories(files: readonly string[]): Promise<string[]> {
  const found = new Set<string>();
  for (const file of files) {
    const text = await fs.readFile(file, 'utf8');
    for (const m of text.matchAll(/^\s*baseurl\s*=(.*)$/gim)) {
      for (const url of m[1]!.split(/[\s,]+/)) {
        if (!url.startsWith('file://')) continue;
        const dir = path.posix.normalize(decodeURIComponent(url.slice('file://'.length)));
        if (!dir.startsWith('/') || dir === '/') continue;
        if ((await fs.stat(dir).catch(() => undefined))?.isDirectory()) found.add(dir.replace(/\/$/, ''));
      }
    }
  }
  return [...found].sort();
}

/**
 * The topmost missing directory on the way to each of `targets` (absolute image paths) in
 * the root file system at `root`: what mounting them would create. A path through a symlink
 * is left alone (it is the image's own).
 */
async function missingTops(root: string, targets: readonly string[]): Promise<string[]> {
  const out = new Set<string>();
  for (const target of targets) {
    let rel = '';
    for (const part of target.split('/').filter((p) => p !== '')) {
      rel = rel === '' ? part : `${rel}/${part}`;
      const st = await fs.lstat(path.join(root, rel)).catch(() => undefined);
      if (!st) {
        out.add(rel);
        break;
      }
      if (!st.isDirectory()) break;
    }
  }
  return [...out];
}

/**
 * Runs the update in the working container `ctr` (of buildah's storage in `workDir`) with
 * the repo files of `reposDir`. MODIFY_INPUT_INVALID when `reposDir` holds no `.repo` file;
 * BUILD_FAILED when the update fails (the last lines of its output in the message).
 */
export async function updateContainer(workDir: string, ctr: string, reposDir: string, signal?: AbortSignal): Promise<void> {
  const dir = path.resolve(reposDir);
  const locals = await localRepositories(await repoFiles(dir));
  const root = (await buildah(workDir, ['mount', ctr], signal)).trim();
  const created = await missingTops(root, [REPOS_IN_IMAGE, ...locals]);
  const volumes = [`${dir}:${REPOS_IN_IMAGE}:ro`, ...locals.map((l) => `${l}:${l}:ro`)].flatMap((v) => ['--volume', v]);
  await buildah(workDir, ['run', '--isolation', 'chroot', '--user', '0:0', '--workingdir', '/', ...volumes, ctr, '--', '/bin/sh', '-c', UPDATE_SCRIPT], signal, 20);
  // Empty mount points only (what was mounted there is gone with the run).
  for (const rel of created) await fs.rm(path.join(root, rel), { recursive: true, force: true });
}
