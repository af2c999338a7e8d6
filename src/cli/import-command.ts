import { Command } from 'commander';
import { IMPORT_FORMATS } from '../imageset/importers/formats.js';
import { EXIT_CODES_HELP } from './exit-codes.js';
import { lazyAction } from './lazy.js';

/** `airlock import FORMAT FILE... [-o images.yaml]`. */
export function importCommand(): Command {
  const cmd = new Command('import')
    .summary('Turn Kubespray vars, an Atmosphere manifest or Kubernetes YAML into an image set.')
    .description(
      'Turn what a deployment tool already lists into an image set (images.yaml).\n' +
        '  kubespray   vars files: foo_image_repo, foo_image_tag, foo_digest_checksum;\n' +
        '              {{ var }} resolved, later files override earlier ones\n' +
        '  atmosphere  a map of image key to reference (bare or atmosphere_images:)\n' +
        '  kubernetes  helm template / kubectl get -o yaml output: container images',
    )
    .argument('<format>', IMPORT_FORMATS.join(' | '))
    .argument('<files...>', 'files to read')
    .option('-o, --output <file>', 'write the image set here instead of to stdout');
  cmd.addHelpText(
    'after',
    `
Examples:
  airlock import kubespray roles/kubespray-defaults/defaults/main/download.yml inventory/group_vars/all/offline.yml -o images.yaml
  airlock import atmosphere roles/defaults/vars/main.yml -o images.yaml
  helm template ./chart > rendered.yaml && airlock import kubernetes rendered.yaml
${EXIT_CODES_HELP}`,
  );
  cmd.action(lazyAction(() => import('./import-action.js')));
  return cmd;
}
