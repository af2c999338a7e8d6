/**
 * What a modification's digest says of its input directories: every entry by its path
 * relative to the directory, files by content digest, symlinks by target (modes are left
 * out, as a checkout's umask may differ between machines). So any
 * change to a file a build reads (a Containerfile, a file it copies, a repo file) changes
 * the modification, and `resolve --check` notices it, wherever the directory sits.
 */
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { AirlockError, ErrorCodes } from '../errors.js';
import type { Digest } from '../oci/digest.js';
import { MAX_LAYER_ENTRIES } from './layer.js';

/** One entry of an input directory. */
export type InputEntry = { name: string; type: 'directory' } | { name: string; type: 'file'; digest: Digest } | { name: string; type: 'symlink'; target: string };

async function fileDigest(file: string): Promise<Digest> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}` as Digest;
}

/**
 * Every entry under `dir`, sorted by path (directories walked, symlinks not followed).
 * MODIFY_INPUT_INVALID (naming `flag`) when it cannot be read, holds more than
 * MAX_LAYER_ENTRIES entries, or holds something other than files, directories and symlinks.
 */
export async function inputTree(dir: string, flag: string): Promise<InputEntry[]> {
  const out: InputEntry[] = [];
  const fail = (why: string) => new AirlockError(ErrorCodes.MODIFY_INPUT_INVALID, `--${flag} ${dir}: ${why}`);
  const walk = async (rel: string): Promise<void> => {
    const names = (await fs.readdir(path.join(dir, rel)).catch((err: NodeJS.ErrnoException) => {
      throw fail(err.code === 'ENOENT' ? 'no such directory' : err.message);
    })).sort();
    for (const n of names) {
      const name = rel === '' ? n : `${rel}/${n}`;
      const full = path.join(dir, name);
      if (out.length >= MAX_LAYER_ENTRIES) throw fail(`more than ${MAX_LAYER_ENTRIES} entries`);
      const st = await fs.lstat(full);
      if (st.isDirectory()) {
        out.push({ name, type: 'directory' });
        await walk(name);
      } else if (st.isSymbolicLink()) out.push({ name, type: 'symlink', target: await fs.readlink(full) });
      else if (st.isFile()) out.push({ name, type: 'file', digest: await fileDigest(full) });
      else throw fail(`${name} is not a file, directory or symlink`);
    }
  };
  await walk('');
  return out;
}
