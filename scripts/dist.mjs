/**
 * `npm run dist`: what an air-gapped host needs, built from the sources (run after `npm run build`).
 *
 * - `dist/sea/airlock`: a single executable (Node's single executable applications): the CLI
 *   bundled by esbuild into one CommonJS file (SEA runs one CommonJS script; no code
 *   splitting, so the commands' lazy `import()`s become plain calls inside it), injected with
 *   postject into a copy of the node binary running this script. Needs no Node.js and no
 *   node_modules on the host; for this host's OS and architecture only. With
 *   `dist/sea/airlock.sha256` beside it (`sha256sum -c` format).
 * - `dist/airlock-VERSION.tgz` (`npm pack`, dependencies bundled by package.json's
 *   bundleDependencies): `npm install -g ./airlock-VERSION.tgz` with no registry.
 *
 * Options: `--out DIR` writes the executable there instead of dist/sea; `--no-pack` skips the
 * tarball; `--pack-dir DIR` writes the tarball there instead of dist/. The tests use them to
 * build into a temporary directory.
 */
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import * as path from 'node:path';
import { build } from 'esbuild';
import postject from 'postject';

/** The fuse Node's SEA support looks for in its binary (the same for every Node release). */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

const args = process.argv.slice(2);
const option = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const outDir = path.resolve(option('--out') ?? 'dist/sea');
const packDir = path.resolve(option('--pack-dir') ?? 'dist');
const pack = !args.includes('--no-pack');

const execFileAsync = promisify(execFile);
const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

const node = await readFile(process.execPath);
// Distribution builds linked against a shared libnode (Debian's nodejs) lack the fuse, and
// a copy of them would not run without that library anyway.
if (!node.includes(SEA_FUSE)) {
  console.error(`${process.execPath} (node ${process.version}) cannot make a single executable: use an official Node.js build (nodejs.org, NodeSource)`);
  process.exit(1);
}

/** The single executable and its sha256 file, in outDir. */
async function buildSea() {
  await mkdir(outDir, { recursive: true });
  const work = await mkdtemp(path.join(tmpdir(), 'airlock-dist-'));
  try {
    const script = path.join(work, 'airlock.cjs');
    const blob = path.join(work, 'airlock.blob');
    await build({
      entryPoints: ['src/cli/main.ts'],
      outfile: script,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      logLevel: 'warning',
    });
    const config = path.join(work, 'sea-config.json');
    // The code cache spares the executable most of the parsing at each start; it belongs to
    // the node binary that made it, which is the one the blob goes into.
    await writeFile(config, JSON.stringify({ main: script, output: blob, disableExperimentalSEAWarning: true, useCodeCache: true }));
    // Its one line of output is noise; its errors are not.
    try {
      execFileSync(process.execPath, ['--experimental-sea-config', config], { stdio: 'pipe' });
    } catch (err) {
      process.stderr.write(`${err.stdout ?? ''}${err.stderr ?? ''}`);
      throw err;
    }

    const tmp = path.join(outDir, `.airlock.${process.pid}.tmp`);
    await copyFile(process.execPath, tmp);
    await chmod(tmp, 0o755);
    // postject prints a line per step, and LIEF warns about note sections it cannot name
    // (harmless: Node's own docs show the same); the summary below is what matters.
    const { log, warn } = console;
    console.log = console.warn = () => {};
    try {
      await postject.inject(tmp, 'NODE_SEA_BLOB', await readFile(blob), { sentinelFuse: SEA_FUSE });
    } finally {
      Object.assign(console, { log, warn });
    }
    const exe = path.join(outDir, 'airlock');
    // Renamed into place: a running copy of the old executable is not written over.
    await rename(tmp, exe);
    const bytes = await readFile(exe);
    await writeFile(`${exe}.sha256`, `${sha256(bytes)}  airlock\n`);
    return `${path.relative(process.cwd(), exe) || exe}: ${(bytes.length / 1e6).toFixed(1)} MB, node ${process.version} ${process.platform}-${process.arch}`;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The npm tarball, dependencies bundled, and its sha256 file, in packDir. */
async function packTarball() {
  await mkdir(packDir, { recursive: true });
  // dist/ is built already (npm run dist builds first): --ignore-scripts skips prepare's rebuild.
  const { stdout } = await execFileAsync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', packDir], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const [{ filename }] = JSON.parse(stdout);
  const file = path.join(packDir, filename);
  const bytes = await readFile(file);
  await writeFile(`${file}.sha256`, `${sha256(bytes)}  ${filename}\n`);
  return `${path.relative(process.cwd(), file) || file}: ${(bytes.length / 1e6).toFixed(1)} MB, dependencies bundled`;
}

// npm pack (gzip, another process) runs while the executable is made.
const [seaLine, packLine] = await Promise.all([buildSea(), pack ? packTarball() : undefined]);
console.log(seaLine);
if (packLine) console.log(packLine);
