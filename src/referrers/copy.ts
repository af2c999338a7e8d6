/**
 * Referrers travel with their images: each referrer found beside an image at the source is
 * copied beside it at the destination through the same copy run (its blobs checked and sent
 * once like any other). cosign's tags keep their tags; OCI referrers travel by digest, and a
 * destination without the referrers API gets them listed in the tag schema's index, as the
 * distribution spec asks of a client pushing to such a registry.
 */
import type { CopyRun } from '../copy/engine.js';
import { toAirlockError } from '../errors.js';
import type { Descriptor } from '../oci/descriptor.js';
import { digestOf, type Digest } from '../oci/digest.js';
import { parseManifest } from '../oci/manifest.js';
import { MediaTypes } from '../oci/mediatypes.js';
import type { TransportContext } from '../transport/context.js';
import { openSink, openSource, openWriter } from '../transport/open.js';
import type { ContentWriter, Location } from '../transport/types.js';
import { tagSchemaTag, type Referrer } from './kinds.js';

/** What was done with one referrer. */
export interface ReferrerCopy {
  scheme: Referrer['scheme'];
  digest: string;
  /** cosign's tag, for a cosign referrer. */
  tag?: string;
  artifactType?: string;
  status: string;
  error?: string;
  /** The failure's stable code. */
  code?: string;
}

/** `loc` naming the manifest `digest` (and `tag`, when given) instead of its own reference. */
function at(loc: Location, digest: Digest | undefined, tag?: string): Location {
  const { digest: _d, tag: _t, ...rest } = loc;
  return { ...rest, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** The descriptor the tag schema's index lists for a referrer. */
function listed(r: Referrer): Descriptor {
  return {
    mediaType: r.mediaType,
    digest: r.digest,
    size: r.size,
    ...(r.artifactType ? { artifactType: r.artifactType } : {}),
    ...(r.annotations ? { annotations: r.annotations } : {}),
  };
}

/**
 * Adds `referrers` to the tag schema's index of `subject` at a destination without the
 * referrers API (read, merged by digest, written back only when something was added).
 */
async function addToTagSchema(writer: ContentWriter, repository: string, subject: Digest, referrers: readonly Referrer[]): Promise<void> {
  const tag = tagSchemaTag(subject);
  let manifests: Descriptor[] = [];
  const current = await writer.headManifest(repository, tag);
  if (current) {
    const fetched = await writer.getManifest(repository, current.digest, current.digest);
    const m = parseManifest(fetched.bytes, fetched.mediaType);
    if (m.kind === 'index') manifests = [...m.manifests];
  }
  const have = new Set(manifests.map((d) => d.digest));
  const added = referrers.filter((r) => !have.has(r.digest)).map(listed);
  if (added.length === 0) return;
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [...manifests, ...added] }));
  const desc = { mediaType: MediaTypes.ociIndex, digest: digestOf(bytes), size: bytes.length };
  await writer.putManifest(repository, tag, bytes, desc);
  await writer.commit();
}

/**
 * Copies `referrers` of the image `subject` from `source`'s repository to `destination`'s:
 * cosign's by tag (pinned to the digest found), OCI's by digest; then, where the destination
 * cannot list referrers itself, records the OCI ones in its tag schema index. Never throws:
 * each referrer's outcome is returned (`failed` with the error).
 */
export async function copyReferrers(run: CopyRun, source: Location, destination: Location, subject: Digest, referrers: readonly Referrer[], ctx: TransportContext): Promise<ReferrerCopy[]> {
  const out: ReferrerCopy[] = [];
  const landed: Referrer[] = [];
  for (const r of referrers) {
    const base = { scheme: r.scheme, digest: r.digest, ...(r.tag ? { tag: r.tag } : {}), ...(r.artifactType ? { artifactType: r.artifactType } : {}) };
    try {
      const result = await run.copyImage(await openSource(at(source, r.digest), ctx), await openSink(at(destination, r.tag === undefined ? r.digest : undefined, r.tag), ctx));
      out.push({ ...base, status: result.status, ...(result.error ? { error: result.error.message, code: result.error.code } : {}) });
      if (result.status !== 'failed' && r.scheme === 'oci') landed.push(r);
    } catch (err) {
      out.push({ ...base, status: 'failed', error: (err as Error).message, code: toAirlockError(err).code });
    }
  }
  if (landed.length === 0) return out;
  let writer: ContentWriter | undefined;
  try {
    writer = await openWriter(destination, ctx);
    const lists = writer.listReferrers ? await writer.listReferrers(destination.repository, subject) : [];
    if (lists === null) await addToTagSchema(writer, destination.repository, subject, landed);
  } catch (err) {
    for (const o of out) if (o.scheme === 'oci' && o.status !== 'failed') Object.assign(o, { status: 'failed', error: `listing it in the tag schema index: ${(err as Error).message}`, code: toAirlockError(err).code });
  } finally {
    await writer?.close().catch(() => undefined);
  }
  return out;
}
