import { Command } from 'commander';
import { parseLocation } from '../ref/location.js';
import { addCopyFlags, contextOf, engineOptions, type CopyFlags } from './common-flags.js';
import { EXIT_CODES_HELP } from './exit-codes.js';
import { runWithOutput } from './run-command.js';

interface CopyCommandFlags extends CopyFlags {
  srcCreds?: string;
  destCreds?: string;
  report?: string;
}

/** `airlock copy SRC DST`. */
export function copyCommand(): Command {
  const cmd = new Command('copy')
    .description('Copy one image (all platforms, or those chosen with --platform) from SRC to DST.')
    .argument('<src>', 'source: docker://REF (or a bare REF), oci:DIR[:NAME], store:REF')
    .argument('<dst>', 'destination: docker://REF, oci:DIR[:NAME], store:REF')
    .option('--src-creds <user:password>', 'credentials for the source registry')
    .option('--dest-creds <user:password>', 'credentials for the destination registry')
    .option('--report <file>', 'write a JSON report of the copy');
  addCopyFlags(cmd);
  cmd.addHelpText(
    'after',
    `
Examples:
  airlock copy quay.io/ceph/ceph:v18 docker://registry.local:5000/ceph/ceph:v18
  airlock copy docker://registry.local:5000/app:1 store:registry.local:5000/app:1
  airlock copy --platform linux/amd64 docker://src:5000/app:1 oci:./layout:app:1
${EXIT_CODES_HELP}`,
  );
  cmd.action(async (src: string, dst: string, flags: CopyCommandFlags) => {
    const source = parseLocation(src);
    const destination = parseLocation(dst);
    const creds: [string, string][] = [];
    if (flags.srcCreds && source.kind === 'docker') creds.push([source.ref.registry, flags.srcCreds]);
    if (flags.destCreds && destination.kind === 'docker') creds.push([destination.ref.registry, flags.destCreds]);
    process.exitCode = await runWithOutput({
      pairs: [{ source, destination }],
      ctx: contextOf(flags, creds),
      options: { ...engineOptions(flags), jobs: 1 },
      ...(flags.json ? { json: true } : {}),
      ...(flags.report ? { reportFile: flags.report } : {}),
    });
  });
  return cmd;
}
