import { Command } from 'commander';
import { collect } from './common-flags.js';
import { lazyAction } from './lazy.js';

const STORE_HELP = 'store directory (default $AIRLOCK_STORE or ~/.cache/airlock/store)';

/** `airlock store ls|verify|prune`: look after the local store (the download-once cache). */
export function storeCommand(): Command {
  const cmd = new Command('store').description(
    'Look after the local store, the download-once cache every other command reads from: list it, re-check every byte, and drop what no lock needs any more. Each is safe while other airlock commands use the store.',
  );
  cmd.addCommand(
    new Command('ls')
      .description('List the stored images: platforms, size, bytes shared with other images, and what is missing.')
      .option('--store <dir>', STORE_HELP)
      .option('--json', 'print the listing as JSON')
      .action(lazyAction(() => import('./store-ls-action.js')))
      .exitOverride(),
  );
  cmd.addCommand(
    new Command('verify')
      .description('Re-hash every blob of the store and check every image has all it needs.')
      .option('--store <dir>', STORE_HELP)
      .option('--repair', 'delete damaged blobs, so the next pull fetches them again')
      .option('--json', 'print the result as JSON')
      .addHelpText('after', '\nExit codes:\n  0    every blob is whole and every image complete\n  1    damaged or missing blobs (STORE_DAMAGED); the message says which images\n  2    bad option or no store')
      .action(lazyAction(() => import('./store-verify-action.js')))
      .exitOverride(),
  );
  cmd.addCommand(
    new Command('prune')
      .description('Drop the stored images no given lock names, then every blob no remaining image uses.')
      .option('--keep <lock>', 'keep the images of this lock (repeatable; at least one)', collect, [])
      .option('--store <dir>', STORE_HELP)
      .option('--dry-run', 'say what would go, remove nothing')
      .option('--grace <minutes>', 'keep unnamed blobs written or reused this recently (0 when no other airlock process uses the store)', '60')
      .option('--json', 'print the result as JSON')
      .addHelpText(
        'after',
        '\nBlobs written or reused in the last hour (--grace) stay even when nothing names them yet:\n' +
          'another airlock process may be about to. Run prune again later to drop them.\n\n' +
          'Examples:\n  airlock store prune --keep images.lock.yaml --dry-run\n  airlock store prune --keep site-a.lock.yaml --keep site-b.lock.yaml',
      )
      .action(lazyAction(() => import('./store-prune-action.js')))
      .exitOverride(),
  );
  return cmd;
}
