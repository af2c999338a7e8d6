import { Command } from 'commander';
import { DEFAULT_RESOLVE_CONCURRENCY } from '../resolve/defaults.js';
import { collect } from './common-flags.js';
import { lazyAction } from './lazy.js';
import { addRegistryFlags } from './registry-flags.js';

/** `airlock resolve IMAGES.yaml -o IMAGES.lock.yaml`. */
export function resolveCommand(): Command {
  const cmd = new Command('resolve')
    .description('Pin every image of an image set by digest and write the lock file (re-resolving an unchanged set gives the same bytes).')
    .argument('<imageset>', 'image set file (images.yaml)')
    .option('-o, --output <file>', 'write the lock here (default: print it)')
    .option('--set <name=value>', 'set a template parameter over the file and every rule (repeatable; true/false switch images)', collect, [])
    .option('--jobs <n>', 'images resolved at once', String(DEFAULT_RESOLVE_CONCURRENCY))
    .option('--from <location>', 'pin from what is already here, with no network: store: (the local store) or oci:DIR')
    .option('--store <dir>', 'store directory for --from store: (default $AIRLOCK_STORE or ~/.cache/airlock/store)')
    .option('--referrers <all|signatures|none>', "which referrers of each image the lock lists (cosign's tags and OCI 1.1 referrers), so mirror and bundles carry exactly those", 'all')
    .option('--check', 'resolve and compare with the --output file instead of writing it: print the changes, exit 1 when stale');
  addRegistryFlags(cmd);
  cmd.addHelpText(
    'after',
    `
Each tag is resolved on its source registry (HEAD, GET only when needed); a multi-arch image is locked
with its index digest and each platform's digest and size; tag_from_label reads the image's labels
(linux/amd64 child of an index unless label_platform says otherwise) and pins the tag they name.

Examples:
  airlock resolve images.yaml -o images.lock.yaml
  airlock resolve images.yaml -o images.lock.yaml --set tag=current-tripleo --set ceph_images=false
  airlock resolve images.yaml -o images.lock.yaml --check      # in CI: is the lock current?
  airlock resolve images.yaml -o images.lock.yaml --from store:  # pin what the store holds, offline

Exit codes:
  0    resolved (with --check: the lock is up to date)
  1    an image failed to resolve (every failing image is listed), or --check found the lock stale [LOCK_STALE]
  2    invalid image set, lock file or option
  4    authentication or authorisation refused by a registry`,
  );
  cmd.action(lazyAction(() => import('./resolve-action.js')));
  return cmd;
}
