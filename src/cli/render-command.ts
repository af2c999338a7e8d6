import { Command } from 'commander';
import { RENDER_FORMATS } from '../render/formats.js';
import { lazyAction } from './lazy.js';

/** `airlock render LOCK --format F [-o FILE_OR_DIR]`. */
export function renderCommand(): Command {
  const cmd = new Command('render')
    .description('Write what a deployment tool needs from a lock file: image variables, pinned references, or runtime mirror configuration.')
    .argument('<lock>', 'lock file (images.lock.yaml)')
    .requiredOption('--format <format>', `output format: ${RENDER_FORMATS.join(', ')}`)
    .option('-o, --output <path>', 'write to FILE (a directory for containerd) instead of standard output')
    .option('--unpinned', 'reference images by tag instead of digest')
    .option('--mirror <[http://]host[:port][/prefix]>', 'containerd: the local mirror (default: the destination registry of the lock)')
    .option('--skip-verify', 'containerd: do not verify the mirror\'s TLS certificate')
    .option('--ca <file>', 'containerd: CA certificate of the mirror, as a path on the nodes');
  cmd.addHelpText(
    'after',
    `
Formats:
  atmosphere   atmosphere_image_overrides: Atmosphere's image name -> reference (destination
               when the image has one); --unpinned: atmosphere_image_prefix alone when that
               is all a registry move needs
  kubespray    images imported from Kubespray's downloads: the variables Kubespray builds
               them from (repo, tag, checksum), solved for the mirrored reference; others:
               <key>_image_repo, <key>_image_tag, <key>_digest_checksum
  tripleo      parameter_defaults: every Heat parameter an imported image carries
               (ContainerHAProxyImage, ContainerHAProxyConfigImage); others Container<Key>Image
  helm         <key>: {image: {registry, repository, tag, digest}}
  list         one registry/repo:tag@digest per line, sorted by key
  containerd   certs.d/<registry>/hosts.toml for containerd and registries.conf for CRI-O/podman

Examples:
  airlock render images.lock.yaml --format kubespray -o inventory/mycluster/group_vars/all/zz-airlock-images.yml
  airlock render images.lock.yaml --format atmosphere -o inventory/group_vars/all/zz-airlock-images.yml
  airlock render images.lock.yaml --format list --unpinned
  airlock render images.lock.yaml --format containerd --mirror registry.local:5000 --ca /etc/pki/mirror-ca.pem -o out/`,
  );
  cmd.action(lazyAction(() => import('./render-action.js')));
  return cmd;
}
