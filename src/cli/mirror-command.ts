import { Command } from 'commander';
import { AirlockError, ErrorCodes } from '../errors.js';
import { readList } from '../mirror/list.js';
import { parseMirrorTarget, planMirror } from '../mirror/plan.js';
import { parseLocation } from '../ref/location.js';
import { addCopyFlags, contextOf, engineOptions, type CopyFlags } from './common-flags.js';
import { EXIT_CODES_HELP } from './exit-codes.js';
import { positiveInt } from './registry-flags.js';
import { runWithOutput } from './run-command.js';

interface MirrorFlags extends CopyFlags {
  to: string;
  from?: string;
  only?: string;
  keepGoing?: boolean;
  report?: string;
  jobs?: string;
  destCreds?: string;
}

/** `airlock mirror LIST --to REGISTRY[/PREFIX]`. */
export function mirrorCommand(): Command {
  const cmd = new Command('mirror')
    .description(
      'Copy every image named in LIST (one reference per line, # comments) to a registry, keeping each\n' +
        'image\'s path under it: quay.io/ceph/ceph:v18 --to reg:5000/mirror -> reg:5000/mirror/ceph/ceph:v18.\n' +
        'Images shared layers are sent once and mounted everywhere else; images already in place cost one HEAD each.',
    )
    .argument('<list>', 'text file of image references')
    .requiredOption('--to <dest>', 'REGISTRY[/PREFIX], store: (the local store) or oci:DIR')
    .option('--from <location>', 'read the images from oci:DIR or store: (by full reference) instead of their registries')
    .option('--only <substring>', 'copy only the images whose reference contains SUBSTRING')
    .option('--keep-going', 'after a failed image, finish the rest, then exit non-zero (3)')
    .option('--report <file>', 'write a JSON report: every image, its digest, bytes sent, mounted, skipped, failed')
    .option('--jobs <n>', 'images copied at once', '4')
    .option('--dest-creds <user:password>', 'credentials for the destination registry');
  addCopyFlags(cmd);
  cmd.addHelpText(
    'after',
    `
Examples:
  airlock mirror images.txt --to registry.local:5000
  airlock mirror images.txt --to registry.local:5000/mirror --only ceph --report report.json
  airlock mirror images.txt --from oci:./bundle --to store:
${EXIT_CODES_HELP}`,
  );
  cmd.action(async (listFile: string, flags: MirrorFlags) => {
    const target = parseMirrorTarget(flags.to);
    const from = flags.from ? parseLocation(flags.from) : undefined;
    let entries = await readList(listFile);
    if (flags.only) {
      const only = flags.only;
      entries = entries.filter((e) => e.text.includes(only));
      if (entries.length === 0) {
        throw new AirlockError(ErrorCodes.USAGE, `--only "${only}" matches no image in ${listFile}`);
      }
    }
    const creds: [string, string][] = flags.destCreds && target.kind === 'registry' ? [[target.registry, flags.destCreds]] : [];
    const ctx = contextOf(flags, creds);
    process.exitCode = await runWithOutput({
      pairs: planMirror(entries, target, from),
      ctx,
      options: { ...engineOptions(flags), jobs: positiveInt('--jobs', flags.jobs, 4) || 1, keepGoing: Boolean(flags.keepGoing) },
      ...(flags.json ? { json: true } : {}),
      ...(flags.report ? { reportFile: flags.report } : {}),
    });
    if (target.kind === 'store' && !flags.json) process.stdout.write(`store: ${ctx.storeDir}\n`);
  });
  return cmd;
}
