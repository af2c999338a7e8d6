import { Command } from 'commander';
import { addRegistryFlags } from './registry-flags.js';
import { lazyAction } from './lazy.js';

/** `airlock inventory`: what the air-gapped side holds, for differential bundles. */
export function inventoryCommand(): Command {
  const cmd = new Command('inventory')
    .description(
      'List what the air-gapped side already holds (every manifest and blob digest, with its size and, on a registry, a repository holding it) into have.json. Carry it to the connected side: bundle create --have have.json leaves those blobs out.',
    )
    .option('--registry <host[/prefix]>', 'a registry, or only its repositories under PREFIX')
    .option('--store [dir]', 'the store (default $AIRLOCK_STORE or ~/.cache/airlock/store)')
    .option('--oci <dir>', 'an OCI layout directory')
    .option('--bundle <file>', 'a bundle (or a split bundle\'s .bundle.json) already carried across')
    .requiredOption('-o, --output <have.json>', 'the inventory to write')
    .option('--json', 'print the summary as JSON');
  addRegistryFlags(cmd);
  cmd.addHelpText(
    'after',
    `
Examples:
  airlock inventory --registry registry.local:5000/mirror -o have.json   # air-gapped side
  airlock bundle create images.lock.yaml --have have.json -o update.tar   # connected side
  airlock bundle import update.tar --to registry.local:5000/mirror        # air-gapped side

Exit codes: 0 written; 1 the listing failed; 2 bad options; 4 registry authentication refused.`,
  );
  cmd.action(lazyAction(() => import('./inventory-action.js')));
  return cmd;
}
