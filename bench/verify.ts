/**
 * Checks, outside the timed part, that a tool did the whole job: every tag resolves to the
 * source's manifest digest, and a sample of images is re-downloaded and verified blob by
 * blob with the harness's independent validator.
 */
import { validateRegistryImage } from '../test/helpers/validate.js';
import type { DatasetImage } from './dataset.js';

const ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

/** Problems found with every tag of `images` under `url/v2/[prefix/]...`; empty when all are in place. */
export async function checkTags(url: string, prefix: string, images: DatasetImage[]): Promise<string[]> {
  const problems: string[] = [];
  for (const i of images) {
    const repo = prefix ? `${prefix}/${i.repo}` : i.repo;
    const res = await fetch(`${url}/v2/${repo}/manifests/${i.tag}`, { method: 'HEAD', headers: { accept: ACCEPT } });
    const got = res.headers.get('docker-content-digest');
    if (res.status !== 200) problems.push(`${repo}:${i.tag}: HTTP ${res.status}`);
    else if (got !== i.digest) problems.push(`${repo}:${i.tag}: digest ${got}, source has ${i.digest}`);
  }
  return problems;
}

/**
 * A deterministic sample that covers the kinds of image in the set: the first multi-arch
 * image, the first Docker-format one, the largest, then `extra` more rotating with `round`.
 */
export function sampleOf(images: DatasetImage[], round: number, extra = 2): DatasetImage[] {
  const picked = new Set<DatasetImage>();
  const multi = images.find((i) => i.multiArch);
  const docker = images.find((i) => i.format === 'docker');
  const size = (i: DatasetImage) =>
    (i.fixture.kind === 'index' ? i.fixture.images : [i.fixture]).reduce((n, m) => n + m.layers.reduce((s, l) => s + l.desc.size, 0), 0);
  const largest = [...images].sort((a, b) => size(b) - size(a))[0];
  for (const i of [multi, docker, largest]) if (i) picked.add(i);
  for (let k = 0; k < extra && images.length > 0; k++) picked.add(images[(round * 7 + k * 13) % images.length]!);
  return [...picked];
}

/** Re-downloads and verifies each sampled image (digests, sizes, media types, platforms). */
export async function validateSample(url: string, prefix: string, sample: DatasetImage[]): Promise<string[]> {
  const problems: string[] = [];
  for (const i of sample) {
    try {
      await validateRegistryImage({ url, repository: `${prefix}/${i.repo}`, reference: i.tag, expectDigest: i.digest });
    } catch (err) {
      problems.push(`${prefix}/${i.repo}:${i.tag}: ${(err as Error).message}`);
    }
  }
  return problems;
}
