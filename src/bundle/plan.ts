/**
 * What a bundle of a lock or a list holds: each image as the store names it (its full
 * source reference), every blob it reaches, and the lock the bundle carries (for a list, a
 * lock made from what the store holds, so every bundle can be imported the same way).
 */
import { AirlockError, ErrorCodes } from '../errors.js';
import { normaliseKey } from '../imageset/importers/keys.js';
import type { LockedImage, LockedReferrer, LockFile } from '../lock/types.js';
import { discoverReferrers } from '../referrers/discover.js';
import { chosen, fromLocked, toLocked, type ReferrerChoice } from '../referrers/kinds.js';
import { LayoutReader } from '../transport/layout/backend.js';
import { formatLock } from '../lock/write.js';
import type { MirrorInput } from '../mirror/input.js';
import { planMirrorInput } from '../mirror/input.js';
import type { Digest } from '../oci/digest.js';
import { formatReference } from '../ref/reference.js';
import { imageContent } from '../store/content.js';
import type { TransportContext } from '../transport/context.js';
import type { BundleAssumed, BundleImage, BundlePlan } from '../transport/archive/bundle-writer.js';
import type { Inventory } from '../inventory/types.js';
import type { OciLayout } from '../transport/layout/layout.js';
import { joinName } from '../transport/layout/names.js';
import { parseNamespace } from '../transport/location.js';

/** A key for a listed image: its repository's last part and tag (`nova-api:2024.1` -> `nova_api_2024_1`), unique. */
function listKey(repository: string, tag: string | undefined, taken: Set<string>): string {
  const base = normaliseKey(`${repository.split('/').pop() ?? repository}${tag ? `_${tag}` : ''}`);
  let key = base;
  for (let n = 2; taken.has(key); n++) key = `${base}_${n}`;
  taken.add(key);
  return key;
}

/**
 * Plans the bundle of `input` (a lock or a list; `only` as mirror's --only) from the store.
 * With `have` (the target's inventory), configs and layers it lists are left out and recorded
 * as assumed; an image the target holds whole is left out entirely (the lock still names
 * it); manifests of the others are carried (the import walks them). Each image's referrers
 * (`choice` of them: the lock's, or those the store holds beside a listed image) are carried
 * beside it, and the bundle's lock lists exactly those.
 * USAGE for an image set (resolve it first: a bundle carries a lock); IMAGE_NOT_FOUND for an
 * image the store lacks, STORE_DAMAGED for one it holds in part, each naming how to fix it.
 */
export async function planBundle(input: MirrorInput, layout: OciLayout, ctx: TransportContext, only?: string, have?: Inventory, choice: ReferrerChoice = 'all'): Promise<BundlePlan> {
  if (input.kind === 'imageset') {
    throw new AirlockError(ErrorCodes.USAGE, `${input.file} is an image set: resolve it first (airlock resolve ${input.file} -o images.lock.yaml), so the bundle carries the lock`);
  }
  const pairs = await planMirrorInput(input, { ctx, to: parseNamespace('store:'), only });
  const images: BundleImage[] = [];
  const blobs = new Map<Digest, number>();
  const locked: LockFile['images'] = {};
  const taken = new Set<string>();
  const assumed: BundleAssumed | undefined = have ? { against: have.of, blobs: {} } : undefined;
  for (const pair of pairs) {
    const d = pair.destination;
    const name = d.tag ? joinName({ repository: d.repository, tag: d.tag }) : joinName({ repository: d.repository, ...(d.digest ? { digest: d.digest } : {}) });
    const descriptor = name !== undefined ? await layout.findRef(name) : null;
    if (!descriptor || name === undefined) {
      throw new AirlockError(ErrorCodes.IMAGE_NOT_FOUND, `${name ?? pair.key}: not in the store ${layout.dir} (airlock pull ${input.file} fills it)`, { image: name });
    }
    const content = await imageContent(layout, descriptor);
    if (content.missing.length > 0) {
      throw new AirlockError(ErrorCodes.STORE_DAMAGED, `${name}: the store lacks ${content.missing.length} of its blobs (airlock store verify --repair, then airlock pull ${input.file})`, {
        image: name,
        missing: content.missing,
      });
    }
    const onTarget = (digest: Digest, size: number) => (content.manifests.has(digest) ? have?.manifests[digest] === size : have?.blobs[digest]?.size === size);
    if (have && [...content.blobs].every(([digest, size]) => onTarget(digest, size))) {
      // The target holds the whole image: the lock names it, the bundle carries none of it.
      (assumed!.images ??= {})[name] = descriptor.digest;
    } else {
      for (const [digest, size] of content.blobs) {
        const held = assumed && !content.manifests.has(digest) ? have!.blobs[digest] : undefined;
        if (held && held.size === size) assumed!.blobs[digest] = held;
        else blobs.set(digest, size);
      }
      images.push({ name, descriptor: { mediaType: descriptor.mediaType, digest: descriptor.digest, size: descriptor.size } });
    }
    const carried = await referrersOf(layout, d.repository, descriptor.digest, input.kind === 'lock' ? input.lock.images[pair.key!]!.referrers : undefined, choice);
    for (const r of carried) {
      const at = r.tag !== undefined ? joinName({ repository: d.repository, tag: r.tag })! : joinName({ repository: d.repository, digest: r.digest })!;
      // cosign's by tag; an OCI referrer by digest, named or not (one pushed into serve is kept unnamed).
      const held = r.tag !== undefined ? await layout.findRef(at) : await layout.refs.byDigest(r.digest);
      if (!held || held.digest !== r.digest) {
        throw new AirlockError(ErrorCodes.IMAGE_NOT_FOUND, `${name}: its referrer ${r.tag ?? r.digest} is not in the store ${layout.dir} (airlock pull ${input.file} fills it)`, { image: name, referrer: r.digest });
      }
      const c = await imageContent(layout, held);
      if (c.missing.length > 0) throw new AirlockError(ErrorCodes.STORE_DAMAGED, `${at}: the store lacks ${c.missing.length} of its blobs (airlock store verify --repair, then airlock pull ${input.file})`, { image: at, missing: c.missing });
      for (const [digest, size] of c.blobs) blobs.set(digest, size);
      images.push({ name: at, descriptor: { mediaType: held.mediaType, digest: held.digest, size: held.size } });
    }
    const lockedReferrers = carried.length > 0 ? { referrers: carried } : {};
    if (input.kind === 'lock') {
      const { referrers: _all, ...image } = input.lock.images[pair.key!]!;
      locked[pair.key!] = { ...image, ...lockedReferrers };
    } else {
      const ref = pair.entry!.ref;
      const { digest: _pinned, ...unpinned } = ref;
      const image: LockedImage = {
        source: `${formatReference(unpinned)}@${descriptor.digest}`,
        ...(ref.tag ? { tag: ref.tag } : {}),
        digest: descriptor.digest,
        mediaType: descriptor.mediaType,
        size: descriptor.size,
        origin: { template: pair.entry!.text },
        ...lockedReferrers,
      };
      locked[listKey(ref.repository, ref.tag, taken)] = image;
    }
  }
  const lock: LockFile = input.kind === 'lock' ? { ...input.lock, images: locked } : { version: 1, images: locked };
  return { images, blobs, lock: formatLock(lock), ...(assumed ? { assumed } : {}) };
}

/**
 * The referrers a bundle carries beside an image: those of `locked` that `choice` keeps, or
 * (an image from a list) those the store holds beside it. A modified image carries none.
 */
async function referrersOf(layout: OciLayout, repository: string, digest: Digest, locked: readonly LockedReferrer[] | undefined, choice: ReferrerChoice): Promise<LockedReferrer[]> {
  if (choice === 'none') return [];
  if (locked) return locked.filter((r) => chosen(choice, fromLocked(r)));
  const found = await discoverReferrers(new LayoutReader(layout, (repo, ref) => `store:${repo}${ref ? `:${ref}` : ''}`), repository, digest, choice);
  return found.map(toLocked);
}
