import { Command } from 'commander';
import { addCopyFlags } from './common-flags.js';
import { addRegistryFlags } from './registry-flags.js';
import { EXIT_CODES_HELP } from './exit-codes.js';
import { lazyAction } from './lazy.js';

/** `airlock backup`: every image of the store or a registry, with its tags, in one bundle. */
export function backupCommand(): Command {
  const cmd = new Command('backup')
    .description(
      'Back up every image of the store, or every tag of every repository of a registry (under a prefix), into one bundle: each blob once, a lock of every image inside, the same checks as any bundle (airlock bundle verify).',
    )
    .option('--store [dir]', 'back up the store (default $AIRLOCK_STORE or ~/.cache/airlock/store)')
    .option('--registry <host[/prefix]>', 'back up a registry: its catalog and every tag (pulled through the store)')
    .requiredOption('-o, --output <backup.tar>', 'the bundle to write')
    .option('--zstd', 'compress the backup with zstd (see bundle create --zstd)')
    .option('--split <size>', 'cut it into numbered volumes of at most SIZE (see bundle create --split)')
    .option('--jobs <n>', 'images pulled at once', '4')
    .option('--blob-jobs <n>', 'blobs pulled at once across all images', '8')
    .option('--json', 'print one JSON event per line on stdout instead of progress');
  addRegistryFlags(cmd);
  cmd.addHelpText(
    'after',
    `
Examples:
  airlock backup --registry registry.local:5000 -o registry-backup.tar
  airlock backup --store -o store-backup.tar --split 4G
  airlock restore registry-backup.tar --to registry.local:5000
${EXIT_CODES_HELP}`,
  );
  cmd.action(lazyAction(() => import('./backup-action.js')));
  return cmd;
}

/** `airlock restore BACKUP --to DEST`: verify the whole backup, then import it. */
export function restoreCommand(): Command {
  const cmd = new Command('restore')
    .description(
      'Restore a backup (or any bundle): every blob re-hashed and the index, lock and checksums checked first (nothing is written from a damaged backup), then imported with the one copy engine; a rerun sends only what is missing.',
    )
    .argument('<backup>', 'backup file, or a split backup\'s .bundle.json')
    .requiredOption('--to <dest>', 'REGISTRY[/PREFIX], store: or oci:DIR (images keep their repository and tag under it)')
    .option('--keep-going', 'after a failed image, finish the rest, then exit non-zero (3)')
    .option('--report <file>', 'write a JSON report: every image, its digest, bytes sent, skipped, failed')
    .option('--jobs <n>', 'images copied at once', '4')
    .option('--dest-creds <user:password>', 'credentials for the destination registry');
  addCopyFlags(cmd);
  cmd.addHelpText('after', EXIT_CODES_HELP);
  cmd.action(lazyAction(() => import('./restore-action.js')));
  return cmd;
}
