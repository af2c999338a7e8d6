import { Command } from 'commander';
import { lazyAction } from './lazy.js';

/** `airlock gc`: blobs no image in the store reaches, removed. */
export function gcCommand(): Command {
  return new Command('gc')
    .description(
      "Remove the store's blobs that no image reaches (what pushes and deletes on airlock serve left behind), keeping every named image. Safe while airlock serve or another airlock command uses the store: blobs written or reused within the grace period stay.",
    )
    .option('--store <dir>', 'store directory (default $AIRLOCK_STORE or ~/.cache/airlock/store)')
    .option('--dry-run', 'say what would go, remove nothing')
    .option('--grace <minutes>', 'keep unreferenced blobs newer than this', '60')
    .option('--json', 'print the result as JSON')
    .action(lazyAction(() => import('./gc-action.js')));
}
