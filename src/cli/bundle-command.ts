import { Command } from 'commander';
import { addCopyFlags } from './common-flags.js';
import { EXIT_CODES_HELP } from './exit-codes.js';
import { lazyAction } from './lazy.js';

/** `airlock bundle create|ls|verify|import|extract-self`: carry images across the air gap in one file. */
export function bundleCommand(): Command {
  const cmd = new Command('bundle').description(
    'Carry images across the air gap in one file: an OCI image layout in a plain tar (each blob once, the lock and a checksum list inside) that airlock, skopeo (oci-archive:) and ctr images import read as it is.',
  );
  const create = new Command('create')
    .description('Write a bundle of every image a lock or list names: pulled into the store first (what it holds is not fetched again), then written from it, the same bytes for the same images.')
    .argument('<file>', 'lock file or image list')
    .requiredOption('-o, --output <bundle>', 'the bundle to write (images.tar)')
    .option('--from <store:>', 'store: take the images from the store only, fetching nothing')
    .option('--only <key|substring>', 'lock: only the image with this KEY; list: only references containing SUBSTRING')
    .option('--jobs <n>', 'images pulled at once', '4')
    .option('--have <have.json>', 'differential: leave out the configs and layers the target already holds, as airlock inventory listed them there (the import checks they are there before it writes anything)')
    .option('--zstd', 'compress the bundle with zstd (name it images.tar.zst); pays only for uncompressed layers: compressed layers do not shrink, and a zstd bundle is decompressed to TMPDIR before it can be read')
    .option('--include-self', 'carry airlock itself: the single executable running this (or the one npm run dist built) goes in as airlock/bin/airlock-OS-ARCH, in the checksum list; bundle extract-self writes it out on the other side')
    .option('--split <size>', 'cut the bundle into numbered volumes of at most SIZE (700M, 4G): FILE.000, FILE.001, ... and FILE-without-.tar.bundle.json listing each with its size and sha256; import and verify take the .bundle.json and name a missing or damaged volume')
    .action(lazyAction(() => import('./bundle-create-action.js')))
    .exitOverride();
  addCopyFlags(create);
  cmd.addCommand(create);
  cmd.addCommand(
    new Command('ls')
      .description('List what a bundle holds: images, platforms, sizes, and the lock it carries.')
      .argument('<bundle>', 'bundle file, or a split bundle\'s .bundle.json')
      .option('--json', 'print the listing as JSON')
      .action(lazyAction(() => import('./bundle-ls-action.js')))
      .exitOverride(),
  );
  cmd.addCommand(
    new Command('verify')
      .description('Re-hash every blob of a bundle and check its index, lock and checksum list against each other.')
      .argument('<bundle>', 'bundle file, or a split bundle\'s .bundle.json')
      .option('--json', 'print the result as JSON')
      .addHelpText(
        'after',
        '\nExit codes:\n  0    the bundle is whole\n  1    damaged or missing content, or disagreements (BUNDLE_DAMAGED); volumes missing (VOLUME_MISSING)\n  2    not a readable bundle (ARCHIVE_INVALID: unsafe or cut short; LAYOUT_INVALID; LOCK_INVALID)',
      )
      .action(lazyAction(() => import('./bundle-verify-action.js')))
      .exitOverride(),
  );
  cmd.addCommand(
    new Command('extract-self')
      .description('Write out the airlock executable a bundle carries (bundle create --include-self), its sha256 checked against the checksum list, mode 0755.')
      .argument('<bundle>', 'bundle file, or a split bundle\'s .bundle.json')
      .requiredOption('-o, --output <file>', 'where to write the executable (./airlock)')
      .option('--platform <os-arch>', 'which one, when the bundle carries several (linux-x64, linux-arm64); default: this host\'s')
      .option('--json', 'print what was written as JSON')
      .action(lazyAction(() => import('./bundle-extract-self-action.js')))
      .exitOverride(),
  );
  const imp = new Command('import')
    .description("Copy a bundle's images to a registry, the store or a layout with the one copy engine: every blob verified, what is already there skipped, so a rerun after a crash sends only what is missing.")
    .argument('<bundle>', 'bundle file, or a split bundle\'s .bundle.json')
    .requiredOption('--to <dest>', 'REGISTRY[/PREFIX], store: or oci:DIR')
    .option('--only <key>', 'only the image with this lock KEY')
    .option('--keep-going', 'after a failed image, finish the rest, then exit non-zero (3)')
    .option('--report <file>', 'write a JSON report: every image, its digest, bytes sent, skipped, failed')
    .option('--jobs <n>', 'images copied at once', '4')
    .option('--dest-creds <user:password>', 'credentials for the destination registry')
    .action(lazyAction(() => import('./bundle-import-action.js')))
    .exitOverride();
  addCopyFlags(imp);
  imp.addHelpText(
    'after',
    `
Examples:
  airlock bundle create images.lock.yaml -o images.tar
  airlock bundle verify /media/usb/images.tar
  airlock bundle import /media/usb/images.tar --to registry.local:5000/mirror
${EXIT_CODES_HELP}`,
  );
  cmd.addCommand(imp);
  return cmd;
}
