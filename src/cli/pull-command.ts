import { Command } from 'commander';
import { addCopyFlags, collect } from './common-flags.js';
import { EXIT_CODES_HELP } from './exit-codes.js';
import { lazyAction } from './lazy.js';

/** `airlock pull LIST|LOCK|IMAGESET [--store DIR]`: fill the store once. */
export function pullCommand(): Command {
  const cmd = new Command('pull')
    .description(
      'Fill the local store (the download-once cache) with every image FILE names, under its full reference. Blobs the store already holds are never downloaded again; later commands read the images from the store (mirror --from store:, store ls/verify/prune).',
    )
    .argument('<file>', 'image list, lock file or image set')
    .option('--only <key|substring>', 'lock or image set: only the image with this KEY; list: only references containing SUBSTRING')
    .option('--keep-going', 'after a failed image, finish the rest, then exit non-zero (3)')
    .option('--report <file>', 'write a JSON report: every image, its digest, bytes fetched, skipped, failed')
    .option('--jobs <n>', 'images pulled at once', '4')
    .option('--set <name=value>', 'image set only: set a template parameter before resolving (repeatable)', collect, []);
  addCopyFlags(cmd);
  cmd.addHelpText(
    'after',
    `
Examples:
  airlock pull images.lock.yaml                    # every locked digest, into ~/.cache/airlock/store
  airlock pull images.lock.yaml --store /media/usb/store
  airlock pull images.txt --platform linux/amd64
${EXIT_CODES_HELP}`,
  );
  cmd.action(lazyAction(() => import('./pull-action.js')));
  return cmd;
}
