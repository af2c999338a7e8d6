/**
 * A differential bundle leaves out blobs the target already holds. Before an import writes
 * anything, every blob left out that an image needs is looked for on the target: in the
 * image's own repository, else (registries) in the repository the inventory saw it in, from
 * where it is then mounted, so the copy engine finds it in place. Anything absent refuses the
 * whole import, naming the digests and the images that need them.
 */
import { AirlockError, ErrorCodes } from '../errors.js';
import type { MirrorPair } from '../mirror/plan.js';
import type { Digest } from '../oci/digest.js';
import { imageContent } from '../store/content.js';
import type { TransportContext } from '../transport/context.js';
import { formatLocation } from '../transport/location.js';
import { openReader, openWriter } from '../transport/open.js';
import type { Location } from '../transport/types.js';
import type { OpenedBundle } from './open.js';

/** What the check found and did. */
export interface AssumedCheck {
  /** Blobs left out that the images to import need. */
  needed: number;
  /** Of those, mounted into the image's repository from where the inventory saw them. */
  mounted: number;
}

/** One destination repository and the left-out blobs its images need. */
interface Needs {
  destination: Location;
  digests: Map<Digest, Set<string>>;
}

/**
 * Checks (and, unless `dryRun`, mounts) what `bundle` assumes for `pairs`; BUNDLE_BASE_MISSING
 * when the target lacks any of it. A bundle that is not differential passes at once.
 */
export async function ensureAssumed(bundle: OpenedBundle, pairs: readonly MirrorPair[], ctx: TransportContext, dryRun = false): Promise<AssumedCheck> {
  const assumed = bundle.assumed;
  if (!assumed) return { needed: 0, mounted: 0 };
  const groups = new Map<string, Needs>();
  const heldRoots = new Set<string>(Object.values(assumed.images ?? {}));
  const absent = new Map<Digest, Set<string>>();
  let needed = 0;
  for (const p of pairs) {
    const root = p.source.digest ? await bundle.layout.refs.byDigest(p.source.digest) : null;
    if (!root && p.source.digest && heldRoots.has(p.source.digest) && p.source.scheme === p.destination.scheme && p.source.root === p.destination.root) {
      // An image left out whole (see heldFromTarget): its root manifest must be in its repository there.
      needed++;
      const reader = await openReader(p.destination, ctx);
      try {
        if (!(await reader.headManifest(p.destination.repository, p.source.digest))) absent.set(p.source.digest, new Set([formatLocation(p.destination)]));
      } finally {
        await reader.close();
      }
      continue;
    }
    if (!root) continue; // The copy itself reports an image the bundle does not hold.
    const key = `${p.destination.scheme}|${p.destination.root}|${p.destination.repository}`;
    const g = groups.get(key) ?? { destination: p.destination, digests: new Map() };
    groups.set(key, g);
    for (const d of (await imageContent(bundle.layout, root)).missing) {
      if (!assumed.blobs[d]) continue;
      g.digests.set(d, (g.digests.get(d) ?? new Set()).add(formatLocation(p.destination)));
    }
  }
  const mounts: { destination: Location; digest: Digest; from: string }[] = [];
  for (const g of groups.values()) {
    const reader = await openReader(g.destination, ctx);
    try {
      for (const [digest, images] of g.digests) {
        needed++;
        const { size, repository } = assumed.blobs[digest]!;
        if ((await reader.headBlob(g.destination.repository, digest)) === size) continue;
        const from = g.destination.scheme === 'docker' && repository && repository !== g.destination.repository ? repository : undefined;
        if (from && (await reader.headBlob(from, digest)) === size) mounts.push({ destination: g.destination, digest, from });
        else for (const i of images) absent.set(digest, (absent.get(digest) ?? new Set()).add(i));
      }
    } finally {
      await reader.close();
    }
  }
  if (absent.size > 0) throw baseMissing(absent, assumed.against);
  if (dryRun) return { needed, mounted: 0 };
  for (const m of mounts) {
    const writer = await openWriter(m.destination, ctx);
    try {
      if (!(await writer.mountBlob(m.destination.repository, m.digest, m.from))) {
        throw baseMissing(new Map([[m.digest, new Set([formatLocation(m.destination)])]]), assumed.against, `the registry would not mount it from ${m.from}`);
      }
    } finally {
      await writer.close();
    }
  }
  return { needed, mounted: mounts.length };
}

function baseMissing(absent: Map<Digest, Set<string>>, against: { kind: string; location: string }, why?: string): AirlockError {
  const list = [...absent].sort(([a], [b]) => (a < b ? -1 : 1));
  const shown = list.slice(0, 10).map(([d, images]) => `  ${d}  needed by ${[...images].join(', ')}`);
  if (list.length > shown.length) shown.push(`  ... and ${list.length - shown.length} more`);
  return new AirlockError(
    ErrorCodes.BUNDLE_BASE_MISSING,
    `this differential bundle leaves out ${list.length} blob(s) the target does not hold${why ? ` (${why})` : ''}; it was made against ${against.kind} ${against.location}. Nothing was written. Take a fresh inventory of the target (airlock inventory ... -o have.json) and make the bundle again, or bring a full bundle.\n${shown.join('\n')}`,
    { missing: list.map(([digest, images]) => ({ digest, images: [...images] })), against },
  );
}

/**
 * The pairs to import, with each image a differential bundle left out whole (the target holds
 * it) read from the target itself, pinned by digest: up to date when its name is in place,
 * else only named there (its manifest and blobs are already in the repository).
 */
export function heldFromTarget(bundle: OpenedBundle, pairs: readonly MirrorPair[]): MirrorPair[] {
  const held = new Set<string>(Object.values(bundle.assumed?.images ?? {}));
  if (held.size === 0) return [...pairs];
  return pairs.map((p) => {
    const digest = p.source.digest;
    if (!digest || !held.has(digest)) return p;
    const { tag: _tag, ...where } = p.destination;
    return { ...p, source: { ...where, digest } };
  });
}
