import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { AirlockError } from '../errors.js';
import type { ImportedFrom } from '../imageset/types.js';
import type { LockedImage, LockFile } from '../lock/types.js';
import type { Digest } from '../oci/digest.js';
import { render } from './index.js';

const hex = (s: string) => createHash('sha256').update(s).digest('hex');
const MIRROR = 'reg.local:5000/mirror';

/** A locked image imported from a Kubespray download, mirrored under MIRROR (its path kept). */
function imported(source: string, from: Omit<ImportedFrom, 'tool' | 'file'>, extra: Partial<LockedImage> = {}): LockedImage {
  const digest = `sha256:${hex(source)}` as Digest;
  const at = source.indexOf('/');
  return {
    source: `${source}@${digest}`,
    tag: source.slice(source.lastIndexOf(':') + 1),
    digest,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    size: 100,
    destination: `${MIRROR}/${source.slice(at + 1)}`,
    origin: { template: source, imported: { tool: 'kubespray', file: 'roles/kubespray_defaults/defaults/main/download.yml', ...from } },
    ...extra,
  };
}

const kubeadm = (name: string) => imported(`registry.k8s.io/${name}:v1.30.4`, { name, expression: `{{ kube_image_repo }}/${name}:{{ kube_version }}` });

function varsOf(lock: LockFile, unpinned = false): Record<string, string> {
  const out = render(lock, 'kubespray', { unpinned });
  if (out.kind !== 'file') throw new Error('expected one file');
  return parseYaml(out.content) as Record<string, string>;
}

function renderError(lock: LockFile): AirlockError {
  try {
    render(lock, 'kubespray');
  } catch (err) {
    if (err instanceof AirlockError) return err;
    throw err;
  }
  throw new Error('expected RENDER_UNSUPPORTED');
}

describe('kubespray: images imported from Kubespray', () => {
  const lock: LockFile = {
    version: 1,
    images: {
      cilium_operator: imported('quay.io/cilium/operator-generic:v1.15.4', {
        name: 'cilium_operator',
        expression: '{{ cilium_operator_image_repo }}-generic:{{ cilium_operator_image_tag }}',
        parameters: ['cilium_operator_digest_checksum'],
      }),
      metallb_speaker: imported('quay.io/metallb/speaker:v0.13.9', { name: 'metallb_speaker', expression: '{{ metallb_speaker_image_repo }}:{{ metallb_image_tag }}' }),
      metallb_controller: imported('quay.io/metallb/controller:v0.13.9', { name: 'metallb_controller', expression: '{{ metallb_controller_image_repo }}:{{ metallb_image_tag }}' }),
      kube_apiserver: kubeadm('kube-apiserver'),
      kube_proxy: kubeadm('kube-proxy'),
    },
  };

  it("writes the variables Kubespray's own expressions read, so they give the mirrored references", () => {
    expect(varsOf(lock)).toEqual({
      cilium_operator_digest_checksum: hex('quay.io/cilium/operator-generic:v1.15.4'),
      // Kubespray appends -generic itself.
      cilium_operator_image_repo: `${MIRROR}/cilium/operator`,
      cilium_operator_image_tag: 'v1.15.4',
      // Shared by both kubeadm images, written once.
      kube_image_repo: MIRROR,
      kube_version: 'v1.30.4',
      metallb_controller_image_repo: `${MIRROR}/metallb/controller`,
      // Shared by speaker and controller, written once.
      metallb_image_tag: 'v0.13.9',
      metallb_speaker_image_repo: `${MIRROR}/metallb/speaker`,
    });
  });

  it('leaves checksums empty when unpinned', () => {
    expect(varsOf(lock, true).cilium_operator_digest_checksum).toBe('');
  });

  it('solves through filters that no longer matter once the variable is set', () => {
    const l: LockFile = {
      version: 1,
      images: { app: imported('quay.io/org/app:v1', { name: 'app', expression: "{{ app_repo | default('quay.io/org/app') }}:{{ app_tag | string }}" }) },
    };
    expect(varsOf(l)).toEqual({ app_repo: `${MIRROR}/org/app`, app_tag: 'v1' });
  });

  it('refuses images that need different values for one shared variable, naming every such variable', () => {
    const clash: LockFile = {
      version: 1,
      images: {
        ...lock.images,
        kube_proxy: { ...kubeadm('kube-proxy'), destination: 'other.local/k8s/kube-proxy:v1.30.4' },
        metallb_controller: imported('quay.io/metallb/controller:v0.14.0', { name: 'metallb_controller', expression: '{{ metallb_controller_image_repo }}:{{ metallb_image_tag }}' }),
      },
    };
    const err = renderError(clash);
    expect(err.code).toBe('RENDER_UNSUPPORTED');
    expect(err.details.variables).toEqual(['kube_image_repo', 'metallb_image_tag']);
    expect(err.message).toContain(`kube_image_repo: "${MIRROR}" (kube_apiserver) vs "other.local/k8s" (kube_proxy)`);
  });

  it('refuses a destination that the expression cannot give', () => {
    const l: LockFile = {
      version: 1,
      images: {
        cilium_operator: {
          ...lock.images.cilium_operator!,
          destination: `${MIRROR}/cilium/operator:v1.15.4`,
        },
      },
    };
    const err = renderError(l);
    expect(err.code).toBe('RENDER_UNSUPPORTED');
    expect(err.message).toContain('cannot come out of');
  });

  it('writes the usual three variables for images of other origins, beside the imported ones', () => {
    const digest = `sha256:${hex('x')}` as Digest;
    const mixed: LockFile = {
      version: 1,
      images: {
        ...lock.images,
        extra: { source: `quay.io/a/extra:1@${digest}`, tag: '1', digest, mediaType: 'm', size: 1, origin: { template: 'quay.io/a/extra:1' } },
      },
    };
    const v = varsOf(mixed);
    expect(v).toMatchObject({ extra_image_repo: 'quay.io/a/extra', extra_image_tag: '1', extra_digest_checksum: hex('x'), kube_image_repo: MIRROR });
  });
});
