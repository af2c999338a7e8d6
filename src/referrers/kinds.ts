/**
 * What an image's referrers are and which of them a run carries. Two schemes exist side by
 * side: cosign's tags beside the image (`sha256-<hex>.sig`, `.att`, `.sbom`) and OCI 1.1
 * referrers (manifests whose `subject` is the image, listed by the referrers API or, on
 * registries without it, by the image index tagged `sha256-<hex>`).
 */
import type { LockedReferrer } from '../lock/types.js';
import { digestHex, type Digest } from '../oci/digest.js';

/** Which referrers travel: all of them (signatures, attestations, SBOMs, ...), signatures only, or none. */
export type ReferrerChoice = 'all' | 'signatures' | 'none';
export const REFERRER_CHOICES: readonly ReferrerChoice[] = ['all', 'signatures', 'none'];

/** One referrer of an image, as found and as a lock records it. */
export interface Referrer {
  /** `cosign`: a tag beside the image; `oci`: a manifest naming the image as its subject. */
  scheme: 'cosign' | 'oci';
  digest: Digest;
  mediaType: string;
  size: number;
  /** The artifact's type (OCI: as listed; cosign: `sig`, `att` or `sbom` spelled as cosign's artifact type). */
  artifactType?: string;
  /** cosign's tag (`sha256-<hex>.sig`); absent for OCI referrers, which travel by digest. */
  tag?: string;
  annotations?: Record<string, string>;
}

/** cosign's tag suffixes, and the artifact type cosign gives each in OCI 1.1 mode. */
const COSIGN_KINDS = ['sig', 'att', 'sbom'] as const;
export type CosignKind = (typeof COSIGN_KINDS)[number];

/** `application/vnd.dev.cosign.artifact.<kind>.v1+json`, as cosign names its artifacts. */
export function cosignArtifactType(kind: CosignKind): string {
  return `application/vnd.dev.cosign.artifact.${kind}.v1+json`;
}

/** The cosign tag of `digest` for `kind`. */
export function cosignTag(digest: Digest, kind: CosignKind): string {
  return `sha256-${digestHex(digest)}.${kind}`;
}

/** The tag schema's tag for the referrers of `digest` (`sha256-<hex>`, the spec's fallback). */
export function tagSchemaTag(digest: Digest): string {
  return `sha256-${digestHex(digest)}`.slice(0, 128);
}

/** cosign's kinds a choice carries. */
export function cosignKinds(choice: ReferrerChoice): CosignKind[] {
  return choice === 'all' ? [...COSIGN_KINDS] : choice === 'signatures' ? ['sig'] : [];
}

/** sigstore bundle media types (the v0.3 form, and the older `+json;version=` spelling). */
export function isSigstoreBundleType(type: string | undefined): boolean {
  return type !== undefined && /^application\/vnd\.dev\.sigstore\.bundle(\.v0\.\d+\+json|\+json;version=0\.\d+)$/.test(type);
}

/** The predicate type cosign gives an image signature made as a sigstore bundle. */
export const COSIGN_SIGN_PREDICATE = 'https://sigstore.dev/cosign/sign/v1';
/** The annotation cosign sets on a bundle referrer with its predicate type. */
export const BUNDLE_PREDICATE_ANNOTATION = 'dev.sigstore.bundle.predicateType';

/** True for a referrer that is a signature: cosign's `.sig`, a sigstore bundle of a cosign signature, a Notary signature. */
export function isSignature(r: Pick<Referrer, 'artifactType' | 'annotations' | 'tag'>): boolean {
  if (r.tag !== undefined) return r.tag.endsWith('.sig');
  const t = r.artifactType;
  if (t === cosignArtifactType('sig') || t === 'application/vnd.cncf.notary.signature') return true;
  if (!isSigstoreBundleType(t)) return false;
  const predicate = r.annotations?.[BUNDLE_PREDICATE_ANNOTATION];
  return predicate === undefined || predicate === COSIGN_SIGN_PREDICATE;
}

/** True when `choice` carries the referrer. */
export function chosen(choice: ReferrerChoice, r: Referrer): boolean {
  return choice === 'all' || (choice === 'signatures' && isSignature(r));
}

/** A lock's record of a referrer: annotations are left out but for a bundle's predicate type. */
export function toLocked(r: Referrer): LockedReferrer {
  const predicateType = r.annotations?.[BUNDLE_PREDICATE_ANNOTATION];
  return {
    digest: r.digest,
    mediaType: r.mediaType,
    size: r.size,
    ...(r.artifactType ? { artifactType: r.artifactType } : {}),
    ...(r.tag ? { tag: r.tag } : {}),
    ...(predicateType ? { predicateType } : {}),
  };
}

/** A referrer as a lock records it. */
export function fromLocked(l: LockedReferrer): Referrer {
  return {
    scheme: l.tag !== undefined ? 'cosign' : 'oci',
    digest: l.digest,
    mediaType: l.mediaType,
    size: l.size,
    ...(l.artifactType ? { artifactType: l.artifactType } : {}),
    ...(l.tag ? { tag: l.tag } : {}),
    ...(l.predicateType ? { annotations: { [BUNDLE_PREDICATE_ANNOTATION]: l.predicateType } } : {}),
  };
}
