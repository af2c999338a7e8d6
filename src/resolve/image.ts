import { AirlockError, ErrorCodes, type ErrorCode } from '../errors.js';
import type { ImageSet, PlannedImage, Rule } from '../imageset/types.js';
import type { LockedImage, LockedModify, LockedPlatform, LockOrigin } from '../lock/types.js';
import { ModifiedSource } from '../modify/source.js';
import { operationsOf } from '../modify/steps.js';
import { ImageSource } from '../transport/source.js';
import { filterIndex, keptDigest } from '../copy/filter.js';
import type { Descriptor } from '../oci/descriptor.js';
import type { Digest } from '../oci/digest.js';
import { isIndexMediaType } from '../oci/mediatypes.js';
import { formatPlatform, platformMatches, type Platform } from '../oci/platform.js';
import { formatReference, manifestReference, parseReference, type ImageReference } from '../ref/reference.js';
import type { RetryPolicy } from '../retry/index.js';
import type { ContentReader } from '../transport/types.js';
import { destinationOf } from '../imageset/destination.js';
import { RepositoryReader } from './fetch.js';

/** Where one image is read for resolving: a backend's reader and the repository in it. */
export interface ImageReadAccess {
  reader: ContentReader;
  repository: string;
  retry: { policy: RetryPolicy; signal?: AbortSignal | undefined };
}
import { tagFromLabels } from './labels.js';

/**
 * Pins one planned image, read through `access` (a registry, or a layout or the store with
 * no network): HEADs its source (the client GETs only when HEAD gives no digest), applies `tag_from_label` (labels of the image, or of the `labelPlatform` child of
 * an index; the floating tag is replaced by the rendered tag, which is then HEADed in turn),
 * lists an index's children (only those `platforms` keeps, when set), and works out the
 * destination. A source pinned by digest stays pinned: `tag_from_label` does not apply to it.
 * With `tagFromLabel.fallback: 'tag'`, a missing label keeps the floating tag (the lock's
 * origin then lists only the labels the image has) instead of failing.
 * Errors: the backend's not-found code (REGISTRY_NOT_FOUND, IMAGE_NOT_FOUND), LABEL_MISSING,
 * PLATFORM_NOT_FOUND (naming the key), and the backend's own codes (REGISTRY_UNREACHABLE,
 * ...), which resolvePlan prefixes with the key.
 */
export async function resolveImage(
  planned: PlannedImage,
  access: ImageReadAccess,
  rules: readonly Pick<Rule, 'name'>[] = [],
): Promise<LockedImage> {
  const key = planned.key;
  const reader = new RepositoryReader(access.reader, access.repository, access.retry);
  const notFoundCode = (r: ImageReference) => access.reader.notFound(access.repository, manifestReference(r)).code;
  let ref = planned.source;
  const readsLabels = planned.tagFromLabel !== undefined && !ref.digest;
  // Labels need the manifest anyway: one GET instead of HEAD then GET.
  let top = await head(reader, ref, key, notFoundCode, readsLabels);
  let fromLabel: LockOrigin['tag_from_label'];
  if (planned.tagFromLabel && readsLabels) {
    const labels = await reader.labels(top, planned.labelPlatform);
    // With the TripleO fallback, a missing label keeps the tag the image was asked for.
    const fallbackTag = planned.tagFromLabel.fallback === 'tag' ? (ref.tag ?? 'latest') : undefined;
    const found = tagFromLabels(planned.tagFromLabel.value, labels, key, fallbackTag);
    fromLabel = {
      template: planned.tagFromLabel.value,
      from_tag: ref.tag ?? 'latest',
      labels: found.labels,
      ...(planned.tagFromLabel.rule !== undefined ? { rule: planned.tagFromLabel.rule } : {}),
    };
    if (found.tag !== ref.tag) {
      ref = withTag(ref, found.tag, key);
      top = await head(reader, ref, key, notFoundCode);
    }
  }
  const keep = planned.platforms?.value;
  let platforms: LockedPlatform[] | undefined;
  let filteredDigest: Digest | undefined;
  if (isIndexMediaType(top.mediaType)) {
    const { bytes, manifest: index } = await reader.fetched(top);
    const children = index.kind === 'index' ? index.manifests : [];
    const kept = keep && keep.length > 0 ? children.filter((c) => keep.some((w) => platformMatches(w, c.platform))) : children;
    if (kept.length === 0 && children.length > 0) {
      throw new AirlockError(
        ErrorCodes.PLATFORM_NOT_FOUND,
        `${key}: none of ${keep!.map(formatPlatform).join(', ')} is in ${formatReference(ref)}`,
        { key },
      );
    }
    // The same filter the copy engine applies when mirroring, so the lock can pin its result.
    if (keep && keep.length > 0 && index.kind === 'index') filteredDigest = filterIndex(bytes, index, keep).desc.digest;
    platforms = kept.map((c) => ({
      platform: c.platform ? formatPlatform(c.platform) : 'unknown',
      digest: c.digest,
      size: c.size,
      mediaType: c.mediaType,
    }));
  }
  const pinned: ImageReference = { ...ref, digest: top.digest };
  const origin: LockOrigin = { template: planned.template };
  if (planned.rules.length > 0) {
    origin.rules = planned.rules.map((index) => {
      const name = rules[index]?.name;
      return name ? { index, name } : { index };
    });
  }
  if (fromLabel) origin.tag_from_label = fromLabel;
  if (planned.imported) origin.imported = planned.imported;
  const modify = planned.modify && (await modifyApplies(planned, reader, top)) ? await modifiedImage(planned, pinned, top, access, keep) : undefined;
  const suffix = modify?.tag_suffix;
  const destRef = suffix && ref.tag ? withTag(ref, `${ref.tag}${suffix}`, key) : ref;
  const destination = planned.pushDestination ? destinationOf(destRef, planned.pushDestination.value, key) : undefined;
  return {
    source: formatReference(pinned),
    ...(ref.tag ? { tag: ref.tag } : {}),
    digest: top.digest,
    mediaType: top.mediaType,
    size: top.size,
    ...(platforms ? { platforms } : {}),
    ...(keep && keep.length > 0 ? { keep_platforms: keep.map(formatPlatform) } : {}),
    ...(filteredDigest ? { filtered_digest: filteredDigest } : {}),
    ...(destination ? { destination } : {}),
    ...(modify ? { modify } : {}),
    origin,
  };
}

/**
 * Whether the planned modification applies to the pinned image: with `only_with_labels`
 * (TripleO's modify_only_with_labels), when its config (the label platform's, for an
 * index) has any of those labels, whatever their values, or `only_images` names it;
 * otherwise always (`only_images` alone was settled by the plan). An image it does not apply
 * to is locked, mirrored and rendered unmodified, without the tag suffix.
 */
async function modifyApplies(planned: PlannedImage, reader: RepositoryReader, top: Descriptor): Promise<boolean> {
  const m = planned.modify!.value;
  if (m.only_with_labels === undefined || m.only_images?.includes(planned.key)) return true;
  const labels = await reader.labels(top, planned.labelPlatform);
  return m.only_with_labels.some((name) => Object.hasOwn(labels, name));
}

/**
 * The modification of a planned image: the steps applied to the pinned base through the
 * same Source `airlock modify` copies from, giving the result digest (nothing is written)
 * and the digest of the modification. With `platforms`, the result is the modified index
 * filtered to them.
 */
async function modifiedImage(planned: PlannedImage, pinned: ImageReference, top: Descriptor, access: ImageReadAccess, keep: readonly Platform[] | undefined): Promise<LockedModify> {
  const m = planned.modify!.value;
  // The shared reader stays open: this source is never closed.
  const base = new ImageSource(access.reader, { scheme: 'docker', root: '', repository: access.repository, digest: top.digest }, formatReference(pinned));
  const source = new ModifiedSource(base, operationsOf(m.steps, m.dir));
  // Modified first, then filtered, as mirror's copy does: the result is what the destination names.
  const result = await keptDigest(source, keep);
  return {
    steps: m.steps.map((s) => ({ kind: s.kind, value: s.value })),
    ...(m.tag_suffix !== undefined ? { tag_suffix: m.tag_suffix } : {}),
    modification: await source.modification(),
    result,
  };
}

/** The rule names of an image set, for `resolveImage`'s `origin.rules`. */
export function ruleNames(set: Pick<ImageSet, 'rules'>): Pick<Rule, 'name'>[] {
  return set.rules.map((r) => (r.name ? { name: r.name } : {}));
}

async function head(
  reader: RepositoryReader,
  ref: ImageReference,
  key: string,
  notFoundCode: (ref: ImageReference) => ErrorCode,
  get = false,
): Promise<Descriptor> {
  const reference = manifestReference(ref);
  const desc = get && !ref.digest ? await reader.getByTag(reference) : await reader.head(reference);
  if (!desc) {
    throw new AirlockError(notFoundCode(ref), `${key}: ${formatReference(ref)} not found`, {
      key,
      reference: formatReference(ref),
    });
  }
  if (ref.digest && desc.digest !== ref.digest) {
    throw new AirlockError(ErrorCodes.DIGEST_MISMATCH, `${key}: ${formatReference(ref)} answered ${desc.digest}`, {
      key,
      expected: ref.digest,
      actual: desc.digest,
    });
  }
  return desc;
}

function withTag(ref: ImageReference, tag: string, key: string): ImageReference {
  try {
    return parseReference(`${ref.registry}/${ref.repository}:${tag}`);
  } catch (err) {
    throw new AirlockError(ErrorCodes.REF_INVALID, `${key}: the labels give "${tag}", which is not a valid tag`, { key, tag }, { cause: err });
  }
}

