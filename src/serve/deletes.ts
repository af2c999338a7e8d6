/**
 * DELETE in the distribution API, over the one blob store every repository shares (see
 * repositories.ts). A tag is untagged. A manifest by digest leaves the repository: every tag
 * of it that points there, its link, and its unnamed entry (an artifact pushed with a
 * subject); a blob leaves the repository, refused (405) while an image tagged there uses it.
 * Bytes go from the store once no image anywhere reaches them and no other repository holds
 * them.
 */
import { promises as fs } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { isDigest, type Digest } from '../oci/digest.js';
import { entryName } from '../transport/layout/index-file.js';
import { sendError } from './errors.js';
import { readManifest } from './manifests.js';
import type { PushTarget } from './push.js';
import { API_VERSION } from './routes.js';

function accepted(res: ServerResponse): void {
  res.writeHead(202, { ...API_VERSION, 'content-length': 0 });
  res.end();
}

/** Removes the bytes of `digest` (already unlinked from its repository) unless another repository links it or an image reaches it. */
async function dropIfUnused(t: PushTarget, digest: Digest, linkedElsewhere: boolean): Promise<void> {
  if (linkedElsewhere || (await t.repos.reachedAnywhere(digest))) return;
  await fs.unlink(t.layout.blobPath(digest)).catch(() => undefined);
}

/** Answers `DELETE /v2/<name>/manifests/<reference>`: 202, or MANIFEST_UNKNOWN (404). */
export async function handleManifestDelete(t: PushTarget, res: ServerResponse, name: string, reference: string): Promise<void> {
  if (!isDigest(reference)) {
    if (!(await t.layout.removeRef(`${name}:${reference}`))) return sendError(res, false, 404, 'MANIFEST_UNKNOWN', `manifest unknown: ${name}:${reference}`);
    return accepted(res);
  }
  // A layer's digest is never a manifest, whatever the path says.
  if (!(await readManifest(t.layout, name, reference)) || !(await t.repos.holds(name, reference))) {
    return sendError(res, false, 404, 'MANIFEST_UNKNOWN', `manifest unknown: ${name}@${reference}`);
  }
  for (const tag of await t.layout.refs.tags(name)) {
    if ((await t.layout.findRef(`${name}:${tag}`))?.digest === reference) await t.layout.removeRef(`${name}:${tag}`);
  }
  await t.repos.unlink(name, reference);
  const elsewhere = await t.repos.linkedElsewhere(reference, name);
  if (!elsewhere) {
    await t.layout.updateIndex((index) => {
      index.manifests = index.manifests.filter((m) => m.digest !== reference || entryName(m) !== undefined);
    });
  }
  await dropIfUnused(t, reference, elsewhere);
  accepted(res);
}

/** Answers `DELETE /v2/<name>/blobs/<digest>`: 202 when it left the repository, 405 while an image there uses it, BLOB_UNKNOWN (404). */
export async function handleBlobDelete(t: PushTarget, res: ServerResponse, name: string, digest: Digest): Promise<void> {
  if ((await t.layout.hasBlob(digest)) === null || !(await t.repos.holds(name, digest))) return sendError(res, false, 404, 'BLOB_UNKNOWN', `blob unknown to ${name}: ${digest}`);
  if (await t.repos.reached(name, digest)) {
    res.setHeader('allow', 'GET, HEAD');
    return sendError(res, false, 405, 'UNSUPPORTED', `blob ${digest} is used by an image tagged in ${name}: delete the image first`);
  }
  await t.repos.unlink(name, digest);
  await dropIfUnused(t, digest, await t.repos.linkedElsewhere(digest, name));
  accepted(res);
}
