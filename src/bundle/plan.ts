/**
 * What a bundle of a lock or a list holds: each image as the store names it (its full
 * source reference), every blob it reaches, and the lock the bundle carries (for a list, a
 * lock made from what the store holds, so every bundle can be imported the same way).
 */
import { AirlockError, ErrorCodes } from '../errors.js';
import { normaliseKey } from '../imageset/importers/keys.js';
import type { LockedImage, LockFile } from '../lock/types.js';
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
 * it); manifests of the others are carried (the import walks them).
 * USAGE for an image set (resolve it first: a bundle carries a lock); IMAGE_NOT_FOUND for an
 * image the store lacks, STORE_DAMAGED for one it holds in part, each naming how to fix it.
 */
export async function planBundle(input: MirrorInput, layout: OciLayout, ctx: TransportContext, only?: string, have?: Inventory): Promise<BundlePlan> {
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
    if (input.kind === 'lock') locked[pair.key!] = input.lock.images[pair.key!]!;
    else {
      const ref = pair.entry!.ref;
      const { digest: _pinned, ...unpinned } = ref;
      const image: LockedImage = {
        source: `${formatReference(unpinned)}@${descriptor.digest}`,
        ...(ref.tag ? { tag: ref.tag } : {}),
        digest: descriptor.digest,
        mediaType: descriptor.mediaType,
        size: descriptor.size,
        origin: { template: pair.entry!.text },
      };
      locked[listKey(ref.repository, ref.tag, taken)] = image;
    }
  }
  const lock: LockFile = input.kind === 'lock' ? { ...input.lock, images: locked } : { version: 1, images: locked };
  return { images, blobs, lock: formatLock(lock), ...(assumed ? { assumed } : {}) };
}
