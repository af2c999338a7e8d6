/**
 * The scale benchmark's images: N small images that differ only in their manifest (one
 * shared layer and one shared config; an annotation makes each manifest distinct), spread
 * over up to 200 repositories. Written straight into Distribution's storage under the
 * source repositories `scale/rNNN` and again under the destinations `mirror/scale/rNNN`, so
 * mirroring the lock to the destination is a no-op. Also writes the image set and the plain
 * list naming them.
 */
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeImage } from '../test/helpers/fixtures.js';
import { DistributionStorage } from './distribution-storage.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
/** The image set's push_destination prefix: image `scale/rNNN:T` goes to `mirror/scale/rNNN:T`. */
export const DEST_PREFIX = 'mirror';
const MAX_REPOS = 200;

export interface ScaleImage {
  key: string;
  repo: string;
  tag: string;
  digest: string;
  manifest: Buffer;
}

export interface ScaleSet {
  images: ScaleImage[];
  /** The shared config and layer. */
  blobs: Buffer[];
  repos: string[];
}

function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** The N images, deterministic: the same N always gives the same bytes and digests. */
export function scaleImages(n: number): ScaleSet {
  const base = makeImage({ seed: 'scale-bench/base', layers: [{ seed: 'scale-bench/layer', size: 1024 }] });
  const layer = base.layers[0]!;
  const repoCount = Math.min(MAX_REPOS, n);
  const width = String(n - 1).length;
  const images: ScaleImage[] = [];
  for (let i = 0; i < n; i++) {
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: base.configDesc,
        layers: [layer.desc],
        annotations: { 'airlock.bench/image': String(i) },
      }),
    );
    images.push({
      key: `img_${String(i).padStart(width, '0')}`,
      repo: `scale/r${String(i % repoCount).padStart(3, '0')}`,
      tag: `t${String(i).padStart(width, '0')}`,
      digest: sha256(manifest),
      manifest,
    });
  }
  const repos = Array.from({ length: repoCount }, (_, r) => `scale/r${String(r).padStart(3, '0')}`);
  return { images, blobs: [base.config, layer.bytes!], repos };
}

/** Writes every image into the storage at `rootDirectory`, at its source and its destination. */
export function seedStorage(set: ScaleSet, rootDirectory: string): number {
  const storage = new DistributionStorage(rootDirectory);
  const shared = set.blobs.map((b) => storage.putBlob(b));
  for (const repo of set.repos) {
    for (const d of shared) {
      storage.linkBlob(repo, d);
      storage.linkBlob(`${DEST_PREFIX}/${repo}`, d);
    }
  }
  for (const img of set.images) {
    for (const repo of [img.repo, `${DEST_PREFIX}/${img.repo}`]) {
      const digest = storage.putManifest(repo, img.tag, img.manifest);
      if (digest !== img.digest) throw new Error(`${repo}:${img.tag}: stored ${digest}, expected ${img.digest}`);
    }
  }
  return storage.files;
}

/**
 * `images.yaml` (a `set` rule pointing the `registry` parameter at the local registry, and a
 * push_destination rule) and `images.txt` (one reference per line) in `workDir`.
 */
export async function writeInputs(set: ScaleSet, host: string, workDir: string): Promise<{ imageSet: string; list: string }> {
  const imageSet = join(workDir, 'images.yaml');
  const list = join(workDir, 'images.txt');
  const lines = [
    'version: 1',
    'parameters:',
    '  registry: registry.invalid',
    'images:',
    ...set.images.map((i) => `  ${i.key}: "{registry}/${i.repo}:${i.tag}"`),
    'rules:',
    '  - name: local registry',
    `    set: { registry: "${host}" }`,
    '  - name: mirror',
    `    push_destination: "${host}/${DEST_PREFIX}"`,
    '',
  ];
  await writeFile(imageSet, lines.join('\n'));
  await writeFile(list, set.images.map((i) => `${host}/${i.repo}:${i.tag}\n`).join(''));
  return { imageSet, list };
}
