import { Command } from 'commander';
import { addRegistryFlags } from './registry-flags.js';
import { lazyAction } from './lazy.js';

/** `airlock verify LOCK --key FILE`. */
export function verifyCommand(): Command {
  const cmd = new Command('verify')
    .description(
      "Check that every image of a lock is signed with KEY, in either form cosign writes: the sha256-<digest>.sig tag beside the image (simple-signing payloads naming the image's digest), or a sigstore bundle among its OCI referrers (a DSSE statement naming the image). Checked offline with the key alone. Read where the images are: each image's destination (its source when it has none), or under --from. Exits 1 with SIGNATURE_MISSING or SIGNATURE_INVALID naming the images when any is not signed.",
    )
    .argument('<lock>', 'the lock file (images.lock.yaml)')
    .requiredOption('--key <file>', 'the PEM public key (cosign.pub: ECDSA P-256, RSA or Ed25519)')
    .option('--from <location>', 'read the images under REGISTRY[/PREFIX], store: or oci:DIR instead')
    .option('--only <key>', 'check only the image with this key')
    .option('--json', 'print one JSON object per image on stdout')
    .option('--store <dir>', 'store directory (default $AIRLOCK_STORE or ~/.cache/airlock/store)');
  addRegistryFlags(cmd);
  cmd.addHelpText(
    'after',
    `
Examples:
  airlock verify images.lock.yaml --key cosign.pub                        # at each destination, on the air-gapped side
  airlock verify images.lock.yaml --key cosign.pub --from registry.local:5000/mirror
Exit codes: 0 every image signed, 1 an image unsigned or badly signed, 2 bad input (lock, key).`,
  );
  cmd.action(lazyAction(() => import('./verify-action.js')));
  return cmd;
}
