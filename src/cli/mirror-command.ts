import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { AirlockError, ErrorCodes } from '../errors.js';
import { loadImageSet } from '../imageset/load.js';
import { mirrorInputKind } from '../lock/detect.js';
import { planLockMirror } from '../lock/mirror.js';
import { parseLock } from '../lock/read.js';
import { parseList } from '../mirror/list.js';
import { parseMirrorTarget, planMirror, type MirrorPair, type MirrorTarget } from '../mirror/plan.js';
import { parseLocation, type Location } from '../ref/location.js';
import { withImageSetCredentials } from '../resolve/imageset.js';
import { closeTransportContext, createTransportContext, type TransportContext } from '../transport/open.js';
import { addCopyFlags, engineOptions, type CopyFlags } from './common-flags.js';
import { EXIT_CODES_HELP } from './exit-codes.js';
import { positiveInt, registryOptions } from './registry-flags.js';
import { collectSet, parseSetFlags, resolveWithProgress } from './resolve-run.js';
import { runWithOutput } from './run-command.js';

interface MirrorFlags extends CopyFlags {
  to?: string;
  from?: string;
  only?: string;
  keepGoing?: boolean;
  report?: string;
  jobs?: string;
  destCreds?: string;
  set: string[];
}

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
    .option('--only <key|substring>', 'lock or image set: copy only the image with this KEY; list: only references containing SUBSTRING')
    .option('--keep-going', 'after a failed image, finish the rest, then exit non-zero (3)')
    .option('--report <file>', 'write a JSON report: every image, its digest, bytes sent, mounted, skipped, failed')
    .option('--jobs <n>', 'images copied at once', '4')
    .option('--dest-creds <user:password>', 'credentials for the destination registry (with --to REGISTRY)')
    .option('--set <name=value>', 'image set only: set a template parameter before resolving (repeatable)', collectSet, []);
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
${EXIT_CODES_HELP}`,
  );
  cmd.action(async (file: string, flags: MirrorFlags) => {
    const target = flags.to ? parseMirrorTarget(flags.to) : undefined;
    const from = flags.from ? parseLocation(flags.from) : undefined;
    const text = await readInput(file);
    const kind = mirrorInputKind(file, text);
    if (kind === 'list' && !target) throw new AirlockError(ErrorCodes.USAGE, 'a list needs --to REGISTRY[/PREFIX], store: or oci:DIR');
    const creds: [string, string][] = flags.destCreds && target?.kind === 'registry' ? [[target.registry, flags.destCreds]] : [];
    const set = kind === 'imageset' ? await loadImageSet(file) : undefined;
    const registries = registryOptions(flags, creds);
    const ctx = createTransportContext({
      registries: set ? withImageSetCredentials(registries, set) : registries,
      ...(flags.store ? { storeDir: flags.store } : {}),
    });
    let pairs: MirrorPair[];
    try {
      pairs = await plan();
    } catch (err) {
      await closeTransportContext(ctx);
      throw err;
    }
    process.exitCode = await runWithOutput({
      pairs,
      ctx,
      options: { ...engineOptions(flags), jobs: positiveInt('--jobs', flags.jobs, 4) || 1, keepGoing: Boolean(flags.keepGoing) },
      ...(flags.json ? { json: true } : {}),
      ...(flags.report ? { reportFile: flags.report } : {}),
    });
    if (pairs.some((p) => p.destination.kind === 'store') && !flags.json) process.stdout.write(`store: ${ctx.storeDir}\n`);

    async function plan(): Promise<MirrorPair[]> {
      if (kind === 'list') return planList(text, file, target!, from, flags.only);
      const lock = set
        ? await resolveWithProgress(set, {
            pool: ctx.registries,
            overrides: parseSetFlags(flags.set),
            concurrency: 16,
            ...(flags.only !== undefined ? { only: flags.only } : {}),
          })
        : parseLock(text, file);
      return planLockMirror(lock, {
        ...(target ? { to: target } : {}),
        ...(flags.only !== undefined ? { only: flags.only } : {}),
        ...(from ? { from } : {}),
      });
    }
  });
  return cmd;
}

async function readInput(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new AirlockError(ErrorCodes.LIST_INVALID, `cannot read ${file}: ${(err as Error).message}`, { file });
  }
}

function planList(text: string, file: string, target: MirrorTarget, from: Location | undefined, only: string | undefined): MirrorPair[] {
  let entries = parseList(text, file);
  if (only !== undefined) {
    entries = entries.filter((e) => e.text.includes(only));
    if (entries.length === 0) throw new AirlockError(ErrorCodes.USAGE, `--only "${only}" matches no image in ${file}`);
  }
  return planMirror(entries, target, from);
}
