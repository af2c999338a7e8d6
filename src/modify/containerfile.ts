/**
 * `--containerfile DIR`, TripleO's modify_image.yml (modify_dir_path): DIR's Containerfile
 * (or Dockerfile) is built over the image with `buildah bud`, its last `FROM` line replaced
 * by the image being modified, as the role's lineinfile does. The image comes from an OCI
 * layout, nothing is pulled (`--pull=never`), DIR is the build context and is never written
 * to (the edited Containerfile lives in airlock's own temporary folder).
 *
 * Only the layers beyond the base are taken. Of the config, the fields the Containerfile
 * changed (ENV, LABEL, USER, WORKDIR, CMD, ENTRYPOINT, EXPOSE, VOLUME, STOPSIGNAL and, for
 * Docker-format images, HEALTHCHECK, ONBUILD, SHELL) are taken from buildah's; every other
 * field stays the base's. buildah's own additions are left out: its identity label, the
 * default PATH it adds to an image that had none, the build times, and the history comment
 * naming the temporary layout; so the same base and DIR give the same digest.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { AirlockError, ErrorCodes } from '../errors.js';
import { MediaTypes } from '../oci/mediatypes.js';
import { buildah, committedLayers, createdOf, diffIdsOf, spliceLayers, withWorkDir, writeLayout, type Json, type RunInput } from './buildah-cli.js';
import type { MadeContent } from './image.js';

/** The file names looked for in DIR, in buildah's order. */
const CONTAINERFILE_NAMES = ['Containerfile', 'Dockerfile'];

/** The config fields a Containerfile can change. */
const CONFIG_FIELDS = ['User', 'ExposedPorts', 'Env', 'Entrypoint', 'Cmd', 'Volumes', 'WorkingDir', 'Labels', 'StopSignal', 'Healthcheck', 'OnBuild', 'Shell'];

/** The PATH buildah puts in an image config that has none. */
const BUILDAH_DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** An empty tar: 1024 zero bytes, or any run of zero blocks. */
const isEmptyTar = (tar: Buffer) => tar.every((b) => b === 0);

function invalid(message: string): AirlockError {
  return new AirlockError(ErrorCodes.MODIFY_INPUT_INVALID, message);
}

/** The Containerfile (else Dockerfile) of `dir`; MODIFY_INPUT_INVALID when `dir` is not a directory or holds neither. */
export async function containerfileOf(dir: string): Promise<string> {
  const st = await fs.stat(dir).catch(() => undefined);
  if (!st) throw invalid(`--containerfile ${dir}: no such directory`);
  if (!st.isDirectory()) throw invalid(`--containerfile ${dir}: not a directory`);
  for (const name of CONTAINERFILE_NAMES) {
    const file = path.join(dir, name);
    if ((await fs.stat(file).catch(() => undefined))?.isFile()) return file;
  }
  throw invalid(`--containerfile ${dir}: no Containerfile or Dockerfile in it`);
}

/**
 * `text` with its last `FROM` line naming `base` instead (an `AS name` after the image is
 * kept). MODIFY_INPUT_INVALID when it has no FROM line.
 */
export function replaceFrom(text: string, base: string, file: string): string {
  const lines = text.split('\n');
  let last = -1;
  lines.forEach((line, i) => {
    if (/^\s*FROM\s/i.test(line)) last = i;
  });
  if (last < 0) throw invalid(`${file}: no FROM line (it is replaced by the image being modified)`);
  const as = /\sAS\s+(\S+)\s*$/i.exec(lines[last]!);
  lines[last] = `FROM ${base}${as ? ` AS ${as[1]}` : ''}`;
  return lines.join('\n');
}

/**
 * Checks `dir` before anything runs: it holds a Containerfile (else Dockerfile) with a FROM
 * line. MODIFY_INPUT_INVALID otherwise (see containerfileOf and replaceFrom).
 */
export async function checkContainerfile(dir: string): Promise<void> {
  const file = await containerfileOf(dir);
  replaceFrom(await fs.readFile(file, 'utf8'), 'base', file);
}

/** JSON with object keys sorted, at every depth. */
function stable(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stable);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, stable((v as Json)[k])]));
  return v;
}

/** A config field's value for comparing: null, '', [] and {} all count as nothing; key order does not matter. */
function canonical(v: unknown): string {
  if (v === null || v === undefined || v === '') return '';
  if (typeof v === 'object' && Object.keys(v).length === 0) return '';
  return JSON.stringify(stable(v));
}

/** True when the Containerfile sets PATH itself (an ENV line naming it). */
function setsPath(containerfile: string): boolean {
  return /^\s*ENV\s[^\n]*\bPATH\b/im.test(containerfile);
}

/**
 * The base config's `config` with the fields buildah's build changed taken from it; the
 * default PATH buildah adds to an image without one is dropped unless the Containerfile
 * sets PATH, and buildah's identity label is not added (`--identity-label=false`).
 */
export function mergeConfig(base: Json, built: Json, containerfile: string): Json {
  const out = { ...base };
  const builtEnv = built.Env as string[] | null | undefined;
  const baseHasPath = ((base.Env as string[] | null | undefined) ?? []).some((e) => e.startsWith('PATH='));
  const env = builtEnv && !baseHasPath && !setsPath(containerfile) ? builtEnv.filter((e) => e !== BUILDAH_DEFAULT_PATH) : builtEnv;
  const after: Json = { ...built, Env: env };
  for (const field of CONFIG_FIELDS) {
    if (canonical(base[field]) === canonical(after[field])) continue;
    if (after[field] === undefined) delete out[field];
    else out[field] = after[field];
  }
  return out;
}

/**
 * History entries for the build's new layers, from buildah's own (what each instruction
 * did), with the base's time and without its comments (one names the temporary layout).
 * Entries of layers left out (empty ones) become empty. Falls back to one entry per layer
 * when buildah's entries do not account for the layers one to one.
 */
function historyOf(built: Json, baseHistory: number, layers: readonly Buffer[], kept: readonly boolean[], created: string, by: string): Json[] {
  const entries = ((built.history as Json[] | undefined) ?? []).slice(baseHistory);
  const nonEmpty = entries.filter((e) => e.empty_layer !== true).length;
  if (nonEmpty !== layers.length || entries.some((e) => typeof e.created_by !== 'string' || e.created_by.includes('airlock-run-'))) {
    return kept.filter((k) => k).map(() => ({ created, created_by: by, comment: 'airlock modify' }));
  }
  let layer = 0;
  return entries.map((e) => {
    const empty = e.empty_layer === true || !kept[layer++];
    return { created, created_by: e.created_by as string, ...(empty ? { empty_layer: true } : {}), comment: 'airlock modify' };
  });
}

/**
 * Builds `dir`'s Containerfile over the image (see the module doc) and returns the modified
 * image's manifest and config; the new layers are recorded in `made`. MODIFY_INPUT_INVALID
 * for a missing Containerfile or FROM line; BUILD_FAILED when the build fails (buildah's
 * last output lines in the message) or buildah is missing; nothing is written.
 */
export async function buildContainerfile(input: RunInput, dir: string, made: MadeContent, signal?: AbortSignal): Promise<{ manifest: Buffer; config: Buffer }> {
  const context = path.resolve(dir);
  const file = await containerfileOf(context);
  const text = await fs.readFile(file, 'utf8');
  return withWorkDir(async (work) => {
    const base = await writeLayout(path.join(work, 'in'), input);
    const edited = path.join(work, 'Containerfile');
    await fs.writeFile(edited, replaceFrom(text, base, file));
    const format = JSON.parse(input.manifest.toString('utf8')).mediaType === MediaTypes.dockerManifest ? 'docker' : 'oci';
    const iid = path.join(work, 'iid');
    await buildah(
      work,
      ['bud', '--quiet', '--isolation', 'chroot', '--timestamp', '0', '--pull=never', '--identity-label=false', '--layers=false', '--format', format, '--iidfile', iid, '--file', edited, context],
      signal,
      20,
    );
    const id = (await fs.readFile(iid, 'utf8')).trim();
    await buildah(work, ['push', '--quiet', id, `oci:${path.join(work, 'out')}:result`], signal);
    const before = diffIdsOf(input.config);
    const { tars, config: built } = await committedLayers(path.join(work, 'out'), before);
    const kept = tars.map((t) => !isEmptyTar(t));
    const baseCfg = JSON.parse(input.config.toString('utf8')) as Json;
    const baseHistory = ((baseCfg.history as unknown[] | undefined) ?? []).length;
    const history = historyOf(built, baseHistory, tars, kept, createdOf(input.config), `airlock modify --containerfile ${path.basename(context)}`);
    return spliceLayers(
      input,
      tars.filter((_, i) => kept[i]),
      history,
      made,
      (cfg) => void (cfg.config = mergeConfig((cfg.config as Json | undefined) ?? {}, (built.config as Json | undefined) ?? {}, text)),
    );
  });
}
