import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, isAbsolute } from 'node:path';
import { AirlockError, ErrorCodes } from '../errors.js';
import { readLock } from '../lock/read.js';
import { render, type RenderOutput } from '../render/index.js';

/** Flags of `airlock render`. */
export interface RenderFlags {
  format: string;
  output?: string;
  unpinned?: boolean;
  mirror?: string;
  skipVerify?: boolean;
  ca?: string;
}

/** `airlock render LOCK --format F [-o FILE_OR_DIR]`. */
export async function run(lockFile: string, flags: RenderFlags): Promise<void> {
  const lock = await readLock(lockFile);
  const out = render(lock, flags.format, {
    ...(flags.unpinned ? { unpinned: true } : {}),
    ...(flags.mirror ? { mirror: flags.mirror } : {}),
    ...(flags.skipVerify ? { skipVerify: true } : {}),
    ...(flags.ca ? { ca: flags.ca } : {}),
  });
  for (const w of out.warnings) process.stderr.write(`airlock: warning: ${w}\n`);
  if (flags.output) await writeOutput(out, flags.output);
  else process.stdout.write(asText(out));
}

/** One file as it is; several files one after another, each under a `# ==> PATH` comment line. */
function asText(out: RenderOutput): string {
  if (out.kind === 'file') return out.content;
  return Object.entries(out.files)
    .map(([path, content]) => `# ==> ${path}\n${content}`)
    .join('\n');
}

async function writeOutput(out: RenderOutput, target: string): Promise<void> {
  if (out.kind === 'file') {
    await write(target, out.content);
    process.stderr.write(`wrote ${target}\n`);
    return;
  }
  const root = resolve(target);
  for (const [path, content] of Object.entries(out.files)) {
    const file = resolve(root, path);
    // Paths come from registry names; never let one step outside the chosen directory.
    const rel = relative(root, file);
    if (rel.startsWith('..') || isAbsolute(rel)) throw new AirlockError(ErrorCodes.INTERNAL, `refusing to write ${path} outside ${target}`);
    await write(file, content);
  }
  process.stderr.write(`wrote ${Object.keys(out.files).length} files under ${join(target, '.')}\n`);
}

async function write(file: string, content: string): Promise<void> {
  try {
    await mkdir(dirname(file), { recursive: true });
    // Temp file and rename: a deployment reading the file never sees half of it.
    const tmp = `${file}.airlock-${process.pid}.tmp`;
    await writeFile(tmp, content);
    await rename(tmp, file);
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new AirlockError(ErrorCodes.USAGE, `cannot write ${file}: ${why}`, { file }, { cause: err });
  }
}
