import { Command, Option } from 'commander';
import type { OperationKind } from '../modify/operations.js';
import { addCopyFlags } from './common-flags.js';
import { EXIT_CODES_HELP } from './exit-codes.js';
import { lazyAction } from './lazy.js';

/** The modification flags, in the order an operator writes them (the order they apply in). */
const OPERATION_FLAGS: [OperationKind, string, string][] = [
  ['append', '--append <path[:dest]>', 'a directory, a tar (.tar, .tar.gz, .tgz) or a file becomes one new layer under DEST (default /)'],
  ['remove', '--remove <path>', 'remove PATH from the image (a whiteout layer; consecutive removals share one)'],
  ['label', '--label <key=value>', 'set a label'],
  ['env', '--env <key=value>', 'set an environment variable'],
  ['user', '--user <user>', 'set the user'],
  ['workdir', '--workdir <dir>', 'set the working directory'],
  ['entrypoint', '--entrypoint <cmd>', 'set the entrypoint: a JSON array, or a shell line (/bin/sh -c)'],
  ['cmd', '--cmd <cmd>', 'set the command: a JSON array, or a shell line (/bin/sh -c)'],
  ['rpms', '--rpms <dir>', 'install every *.rpm in DIR as root with the image\'s own package manager (dnf, yum, else rpm), through buildah; the packages are not left in the image'],
  ['run', '--run <cmd>', 'run a command inside the image through buildah (root, vfs, chroot isolation); what it changes becomes one new layer: a JSON array, or a shell line (/bin/sh -c)'],
  ['update', '--update <repos-dir>', 'update every package with the image\'s own dnf (else yum) as root, through buildah, the *.repo files of REPOS-DIR mounted read-only at /etc/yum.repos.d (TripleO\'s yum_update.yml); the repo files are not left in the image and the user stays as it was'],
  ['containerfile', '--containerfile <dir>', 'build DIR\'s Containerfile (or Dockerfile) over the image with buildah bud, its last FROM replaced by the image, DIR as the context, nothing pulled (TripleO\'s modify_image.yml); its new layers and the config fields it changes (ENV, LABEL, USER, WORKDIR, CMD, ENTRYPOINT, ...) are kept'],
];

/** `airlock modify SRC DST`. */
export function modifyCommand(): Command {
  // Every operation flag appends to one list, so they apply in the order given.
  const operations: { kind: OperationKind; value: string }[] = [];
  const cmd = new Command('modify')
    .description(
      'Copy the image SRC to DST with modifications, in the order given: files appended as new layers, paths removed, config fields set (no container runtime needed), commands run, RPMs installed, packages updated and a Containerfile built inside the image (--run, --rpms, --update, --containerfile: through buildah, which must be on PATH). Layers are deterministic (sorted entries, owner 0:0, time 0, fixed gzip), so the same base and inputs give the same digest: the result digest is known before anything is written, and a destination already holding it is left alone. Unchanged blobs go through the copy engine as for any copy (mounted or skipped, never re-sent). A multi-arch image is modified platform by platform under a new index.',
    )
    .argument('<src>', 'the base image: docker://REF (or a bare REF), oci:DIR[:NAME], oci-archive:FILE[:NAME], store:REF')
    .argument('<dst>', 'where the modified image goes; without a tag, the source tag plus --tag-suffix');
  for (const [kind, flags, help] of OPERATION_FLAGS) {
    cmd.addOption(new Option(flags, `${help} (repeatable)`).argParser((value: string) => (operations.push({ kind, value }), operations)));
  }
  cmd
    .option('--tag-suffix <suffix>', 'when DST names no tag: the source tag plus this (-hotfix gives 2024.1-hotfix)')
    .option('--src-creds <user:password>', 'credentials for the source registry')
    .option('--dest-creds <user:password>', 'credentials for the destination registry')
    .option('--report <file>', 'write a JSON report of the copy');
  addCopyFlags(cmd);
  cmd.hook('preAction', (c) => void c.setOptionValue('operations', operations));
  cmd.addHelpText(
    'after',
    `
Examples:
  airlock modify registry.local:5000/openstack/nova-api:2024.1 registry.local:5000/openstack/nova-api --tag-suffix -hotfix \\
      --append ./patch/nova:/usr/lib/python3/site-packages/nova --label hotfix=LP2071234
  airlock modify store:quay.io/ceph/ceph:v18 docker://registry.local:5000/ceph/ceph:v18-debug --remove /etc/motd --env DEBUG=1
  airlock modify registry.local:5000/openstack/nova-compute:2024.1 registry.local:5000/openstack/nova-compute --tag-suffix -updated \\
      --update ./yum.repos.d
  airlock modify registry.local:5000/openstack/nova-api:2024.1 registry.local:5000/openstack/nova-api --tag-suffix -custom \\
      --containerfile ./nova-custom      # ./nova-custom/Containerfile: FROM anything (replaced), RUN ..., USER nova
${EXIT_CODES_HELP}`,
  );
  cmd.action(lazyAction(() => import('./modify-action.js')));
  return cmd;
}
