/**
 * Generated inputs for the import benchmark: Atmosphere's role (defaults and vars with
 * `_atmosphere_images` templates on `atmosphere_image_prefix`, `atmosphere_release` and
 * `atmosphere_kubernetes_version`) and Kubespray's defaults (a `downloads:` table whose
 * entries read `*_image_repo` / `*_image_tag` variables, some with a suffix, some switched
 * off), each of N images, with the references both must give.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The files written and what an import must give: image name -> reference. */
export interface ImportInputs {
  files: string[];
  /** The directory Ansible's play uses as its roles path (the role is `defaults` or `kubespray_defaults`). */
  rolesDir: string;
  expected: Map<string, string>;
}

const RELEASE = '2025.1';
const K8S = '1.30.6';
const registries = ['quay.io', 'registry.k8s.io', 'docker.io', 'ghcr.io', 'registry.atmosphere.dev'];

/** Atmosphere's role with `n` images: a third on the release tag, a tenth on the Kubernetes version. */
export async function atmosphereRole(dir: string, n: number): Promise<ImportInputs> {
  const role = join(dir, 'roles', 'defaults');
  await mkdir(join(role, 'defaults'), { recursive: true });
  await mkdir(join(role, 'vars'), { recursive: true });
  const defaults = ['atmosphere_version: 6.10.0', 'atmosphere_image_prefix: ""', `atmosphere_kubernetes_version: "${K8S}"`, 'atmosphere_image_overrides: {}', ''];
  const vars = [`atmosphere_release: "${RELEASE}"`, '', '_atmosphere_images:'];
  const expected = new Map<string, string>();
  for (let i = 0; i < n; i++) {
    const name = `service_${i}_api`;
    const repo = `${registries[i % registries.length]}/project-${i % 97}/image-${i}`;
    const [tagText, tag] = i % 10 === 0 ? ['v{{ atmosphere_kubernetes_version }}', `v${K8S}`] : i % 3 === 0 ? ['{{ atmosphere_release }}', RELEASE] : [`1.${i % 50}.${i % 7}`, `1.${i % 50}.${i % 7}`];
    vars.push(`  ${name}: "{{ atmosphere_image_prefix }}${repo}:${tagText}"`);
    expected.set(name, `${repo}:${tag}`);
  }
  vars.push('', "atmosphere_images: '{{ _atmosphere_images | combine(atmosphere_image_overrides, recursive=True) }}'", '');
  const files = [join(role, 'defaults', 'main.yml'), join(role, 'vars', 'main.yml')];
  await writeFile(files[0]!, defaults.join('\n'));
  await writeFile(files[1]!, vars.join('\n'));
  return { files: [files[1]!], rolesDir: join(dir, 'roles'), expected };
}

/** Kubespray's defaults with `n` container downloads: every fifth with `-generic` appended, every seventh switched off. */
export async function kubesprayDefaults(dir: string, n: number): Promise<ImportInputs> {
  const main = join(dir, 'roles', 'kubespray_defaults', 'defaults', 'main');
  await mkdir(main, { recursive: true });
  const vars = ['kube_version: v1.30.4', 'kube_image_repo: registry.k8s.io', 'quay_image_repo: quay.io', 'addon_enabled: false', ''];
  const downloads = ['downloads:'];
  const expected = new Map<string, string>();
  for (let i = 0; i < n; i++) {
    const name = `addon_${i}`;
    vars.push(`${name}_image_repo: "{{ quay_image_repo }}/org-${i % 89}/addon-${i}"`, `${name}_image_tag: "v1.${i % 40}.${i % 9}"`);
    const suffix = i % 5 === 0 ? '-generic' : '';
    const off = i % 7 === 0;
    downloads.push(
      `  ${name}:`,
      `    enabled: ${off ? '"{{ addon_enabled }}"' : 'true'}`,
      '    container: true',
      `    repo: "{{ ${name}_image_repo }}${suffix}"`,
      `    tag: "{{ ${name}_image_tag }}"`,
      '    groups:',
      '      - k8s_cluster',
    );
    if (!off) expected.set(name, `quay.io/org-${i % 89}/addon-${i}${suffix}:v1.${i % 40}.${i % 9}`);
  }
  const file = join(main, 'download.yml');
  await writeFile(file, [...vars, '', ...downloads, ''].join('\n'));
  return { files: [file], rolesDir: join(dir, 'roles'), expected };
}
