import { Command } from 'commander';
import { IMPORT_FORMATS } from '../imageset/importers/formats.js';
import { collect } from './common-flags.js';
import { EXIT_CODES_HELP } from './exit-codes.js';
import { lazyAction } from './lazy.js';

/** `airlock import FORMAT FILE... [-o images.yaml]`. */
export function importCommand(): Command {
  const cmd = new Command('import')
    .summary("Turn Kubespray vars, an Atmosphere manifest, Kubernetes YAML or TripleO's ContainerImagePrepare into an image set.")
    .description(
      'Turn what a deployment tool already lists into an image set (images.yaml).\n' +
        "  kubespray   Kubespray's defaults (download.yml): every container of its downloads:\n" +
        '              table and the kubeadm images, evaluated with Ansible when installed;\n' +
        '              plain vars files: foo_image_repo, foo_image_tag, foo_digest_checksum;\n' +
        '              later files override earlier ones, --inventory and --set override them\n' +
        "  atmosphere  Atmosphere's role vars (roles/defaults/vars/main.yml): _atmosphere_images\n" +
        '              with atmosphere_image_overrides on top, templates evaluated (the role\n' +
        "              defaults beside it are read too); an overrides file; a rendered map\n" +
        '  kubernetes  helm template / kubectl get -o yaml output: container images\n' +
        "  tripleo     ContainerImagePrepare (Heat environment files) with TripleO's\n" +
        '              image list (--images); entries become TripleO-style rules',
    )
    .argument('<format>', IMPORT_FORMATS.join(' | '))
    .argument('<files...>', 'files to read')
    .option('-o, --output <file>', 'write the image set here instead of to stdout')
    .option(
      '--inventory <dir>',
      "kubespray, atmosphere: the cluster's inventory; its group_vars count (kubespray: which downloads are enabled; with Ansible, all of it counts)",
    )
    .option('--set <name=value>', 'kubespray, atmosphere: a variable over every file and the inventory (repeatable)', collect, [])
    .option('--ansible <mode>', 'kubespray, atmosphere: evaluate with Ansible: auto (when ansible-playbook is installed), always, never', 'auto')
    .option('--as-deployed', "kubespray: keep the inventory's registry overrides (offline.yml) as the images' sources")
    .option(
      '--images <file>',
      "tripleo: TripleO's image list, tripleo_containers.yaml.j2 (the tripleo-common package installs it in /usr/share/tripleo-common/container-images/)",
    )
    .option(
      '--push-destination <host[:port][/prefix]>',
      'tripleo: the registry push_destination: true stands for (default: LocalContainerRegistry:8787 when an environment file sets it); atmosphere, kubespray: a rule pushing every image there (airlock mirror then needs no --to)',
    );
  cmd.addHelpText(
    'after',
    `
Examples:
  airlock import kubespray roles/kubespray_defaults/defaults/main/*.yml --inventory inventory/mycluster -o images.yaml
  airlock import kubespray roles/kubespray_defaults/defaults/main/download.yml --ansible never --set kube_network_plugin=cilium
  airlock import atmosphere roles/defaults/vars/main.yml -o images.yaml
  airlock import atmosphere roles/defaults/vars/main.yml --inventory inventory/ --set atmosphere_release=2025.1 -o images.yaml
  helm template ./chart > rendered.yaml && airlock import kubernetes rendered.yaml
  airlock import tripleo containers-prepare-parameter.yaml --images /usr/share/tripleo-common/container-images/tripleo_containers.yaml.j2 \\
    --push-destination 192.168.24.1:8787 -o images.yaml
${EXIT_CODES_HELP}`,
  );
  cmd.action(lazyAction(() => import('./import-action.js')));
  return cmd;
}
