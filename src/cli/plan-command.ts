import { Command } from 'commander';
import { collect } from './common-flags.js';
import { lazyAction } from './lazy.js';

/** `airlock plan IMAGESET [--set k=v] [--json]`. */
export function planCommand(): Command {
  return new Command('plan')
    .description('Print every image an image set names, after its rules and switches, without asking any registry.')
    .argument('<imageset>', 'image set file (images.yaml)')
    .option('--set <name=value>', 'set a template parameter over the file and every rule (repeatable; true/false switch images)', collect, [])
    .option('--json', 'print a JSON array instead of one line per image')
    .addHelpText(
      'after',
      `
Each line: KEY  SOURCE -> DESTINATION  [rules that applied; tag from label; platforms; imported from FILE:LINE (NAME)]
Check an import with it before resolving: nothing leaves the machine.

Examples:
  airlock plan images.yaml
  airlock plan images.yaml --set ceph_images=false --json

Exit codes:
  0    planned
  2    invalid image set, template or option`,
    )
    .action(lazyAction(() => import('./plan-action.js')));
}
