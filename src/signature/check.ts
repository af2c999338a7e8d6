/** An image's signatures checked with a key, in both forms cosign writes. */
import type { KeyObject } from 'node:crypto';
import type { Descriptor } from '../oci/descriptor.js';
import type { Digest } from '../oci/digest.js';
import type { Referrer } from '../referrers/kinds.js';
import { ociReferrers } from '../referrers/discover.js';
import type { ContentReader } from '../transport/types.js';
import { checkCosignSignatures, signatureTag, type SignatureCheck } from './cosign.js';
import { checkBundleSignatures } from './sigstore-bundle.js';

/**
 * Checks the image `digest` in `repository` for a signature made with `key`: cosign's
 * classic `.sig` tag, then sigstore bundles among its OCI referrers. `signed` when either
 * has one that verifies; `missing` when there are neither; else `invalid` with every reason.
 * `found`: the image's signatures as `discoverReferrers` already found them (with `all` or
 * `signatures`), so they are not looked for again.
 */
export async function checkSignatures(reader: ContentReader, repository: string, digest: Digest, key: KeyObject, found?: readonly Referrer[]): Promise<SignatureCheck> {
  const sig = found?.find((r) => r.tag === signatureTag(digest));
  const classic = await checkCosignSignatures(reader, repository, digest, key, found ? (sig ? descriptorOf(sig) : null) : undefined);
  if (classic.status === 'signed') return classic;
  const oci = found ? found.filter((r) => r.scheme === 'oci').map(descriptorOf) : await ociReferrers(reader, repository, digest);
  const bundles = await checkBundleSignatures(reader, repository, digest, oci, key);
  const signatures = classic.signatures + bundles.bundles;
  if (bundles.signed) return { status: 'signed', signatures, problems: [] };
  if (classic.status === 'missing' && bundles.bundles === 0) return { status: 'missing', signatures: 0, problems: [] };
  return { status: 'invalid', signatures, problems: [...classic.problems, ...bundles.problems] };
}

/** A found referrer as the descriptor a referrers index lists. */
function descriptorOf(r: Referrer): Descriptor {
  return { mediaType: r.mediaType, digest: r.digest, size: r.size, ...(r.artifactType ? { artifactType: r.artifactType } : {}), ...(r.annotations ? { annotations: r.annotations } : {}) };
}
