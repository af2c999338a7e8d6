/** An image's signatures checked with a key, in both forms cosign writes. */
import type { KeyObject } from 'node:crypto';
import type { Digest } from '../oci/digest.js';
import { ociReferrers } from '../referrers/discover.js';
import type { ContentReader } from '../transport/types.js';
import { checkCosignSignatures, type SignatureCheck } from './cosign.js';
import { checkBundleSignatures } from './sigstore-bundle.js';

/**
 * Checks the image `digest` in `repository` for a signature made with `key`: cosign's
 * classic `.sig` tag, then sigstore bundles among its OCI referrers. `signed` when either
 * has one that verifies; `missing` when there are neither; else `invalid` with every reason.
 */
export async function checkSignatures(reader: ContentReader, repository: string, digest: Digest, key: KeyObject): Promise<SignatureCheck> {
  const classic = await checkCosignSignatures(reader, repository, digest, key);
  if (classic.status === 'signed') return classic;
  const bundles = await checkBundleSignatures(reader, repository, digest, await ociReferrers(reader, repository, digest), key);
  const signatures = classic.signatures + bundles.bundles;
  if (bundles.signed) return { status: 'signed', signatures, problems: [] };
  if (classic.status === 'missing' && bundles.bundles === 0) return { status: 'missing', signatures: 0, problems: [] };
  return { status: 'invalid', signatures, problems: [...classic.problems, ...bundles.problems] };
}
