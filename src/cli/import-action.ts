import { rename, rm, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { AirlockError, ErrorCodes } from '../errors.js';
import { importFormatOf, importImageSet, readImportInputs, stringifyImageSet } from '../imageset/importers/index.js';

/** Flags of `airlock import`. */
export interface ImportFlags {
  output?: string;
}

/** Writes `text` to `file` through a temp file and a rename, so a reader never sees half of it. */
async function writeAtomic(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, text, { flag: 'wx' });
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new AirlockError(ErrorCodes.USAGE, `cannot write ${file}: ${(err as Error).message}`, { file });
  }
}

/** `airlock import FORMAT FILE... [-o FILE]`. */
export async function run(format: string, files: string[], flags: ImportFlags): Promise<void> {
  // A typo in the format is a usage error before any file is read.
  importFormatOf(format);
  const set = importImageSet(format, await readImportInputs(files));
  const header = `Imported by \`airlock import ${format}\` from ${files.map((f) => basename(f)).join(', ')}`;
  const text = stringifyImageSet(set, header);
  if (!flags.output) {
    process.stdout.write(text);
    return;
  }
  await writeAtomic(flags.output, text);
  process.stdout.write(`${flags.output}: ${Object.keys(set.images).length} images\n`);
}
