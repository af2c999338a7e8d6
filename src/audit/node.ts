/**
 * One node checked against a lock: every image is named in its containerd with the locked
 * digest, and everything the node's platform needs of it (the index, the platform's
 * manifest, its config and layers) is in the content store. What `airlock warm` leaves
 * behind, checked before a deployment relies on it.
 */
import type { LockFile } from '../lock/types.js';
import type { Descriptor } from '../oci/descriptor.js';
import type { Digest } from '../oci/digest.js';
import { parseManifest } from '../oci/manifest.js';
import type { Platform } from '../oci/platform.js';
import type { Location } from '../transport/types.js';
import type { Ctr } from '../warm/ctr.js';
import { containerdName } from '../warm/names.js';
import { selectChild } from '../warm/platform.js';

/** Stable names of what a node can lack. */
export type NodeFindingCode = 'image-missing' | 'image-digest' | 'content-missing' | 'platform-missing';

/** One thing a node lacks. */
export interface NodeFinding {
  key: string;
  /** The image's name in containerd. */
  name: string;
  code: NodeFindingCode;
  message: string;
}

/** What a node audit found. */
export interface NodeAuditResult {
  images: number;
  findings: NodeFinding[];
}

/**
 * Checks the images `keys` of `lock` in the namespace `ctr` talks to, for `platform`, under
 * their containerd names (`names` as airlock warm's --names, else their destinations).
 */
export async function auditNode(ctr: Ctr, lock: LockFile, keys: readonly string[], platform: Platform, names?: Location): Promise<NodeAuditResult> {
  const [images, content] = await Promise.all([ctr.images(), ctr.content()]);
  const findings: NodeFinding[] = [];
  for (const key of keys) {
    const image = lock.images[key]!;
    const top = (image.modify?.result ?? image.filtered_digest ?? image.digest) as Digest;
    const name = containerdName(image, top, names);
    const at = { key, name };
    const named = images.get(name);
    if (named === undefined) {
      findings.push({ ...at, code: 'image-missing', message: `no image ${name} in containerd (airlock warm puts it there)` });
      continue;
    }
    if (named !== top) {
      findings.push({ ...at, code: 'image-digest', message: `${name} is ${named}, the lock pins ${top}` });
      continue;
    }
    const missing: Digest[] = [];
    const need = (d: Descriptor) => {
      if (!content.has(d.digest)) missing.push(d.digest);
      return content.has(d.digest);
    };
    if (!need({ digest: top, mediaType: image.mediaType, size: image.size })) {
      findings.push({ ...at, code: 'content-missing', message: `${name}: its manifest ${top} is not in the content store` });
      continue;
    }
    let m = parseManifest(await ctr.readManifest(top));
    if (m.kind === 'index') {
      let child: Descriptor;
      try {
        child = selectChild(m.manifests, platform, name);
      } catch (err) {
        findings.push({ ...at, code: 'platform-missing', message: (err as Error).message });
        continue;
      }
      if (!need(child)) {
        findings.push({ ...at, code: 'content-missing', message: `${name}: its ${child.platform?.architecture ?? ''} manifest ${child.digest} is not in the content store` });
        continue;
      }
      m = parseManifest(await ctr.readManifest(child.digest));
    }
    if (m.kind === 'image') for (const d of [m.config, ...m.layers]) need(d);
    if (missing.length > 0) findings.push({ ...at, code: 'content-missing', message: `${name}: ${missing.length} blob(s) not in the content store (${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', ...' : ''}); airlock warm sends them` });
  }
  return { images: keys.length, findings };
}
