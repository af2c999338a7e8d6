/**
 * vitest globalSetup: makes sure dist/ is built from the current sources before any test runs.
 *
 * The CLI tests run dist/cli/main.js and the library build is dist/index.js; `npm test` builds
 * first, but a bare `npx vitest` after an edit would otherwise test stale code. When either
 * output is missing or older than any build input (src/ except the *.test.ts files the build
 * excludes, package.json, scripts/bundle-cli.mjs, tsconfig*.json), this runs `npm run build`
 * once, with its output on the terminal, and fails the run when the build fails. When dist/ is
 * fresh it only stats the inputs (a few milliseconds).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import lockfile from 'proper-lockfile';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUTPUTS = ['dist/cli/main.js', 'dist/index.js'];
const INPUT_FILES = ['package.json', 'scripts/bundle-cli.mjs'];

/** mtime in ms, or undefined when the path does not exist. */
function mtimeOf(path: string): number | undefined {
  try {
    return statSync(path).mtimeMs;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** The newest build input: its path and mtime. Directories count too (a deleted or renamed file changes its directory's mtime). */
function newestInput(): { path: string; mtime: number } {
  let newest = { path: '', mtime: -Infinity };
  const consider = (path: string, mtime: number | undefined) => {
    if (mtime !== undefined && mtime > newest.mtime) newest = { path, mtime };
  };
  for (const f of INPUT_FILES) consider(f, mtimeOf(join(ROOT, f)));
  for (const f of readdirSync(ROOT)) if (/^tsconfig.*\.json$/.test(f)) consider(f, mtimeOf(join(ROOT, f)));
  const walk = (dir: string) => {
    consider(relative(ROOT, dir), statSync(dir).mtimeMs);
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      // tsconfig.build.json excludes the unit tests: editing one does not change dist/.
      else if (!entry.name.endsWith('.test.ts')) consider(relative(ROOT, path), mtimeOf(path));
    }
  };
  walk(join(ROOT, 'src'));
  return newest;
}

/** Why dist/ must be rebuilt, or undefined when it is up to date. */
function staleness(): string | undefined {
  const input = newestInput();
  for (const out of OUTPUTS) {
    const mtime = mtimeOf(join(ROOT, out));
    if (mtime === undefined) return `${out} is missing`;
    if (mtime < input.mtime) return `${out} is older than ${input.path}`;
  }
  return undefined;
}

export default async function setup(): Promise<void> {
  if (staleness() === undefined) return;
  // Two vitest runs in the same checkout must not build over each other: the second waits,
  // then finds dist/ fresh. The build blocks this process (no lock refresh while it runs),
  // hence the long `stale`.
  mkdirSync(join(ROOT, 'tmp'), { recursive: true });
  const release = await lockfile.lock(ROOT, {
    lockfilePath: join(ROOT, 'tmp', 'dist-build.lock'),
    realpath: false,
    stale: 300_000,
    retries: { retries: 600, minTimeout: 500, maxTimeout: 500 },
  });
  try {
    const why = staleness();
    if (why === undefined) return;
    console.log(`[global-setup] ${why}: running npm run build`);
    const r = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
    if (r.error) throw new Error(`[global-setup] could not run \`npm run build\`: ${r.error.message}`);
    if (r.status !== 0) {
      throw new Error(
        `[global-setup] \`npm run build\` failed (${r.status !== null ? `exit ${r.status}` : `signal ${r.signal}`}); ` +
          'dist/ is stale, so the tests would run old code. Fix the build errors above and run again.',
      );
    }
    const still = staleness();
    // A source edited during the build, or an mtime in the future: say so, but the build itself worked.
    if (still !== undefined) console.warn(`[global-setup] warning: after \`npm run build\`, ${still}`);
  } finally {
    await release();
  }
}
