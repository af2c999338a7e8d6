/**
 * Signatures, attestations and SBOMs travel with their images, in cosign's tag scheme: the
 * tags `sha256-<hex>.sig`, `.att` and `.sbom` beside an image in its repository are copied
 * beside it at the destination, through the same copy run (so their blobs are checked and
 * sent once like any other).
 */
import type { CopyRun } from '../copy/engine.js';
import type { Digest } from '../oci/digest.js';
import { digestHex } from '../oci/digest.js';
import type { TransportContext } from '../transport/context.js';
import { openReader, openSink, openSource } from '../transport/open.js';
import type { Location } from '../transport/types.js';

/** Which referrers travel: all of cosign's (signatures, attestations, SBOMs), signatures only, or none. */
export type ReferrerChoice = 'all' | 'signatures' | 'none';
export const REFERRER_CHOICES: readonly ReferrerChoice[] = ['all', 'signatures', 'none'];

/** What was done with one referrer tag. */
export interface ReferrerCopy {
  tag: string;
  status: string;
  digest?: string;
  error?: string;
}

/** The cosign tag suffixes a choice carries. */
function suffixes(choice: ReferrerChoice): string[] {
  return choice === 'all' ? ['sig', 'att', 'sbom'] : choice === 'signatures' ? ['sig'] : [];
}

/** `loc` naming `tag` instead of its own tag or digest. */
function withTag(loc: Location, tag: string): Location {
  const { digest: _digest, ...rest } = loc;
  return { ...rest, tag };
}

/**
 * Copies the cosign tags of the image `digest` from `source`'s repository to
 * `destination`'s, those the source has. Never throws: each tag's outcome is returned.
 */
export async function copyCosignTags(run: CopyRun, source: Location, destination: Location, digest: Digest, choice: ReferrerChoice, ctx: TransportContext): Promise<ReferrerCopy[]> {
  const out: ReferrerCopy[] = [];
  const kinds = suffixes(choice);
  if (kinds.length === 0) return out;
  let reader;
  try {
    reader = await openReader(source, ctx);
  } catch (err) {
    return [{ tag: '*', status: 'failed', error: (err as Error).message }];
  }
  try {
    for (const kind of kinds) {
      const tag = `sha256-${digestHex(digest)}.${kind}`;
      try {
        if (!(await reader.headManifest(source.repository, tag))) continue;
        const result = await run.copyImage(await openSource(withTag(source, tag), ctx), await openSink(withTag(destination, tag), ctx));
        out.push({ tag, status: result.status, ...(result.digest ? { digest: result.digest } : {}), ...(result.error ? { error: result.error.message } : {}) });
      } catch (err) {
        out.push({ tag, status: 'failed', error: (err as Error).message });
      }
    }
  } finally {
    await reader.close().catch(() => undefined);
  }
  return out;
}
