import { Command } from 'commander';
import { addCopyFlags } from './common-flags.js';
import { EXIT_CODES_HELP } from './exit-codes.js';
import { lazyAction } from './lazy.js';

/** `airlock copy SRC DST`. */
export function copyCommand(): Command {
  const cmd = new Command('copy')
    .description('Copy one image (all platforms, or those chosen with --platform) from SRC to DST.')
    .argument('<src>', 'source: docker://REF (or a bare REF), oci:DIR[:NAME], oci-archive:FILE[:NAME] (read in place), store:REF')
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
  airlock copy --format oci docker://src:5000/app:1 docker://dst:5000/app:1   # convert Docker v2s2 to OCI
${EXIT_CODES_HELP}`,
  );
  cmd.action(lazyAction(() => import('./copy-action.js')));
  return cmd;
}
