import { Command } from 'commander';
import { collect } from './common-flags.js';
import { lazyAction } from './lazy.js';

/** `airlock serve`: the store, or a bundle, as a registry. */
export function serveCommand(): Command {
  const cmd = new Command('serve')
    .description(
      'Serve the store (or a bundle, read in place) as an OCI registry: pull (manifests by tag and digest, blobs with Range, tag lists, the catalog) and push into the store (uploads whole or in chunks, mounts, manifests checked for every blob they name), DELETE of tags and manifests (untagging; blobs stay until airlock store prune), /healthz, /readyz and Prometheus /metrics. Repositories are the store\'s full references (registry.example.org/openstack/nova-api); a containerd mirror request\'s ns= parameter is put in front of the path, so nodes pointed at it find images by their upstream names.',
    )
    .option('--store <dir>', 'the store to serve (default $AIRLOCK_STORE or ~/.cache/airlock/store)')
    .option('--bundle <file>', 'serve a bundle (or a split bundle\'s .bundle.json) in place instead')
    .option('--listen <addr:port>', 'where to listen', '127.0.0.1:5000')
    .option('--read-only', 'refuse pushes and deletes (a bundle is always read-only)')
    .option('--no-delete', 'refuse DELETE of manifests and tags (pushes still taken)')
    .option('--htpasswd <file>', 'require HTTP Basic authentication against these users (bcrypt hashes, htpasswd -B); they may pull')
    .option('--push-user <user>', 'with --htpasswd: this user may also push and delete (repeatable)', collect, [])
    .option('--anonymous-pull', 'with --htpasswd: pulling needs no credentials (pushing still does)')
    .option('--token-auth', 'with --htpasswd: Docker\'s token flow: 401 with a Bearer challenge, short-lived tokens from /token scoped to repository and action (Basic credentials still work on the API)')
    .option('--token-secret <file>', 'with --token-auth: sign tokens with this key (at least 32 bytes), so replicas accept each other\'s tokens (default: a random key per start)')
    .option('--tls-cert <file>', 'serve HTTPS with this PEM certificate (chain); with --tls-key')
    .option('--tls-key <file>', 'the PEM private key of --tls-cert')
    .option('--tls-self-signed <dir>', 'serve HTTPS with a CA and certificate made in DIR (reused next time); prints the CA to trust')
    .option('--tls-name <name>', 'with --tls-self-signed: a host name or IP the certificate is for, besides localhost and loopback (repeatable)', collect, [])
    .option('--registry-name <host[/prefix]>', 'a name this registry is known by, as the lock\'s destinations give it (airlock mirror --to HOST/PREFIX): a pull of HOST/PREFIX/ceph/ceph finds the store\'s quay.io/ceph/ceph (repeatable)', collect, [])
    .option('--access-log', 'print one JSON line per request on stdout')
    .addHelpText(
      'after',
      `
Examples:
  airlock serve --listen 0.0.0.0:5000
  airlock serve --bundle /media/usb/images.tar --listen 0.0.0.0:5000
  skopeo inspect --tls-verify=false docker://HOST:5000/registry.example.org/openstack/nova-api:2024.1

Stops on Ctrl-C or SIGTERM: no new connections, requests in flight get 0.8 s to finish, then the rest is cut.`,
    )
    .action(lazyAction(() => import('./serve-action.js')));
  return cmd;
}
