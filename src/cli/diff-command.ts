import { Command } from 'commander';
import { lazyAction } from './lazy.js';

/** `airlock diff OLD.lock NEW.lock`. */
export function diffCommand(): Command {
  return new Command('diff')
    .description('Print what changed between two lock files, one line per image.')
    .argument('<old>', 'the earlier lock file')
    .argument('<new>', 'the later lock file')
    .addHelpText(
      'after',
      `
Output:
  + KEY SOURCE@DIGEST                       image added
  - KEY SOURCE@DIGEST                       image removed
  ~ KEY: tag A -> B, digest X -> Y, ...     fields that changed (platform OS/ARCH compares child digests)

Exit codes:
  0    the locks pin the same images
  1    they differ
  2    a file is not a valid lock [LOCK_INVALID]`,
    )
    .action(lazyAction(() => import('./diff-action.js')));
}
