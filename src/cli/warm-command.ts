import { Command } from 'commander';
import { EXIT_CODES_HELP } from './exit-codes.js';
import { lazyAction } from './lazy.js';

/** `airlock warm BUNDLE|store: --containerd SOCKET`: pre-load a node's containerd. */
export function warmCommand(): Command {
  return new Command('warm')
    .description(
      "Pre-load a node's containerd from a bundle or the store, so pods start with no registry at all: only the blobs the node lacks are sent (verified here and by containerd), for the node's platform only, and the images appear under the names the pods use, with the locked digests. Images the node already has are skipped.",
    )
    .argument('<source>', 'bundle file (airlock bundle create), or store: with --lock')
    .requiredOption('--containerd <socket>', "containerd's gRPC socket (/run/containerd/containerd.sock)")
    .option('--namespace <ns>', 'containerd namespace (the kubelet uses k8s.io)', 'k8s.io')
    .option('--only <key...>', 'only the images with these lock keys')
    .option('--platform <os/arch[/variant]>', "the node's platform: the one image of a multi-arch index that is sent (default: this machine's)")
    .option('--unpack', "unpack the images into the node's snapshotter, as a pull would")
    .option('--snapshotter <name>', 'with --unpack: the snapshotter (default: ctr\'s, overlayfs)')
    .option('--names <registry/prefix>', 'name the images where airlock mirror --to REGISTRY/PREFIX put them (default: the lock destination, else the source reference)')
    .option('--lock <file>', 'the lock saying which images (needed with store:; a bundle carries its own)')
    .option('--store <dir>', 'store directory (default $AIRLOCK_STORE or ~/.cache/airlock/store)')
    .option('--jobs <n>', 'blobs streamed at once', '4')
    .option('--ctr <path>', "containerd's ctr command", 'ctr')
    .option('--dry-run', 'read the node and report what would be sent and named, changing nothing')
    .option('--json', 'print a JSON report: each image, its digest, skipped or warmed, blobs and bytes sent')
    .addHelpText(
      'after',
      `
Examples:
  airlock warm /media/usb/images.tar --containerd /run/containerd/containerd.sock
  airlock warm images.tar --containerd /run/containerd/containerd.sock --unpack --only nova_api
  airlock warm store: --lock images.lock.yaml --containerd /run/containerd/containerd.sock --names registry.local:5000/mirror
${EXIT_CODES_HELP}
  (containerd unreachable or failing: CONTAINERD_FAILED, exit 1)`,
    )
    .action(lazyAction(() => import('./warm-action.js')))
    .exitOverride();
}
