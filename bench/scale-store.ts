/**
 * Store lookups at scale: a store (an OCI layout keyed by full reference) holding every image
 * of the size, written straight to disk (blobs and index.json, not through airlock), then
 * read through the store's reader the way the embedded registry will answer requests:
 *
 * - open: opening the reader (reads index.json once);
 * - lookups: every image's tag resolved to its descriptor (headManifest), each checked;
 * - manifest reads: 1,000 manifests read by tag (getManifest: lookup plus a verified read);
 * - the naive way, for comparison: read and parse index.json for each lookup, as the layout
 *   did before it kept its index in memory (100 lookups, per-lookup cost).
 *
 * A lookup should cost the same at 20,000 images as at 1,000.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ScaleImage, ScaleSet } from './scale-data.js';

/** What one size's store lookups cost. */
export interface StoreLookups {
  /** Wall seconds for every image's lookup. */
  wallS: number;
  lookups: number;
  /** Microseconds per lookup. */
  perLookupUs: number;
  /** Seconds to open the store's reader (index.json read and indexed). */
  openS: number;
  /** Microseconds per manifest read by tag (lookup and verified read). */
  perManifestReadUs: number;
  /** Microseconds per lookup when index.json is read and parsed for each. */
  naivePerLookupUs: number;
  ok: boolean;
  problems: string[];
}

const REGISTRY = 'registry.example:5000';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const nameOf = (img: ScaleImage) => `${REGISTRY}/${img.repo}:${img.tag}`;
const sha256Hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Writes the store: blob files and an index.json naming every image by full reference. */
async function writeStore(set: ScaleSet, dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  const blobs = join(dir, 'blobs', 'sha256');
  await mkdir(blobs, { recursive: true });
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  for (const b of set.blobs) await writeFile(join(blobs, sha256Hex(b)), b);
  const manifests = [];
  for (const img of set.images) {
    await writeFile(join(blobs, img.digest.slice('sha256:'.length)), img.manifest);
    const name = nameOf(img);
    manifests.push({
      mediaType: OCI_MANIFEST,
      digest: img.digest,
      size: img.manifest.length,
      annotations: { 'org.opencontainers.image.ref.name': name, 'io.containerd.image.name': name },
    });
  }
  await writeFile(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }));
}

const seconds = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9;

/** Measures store lookups for `set` in a store under `workDir`; every answer is checked. */
export async function storeLookups(set: ScaleSet, workDir: string): Promise<StoreLookups> {
  // The library is loaded here, not at the top: a tree that does not load fails this step only.
  const { createTransportContext, openReader, parseNamespace } = await import('../src/index.js');
  const dir = join(workDir, 'store');
  await writeStore(set, dir);
  const problems: string[] = [];
  const ctx = createTransportContext({ storeDir: dir });
  try {
    let t0 = process.hrtime.bigint();
    const reader = await openReader(parseNamespace('store:'), ctx);
    // The first lookup reads index.json: it belongs to opening.
    await reader.headManifest(`${REGISTRY}/${set.images[0]!.repo}`, set.images[0]!.tag);
    const openS = seconds(t0);

    t0 = process.hrtime.bigint();
    for (const img of set.images) {
      const d = await reader.headManifest(`${REGISTRY}/${img.repo}`, img.tag);
      if (d?.digest !== img.digest && problems.length < 5) problems.push(`${nameOf(img)}: got ${d?.digest ?? 'nothing'}`);
    }
    const wallS = seconds(t0);

    const reads = set.images.filter((_, i) => i % Math.max(1, Math.floor(set.images.length / 1000)) === 0).slice(0, 1000);
    t0 = process.hrtime.bigint();
    for (const img of reads) {
      const m = await reader.getManifest(`${REGISTRY}/${img.repo}`, img.tag);
      if (!m.bytes.equals(img.manifest) && problems.length < 5) problems.push(`${nameOf(img)}: manifest bytes differ`);
    }
    const perManifestReadUs = (seconds(t0) / reads.length) * 1e6;

    const naive = set.images.slice(0, 100);
    t0 = process.hrtime.bigint();
    for (const img of naive) {
      const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string; annotations: Record<string, string> }> };
      const found = index.manifests.find((m) => m.annotations['org.opencontainers.image.ref.name'] === nameOf(img));
      if (found?.digest !== img.digest) problems.push(`naive lookup of ${nameOf(img)} failed`);
    }
    const naivePerLookupUs = (seconds(t0) / naive.length) * 1e6;
    const r: StoreLookups = {
      wallS,
      lookups: set.images.length,
      perLookupUs: (wallS / set.images.length) * 1e6,
      openS,
      perManifestReadUs,
      naivePerLookupUs,
      ok: problems.length === 0,
      problems,
    };
    process.stderr.write(
      `store lookups (${set.images.length} images): open ${openS.toFixed(3)} s, ${r.perLookupUs.toFixed(1)} us per lookup, ` +
        `${perManifestReadUs.toFixed(0)} us per manifest read, re-reading index.json ${naivePerLookupUs.toFixed(0)} us per lookup` +
        `${r.ok ? ', checked' : `, FAILED: ${problems.join('; ')}`}\n`,
    );
    return r;
  } finally {
    await ctx.close();
    await rm(dir, { recursive: true, force: true });
  }
}
