/**
 * The resolve benchmark's images: generated deterministically into an OCI layout, pushed to
 * the registry with skopeo (never with airlock, whose resolve is under test), each under a
 * floating tag and the versioned tag its labels name. Returns what every image must resolve to.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { makeImage, writeOciLayout } from '../test/helpers/fixtures.js';
import type { Sandbox } from './measure.js';
import type { BenchRegistry } from './registry.js';
import { skopeoCopyAll, skopeoRawDigest, spread, type CopyLine } from './skopeo-cli.js';

/** One seeded image: its key in the image set, where it lives, and the digest both tags point to. */
export interface SeededImage {
  key: string;
  repo: string;
  /** The floating tag the image set names. */
  tag: string;
  /** The tag its labels name: `{version}-{release}`. */
  versionedTag: string;
  /** sha256 of the generated manifest bytes. */
  digest: string;
}

/** Manifest digest of `repo:tag` as the registry itself answers a HEAD (no client library involved). */
export async function headDigest(url: string, repo: string, tag: string): Promise<string | null> {
  const res = await fetch(`${url}/v2/${repo}/manifests/${tag}`, {
    method: 'HEAD',
    headers: { accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json' },
  });
  return res.status === 200 ? res.headers.get('docker-content-digest') : null;
}

/**
 * Generates `count` single-layer images over count/5 repositories (one small shared layer;
 * the labels make every config, hence every manifest, distinct), writes them to an OCI layout
 * under `workDir` and pushes both tags of each with `skopeo copy`, 4 repositories at a time.
 */
export async function seedResolveImages(
  count: number,
  registry: BenchRegistry,
  sandbox: Sandbox,
  workDir: string,
): Promise<SeededImage[]> {
  const layout = join(workDir, 'layout');
  await mkdir(layout, { recursive: true });
  const repos = Math.max(1, Math.floor(count / 5));
  const shared = { seed: 'resolve-bench/base', size: 4096 };
  const images: SeededImage[] = [];
  const entries = [];
  for (let i = 0; i < count; i++) {
    const release = String(i);
    const image = makeImage({ seed: `resolve-bench/${i}`, layers: [shared], labels: { version: '1.0', release } });
    const name = `img-${String(i).padStart(5, '0')}`;
    entries.push({ name, image });
    images.push({
      key: `img_${String(i).padStart(5, '0')}`,
      repo: `bench/r${String(i % repos).padStart(3, '0')}`,
      tag: `t${i}`,
      versionedTag: `1.0-${release}`,
      digest: image.manifestDesc.digest,
    });
  }
  await writeOciLayout(layout, entries);
  // One group per repository: its pushes run in sequence (see skopeoCopyAll).
  const groups = new Map<string, CopyLine[]>();
  for (const [i, img] of images.entries()) {
    const group = groups.get(img.repo) ?? [];
    groups.set(img.repo, group);
    for (const tag of [img.tag, img.versionedTag]) {
      group.push({ src: `oci:${layout}:${entries[i]!.name}`, dst: `docker://${registry.host}/${img.repo}:${tag}` });
    }
  }
  await skopeoCopyAll([...groups.values()], sandbox, workDir, 4);
  await checkSeeded(images, registry, sandbox);
  return images;
}

/**
 * Every tag must answer with the generated digest (HEAD, straight to the registry), and for
 * a sample the bytes skopeo reads back must hash to it: the expected digests are the
 * registry's truth, not just our arithmetic.
 */
async function checkSeeded(images: SeededImage[], registry: BenchRegistry, sandbox: Sandbox): Promise<void> {
  const problems: string[] = [];
  for (const img of images) {
    for (const tag of [img.tag, img.versionedTag]) {
      const got = await headDigest(registry.url, img.repo, tag);
      if (got !== img.digest) problems.push(`${img.repo}:${tag}: registry has ${got ?? 'nothing'}, generated ${img.digest}`);
    }
  }
  for (const i of spread(images.length, 5)) {
    const img = images[i]!;
    const { digest } = await skopeoRawDigest(`docker://${registry.host}/${img.repo}:${img.versionedTag}`, sandbox);
    if (digest !== img.digest) problems.push(`skopeo inspect --raw ${img.repo}:${img.versionedTag} hashes to ${digest}, generated ${img.digest}`);
  }
  if (problems.length > 0) throw new Error(`seeding failed:\n${problems.slice(0, 20).join('\n')}`);
}
