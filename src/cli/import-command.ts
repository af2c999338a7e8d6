import { rename, rm, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { Command } from 'commander';
import { AirlockError, ErrorCodes } from '../errors.js';
import { IMPORT_FORMATS, importFormatOf, importImageSet, readImportInputs, stringifyImageSet } from '../imageset/importers/index.js';
import { EXIT_CODES_HELP } from './exit-codes.js';

interface ImportFlags {
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

/** `airlock import FORMAT FILE... [-o images.yaml]`. */
export function importCommand(): Command {
  const cmd = new Command('import')
    .summary('Turn Kubespray vars, an Atmosphere manifest or Kubernetes YAML into an image set.')
    .description(
      'Turn what a deployment tool already lists into an image set (images.yaml).\n' +
        '  kubespray   vars files: foo_image_repo, foo_image_tag, foo_digest_checksum;\n' +
        '              {{ var }} resolved, later files override earlier ones\n' +
        '  atmosphere  a map of image key to reference (bare or atmosphere_images:)\n' +
        '  kubernetes  helm template / kubectl get -o yaml output: container images',
    )
    .argument('<format>', IMPORT_FORMATS.join(' | '))
    .argument('<files...>', 'files to read')
    .option('-o, --output <file>', 'write the image set here instead of to stdout');
  cmd.addHelpText(
    'after',
    `
Examples:
  airlock import kubespray roles/kubespray-defaults/defaults/main/download.yml inventory/group_vars/all/offline.yml -o images.yaml
  airlock import atmosphere roles/defaults/vars/main.yml -o images.yaml
  helm template ./chart > rendered.yaml && airlock import kubernetes rendered.yaml
${EXIT_CODES_HELP}`,
  );
  cmd.action(async (format: string, files: string[], flags: ImportFlags) => {
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
  });
  return cmd;
}
