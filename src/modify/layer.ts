/**
 * Layers made by `airlock modify`, deterministic: entries sorted by path, owner 0:0 with no
 * names, modification time 0, permission bits kept, gzip at a fixed level with no name or
 * time in its header. The same inputs give the same bytes, so the same base and inputs give
 * the same image digest, and a rerun can tell from the digest alone that there is nothing to do.
 */
import { createReadStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { createGunzip, gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { AirlockError, ErrorCodes } from '../errors.js';
import { packTar } from '../transport/archive/tar-pack.js';

/** Largest input one appended layer may hold (it is built in memory). */
export const MAX_LAYER_INPUT_BYTES = 1024 * 1024 * 1024;
/** Most entries one appended layer may hold. */
export const MAX_LAYER_ENTRIES = 200_000;

/** One entry of a layer, before it is written. */
interface LayerEntry {
  name: string;
  type: 'file' | 'directory' | 'symlink' | 'link';
  mode: number;
  linkname?: string;
  content?: Buffer;
}

/** A layer's bytes: the tar (its sha256 is the diff ID) and its gzip (the blob). */
export interface BuiltLayer {
  tar: Buffer;
  gzip: Buffer;
}

function invalid(message: string): AirlockError {
  return new AirlockError(ErrorCodes.MODIFY_INPUT_INVALID, message);
}

/** Checks an entry name from a tar: relative, never climbing; the name without `./`. */
function safeName(raw: string, source: string): string {
  const parts: string[] = [];
  for (const p of raw.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') throw invalid(`${source}: entry "${raw}" climbs with ..`);
    parts.push(p);
  }
  if (raw.startsWith('/')) throw invalid(`${source}: entry "${raw}" is an absolute path`);
  return parts.join('/');
}

/** Tracks the bounds while entries are gathered. */
class Budget {
  private bytes = 0;
  private entries = 0;
  constructor(private readonly source: string) {}
  add(size: number): void {
    this.bytes += size;
    this.entries++;
    if (this.bytes > MAX_LAYER_INPUT_BYTES) throw invalid(`${this.source}: more than ${MAX_LAYER_INPUT_BYTES} bytes for one layer`);
    if (this.entries > MAX_LAYER_ENTRIES) throw invalid(`${this.source}: more than ${MAX_LAYER_ENTRIES} entries for one layer`);
  }
}

/** Walks a directory: every entry under it, names relative to it. */
async function fromDirectory(dir: string, budget: Budget): Promise<LayerEntry[]> {
  const out: LayerEntry[] = [];
  const walk = async (rel: string): Promise<void> => {
    const names = (await fs.readdir(path.join(dir, rel))).sort();
    for (const n of names) {
      const relName = rel === '' ? n : `${rel}/${n}`;
      const full = path.join(dir, relName);
      const st = await fs.lstat(full);
      const mode = st.mode & 0o7777;
      if (st.isDirectory()) {
        budget.add(0);
        out.push({ name: relName, type: 'directory', mode });
        await walk(relName);
      } else if (st.isSymbolicLink()) {
        budget.add(0);
        out.push({ name: relName, type: 'symlink', mode, linkname: await fs.readlink(full) });
      } else if (st.isFile()) {
        budget.add(st.size);
        out.push({ name: relName, type: 'file', mode, content: await fs.readFile(full) });
      } else {
        throw invalid(`${full}: not a file, directory or symlink`);
      }
    }
  };
  await walk('');
  return out;
}

/** Reads a tar (plain or gzip): every entry, names checked. */
async function fromTar(file: string, budget: Budget): Promise<LayerEntry[]> {
  const head = Buffer.alloc(2);
  const fh = await fs.open(file);
  await fh.read(head, 0, 2, 0).finally(() => fh.close());
  const raw = createReadStream(file);
  const input = head[0] === 0x1f && head[1] === 0x8b ? raw.pipe(createGunzip()) : raw;
  const extract = tar.extract();
  const out: LayerEntry[] = [];
  const done = new Promise<void>((resolve, reject) => {
    extract.on('entry', (h, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => {
        try {
          budget.add((c as Buffer).length);
          chunks.push(c as Buffer);
        } catch (err) {
          // Over the bounds: stop reading at once (a gzip bomb ends here).
          input.unpipe(extract);
          extract.destroy(err as Error);
        }
      });
      stream.on('end', () => {
        try {
          const name = safeName(h.name, file);
          const type = h.type === 'file' || h.type === 'contiguous-file' ? 'file' : h.type;
          if (type !== 'file' && type !== 'directory' && type !== 'symlink' && type !== 'link') throw invalid(`${file}: entry "${h.name}" is a ${h.type ?? 'special file'}`);
          if (type === 'link' && h.linkname) safeName(h.linkname, file);
          budget.add(0);
          if (name !== '') out.push({ name, type, mode: (h.mode ?? 0o644) & 0o7777, ...(h.linkname ? { linkname: h.linkname } : {}), ...(type === 'file' ? { content: Buffer.concat(chunks) } : {}) });
          next();
        } catch (err) {
          next(err as Error);
        }
      });
      stream.on('error', next);
    });
    extract.on('finish', resolve);
    extract.on('error', (err: Error) => reject(err instanceof AirlockError ? err : invalid(`${file}: not a readable tar: ${err.message}`)));
    input.on('error', (err: Error) => reject(invalid(`${file}: not a readable tar: ${err.message}`)));
  });
  input.pipe(extract);
  await done;
  return out;
}

/** Writes `entries` (sorted by name here) as a deterministic tar, then its gzip. */
export async function writeLayer(entries: LayerEntry[]): Promise<BuiltLayer> {
  const sorted = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const tarBytes = await packTar(
    sorted.map((e) => ({
      header: {
        name: e.type === 'directory' ? `${e.name}/` : e.name,
        type: e.type,
        mode: e.mode,
        uid: 0,
        gid: 0,
        uname: '',
        gname: '',
        mtime: new Date(0),
        size: e.content?.length ?? 0,
        ...(e.linkname !== undefined ? { linkname: e.linkname } : {}),
      },
      content: e.content ?? Buffer.alloc(0),
    })),
  );
  // Node's gzip header carries no name and a zero time; the level is fixed.
  return { tar: tarBytes, gzip: gzipSync(tarBytes, { level: 6 }) };
}

/** Places entries under `dest` (an absolute image path); the destination directory itself is an entry unless it is `/`. */
function under(dest: string, entries: LayerEntry[]): LayerEntry[] {
  const prefix = dest.slice(1);
  if (prefix === '') return entries;
  return [{ name: prefix, type: 'directory', mode: 0o755 }, ...entries.map((e) => ({ ...e, name: `${prefix}/${e.name}` }))];
}

/**
 * The layer of `--append PATH:DEST`: a directory's contents, a tar's entries (plain or
 * gzip, `.tar`/`.tar.gz`/`.tgz`), or one other file by its name, under DEST.
 */
export async function appendLayer(file: string, dest: string): Promise<BuiltLayer> {
  const st = await fs.stat(file).catch((err: NodeJS.ErrnoException) => {
    throw invalid(`--append ${file}: ${err.code === 'ENOENT' ? 'no such file or directory' : err.message}`);
  });
  const budget = new Budget(file);
  let entries: LayerEntry[];
  if (st.isDirectory()) entries = await fromDirectory(file, budget);
  else if (/\.(tar|tar\.gz|tgz)$/.test(file)) entries = await fromTar(file, budget);
  else {
    budget.add(st.size);
    entries = [{ name: path.basename(file), type: 'file', mode: st.mode & 0o7777, content: await fs.readFile(file) }];
  }
  return writeLayer(under(dest, entries));
}

/** The whiteout layer removing `paths` (absolute image paths): an empty `.wh.NAME` beside each. */
export function whiteoutLayer(paths: string[]): Promise<BuiltLayer> {
  return writeLayer(
    paths.map((p) => {
      const dir = path.posix.dirname(p).slice(1);
      const wh = `.wh.${path.posix.basename(p)}`;
      return { name: dir === '' ? wh : `${dir}/${wh}`, type: 'file' as const, mode: 0o644, content: Buffer.alloc(0) };
    }),
  );
}
