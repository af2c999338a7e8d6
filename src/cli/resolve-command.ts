import { Command } from 'commander';
import { AirlockError, ErrorCodes } from '../errors.js';
import { loadImageSet } from '../imageset/load.js';
import { checkLock, staleMessage } from '../lock/check.js';
import { formatLockDiff } from '../lock/diff.js';
import { formatLock, writeLock } from '../lock/write.js';
import { withImageSetCredentials } from '../resolve/imageset.js';
import { DEFAULT_RESOLVE_CONCURRENCY } from '../resolve/resolver.js';
import { parseNamespace } from '../transport/location.js';
import { contextOf } from './common-flags.js';
import { addRegistryFlags, positiveInt, registryOptions, type RegistryFlags } from './registry-flags.js';
import { collectSet, parseSetFlags, resolveWithProgress } from './resolve-run.js';

interface ResolveFlags extends RegistryFlags {
  output?: string;
  from?: string;
  store?: string;
  set: string[];
  jobs?: string;
  check?: boolean;
}

/** `airlock resolve IMAGES.yaml -o IMAGES.lock.yaml`. */
export function resolveCommand(): Command {
  const cmd = new Command('resolve')
    .description('Pin every image of an image set by digest and write the lock file (re-resolving an unchanged set gives the same bytes).')
    .argument('<imageset>', 'image set file (images.yaml)')
    .option('-o, --output <file>', 'write the lock here (default: print it)')
    .option('--set <name=value>', 'set a template parameter over the file and every rule (repeatable; true/false switch images)', collectSet, [])
    .option('--jobs <n>', 'images resolved at once', String(DEFAULT_RESOLVE_CONCURRENCY))
    .option('--from <location>', 'pin from what is already here, with no network: store: (the local store) or oci:DIR')
    .option('--store <dir>', 'store directory for --from store: (default $AIRLOCK_STORE or ~/.cache/airlock/store)')
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
  cmd.action(async (file: string, flags: ResolveFlags) => {
    if (flags.check && !flags.output) throw new AirlockError(ErrorCodes.USAGE, '--check compares with the lock named by --output');
    const from = flags.from ? parseNamespace(flags.from) : undefined;
    const set = await loadImageSet(file);
    const overrides = parseSetFlags(flags.set);
    const ctx = contextOf(flags, withImageSetCredentials(registryOptions(flags), set));
    let lock;
    try {
      lock = await resolveWithProgress(set, {
        ctx,
        overrides,
        concurrency: positiveInt('--jobs', flags.jobs, DEFAULT_RESOLVE_CONCURRENCY) || 1,
        ...(from ? { from } : {}),
      });
    } finally {
      await ctx.close();
    }
    if (flags.check) {
      const result = await checkLock(flags.output!, lock);
      if (result.upToDate) {
        process.stderr.write(`${flags.output} is up to date\n`);
        return;
      }
      process.stdout.write(formatLockDiff(result.diff));
      throw new AirlockError(ErrorCodes.LOCK_STALE, staleMessage(flags.output!, result, `airlock resolve ${file} -o ${flags.output}`), {
        file: flags.output,
      });
    }
    if (flags.output) {
      await writeLock(flags.output, lock);
      process.stderr.write(`wrote ${flags.output}\n`);
    } else {
      process.stdout.write(formatLock(lock));
    }
  });
  return cmd;
}
