import { Command } from 'commander';
import { addCopyFlags, collect } from './common-flags.js';
import { EXIT_CODES_HELP } from './exit-codes.js';
import { lazyAction } from './lazy.js';

/** `airlock mirror LIST|LOCK|IMAGESET [--to REGISTRY[/PREFIX]]`. */
export function mirrorCommand(): Command {
  const cmd = new Command('mirror')
    .description(
      'Copy every image named in FILE to a registry, keeping each image\'s path under it:\n' +
        'quay.io/ceph/ceph:v18 --to reg:5000/mirror -> reg:5000/mirror/ceph/ceph:v18.\n' +
        'Images shared layers are sent once and mounted everywhere else; images already in place cost one HEAD each.',
    )
    .argument('<file>', 'image list, lock file or image set')
    .option('--to <dest>', 'REGISTRY[/PREFIX], store: (the local store) or oci:DIR; for a lock or image set it overrides every destination')
    .option('--from <location>', 'read the images from oci:DIR or store: (by full reference) instead of their registries')
    .option('--via-store', 'pull into the store first (blobs it holds are not fetched again), then copy from it')
    .option('--only <key|substring>', 'lock or image set: copy only the image with this KEY; list: only references containing SUBSTRING')
    .option('--keep-going', 'after a failed image, finish the rest, then exit non-zero (3)')
    .option('--report <file>', 'write a JSON report: every image, its digest, bytes sent, mounted, skipped, failed')
    .option('--jobs <n>', 'images copied at once', '4')
    .option('--dest-creds <user:password>', 'credentials for the destination registry (with --to REGISTRY)')
    .option('--set <name=value>', 'image set only: set a template parameter before resolving (repeatable)', collect, []);
  addCopyFlags(cmd);
  cmd.addHelpText(
    'after',
    `
FILE is one of:
  a list (.txt etc.: one reference per line, # comments)  needs --to
  a lock (images.lock.yaml)    copies exactly the locked digests to each image's destination (or under --to)
  an image set (images.yaml)   resolved first, then copied as its lock says

Examples:
  airlock mirror images.txt --to registry.local:5000
  airlock mirror images.txt --to registry.local:5000/mirror --only ceph --report report.json
  airlock mirror images.lock.yaml                      # to each image's push_destination
  airlock mirror images.lock.yaml --only nova_api --to registry.local:5000
  airlock mirror images.yaml --to registry.local:5000  # resolve, then copy
  airlock mirror images.txt --from oci:./bundle --to store:
  airlock mirror images.lock.yaml --via-store          # download once into the store, then push from it
${EXIT_CODES_HELP}`,
  );
  cmd.action(lazyAction(() => import('./mirror-action.js')));
  return cmd;
}
