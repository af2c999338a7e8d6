/**
 * DELETE in the distribution API, over the one blob store every repository shares. A tag is
 * untagged. A manifest by digest loses every tag of the repository that points at it (and
 * its unnamed entry, for an artifact pushed with a subject); its bytes go once no image in
 * the store reaches them any more. A blob goes only when no image reaches it: deleting a
 * layer an image still uses would break that image, so it is refused (405).
 */
import { promises as fs } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { isDigest, type Digest } from '../oci/digest.js';
import { reachable } from '../store/content.js';
import { entryName } from '../transport/layout/index-file.js';
import { sendError } from './errors.js';
import { readManifest } from './manifests.js';
import type { PushTarget } from './push.js';
import { API_VERSION } from './routes.js';

function accepted(res: ServerResponse): void {
  res.writeHead(202, { ...API_VERSION, 'content-length': 0 });
  res.end();
}

/** True when some image the store names (or keeps unnamed) reaches `digest`. */
async function inUse(t: PushTarget, digest: Digest): Promise<boolean> {
  return (await reachable(t.layout, (await t.layout.readIndex()).manifests)).has(digest);
}

/** Removes the blob file of `digest` unless an image reaches it; true when it went. */
async function dropIfUnused(t: PushTarget, digest: Digest): Promise<boolean> {
  if ((await t.layout.hasBlob(digest)) === null || (await inUse(t, digest))) return false;
  await fs.unlink(t.layout.blobPath(digest)).catch(() => undefined);
  return true;
}

/** Answers `DELETE /v2/<name>/manifests/<reference>`: 202, or MANIFEST_UNKNOWN (404). */
export async function handleManifestDelete(t: PushTarget, res: ServerResponse, name: string, reference: string): Promise<void> {
  let removed = false;
  if (isDigest(reference)) {
    for (const tag of await t.layout.refs.tags(name)) {
      const d = await t.layout.findRef(`${name}:${tag}`);
      if (d?.digest === reference) removed = (await t.layout.removeRef(`${name}:${tag}`)) || removed;
    }
    await t.layout.updateIndex((index) => {
      const kept = index.manifests.filter((m) => m.digest !== reference || entryName(m) !== undefined);
      removed = removed || kept.length !== index.manifests.length;
      index.manifests = kept;
    });
    // A manifest pushed by digest alone has no entry: its bytes are what is deleted (a layer's never).
    if (await readManifest(t.layout, name, reference)) removed = (await dropIfUnused(t, reference)) || removed;
  } else {
    removed = await t.layout.removeRef(`${name}:${reference}`);
  }
  if (!removed) return sendError(res, false, 404, 'MANIFEST_UNKNOWN', `manifest unknown: ${name}:${reference}`);
  accepted(res);
}

/** Answers `DELETE /v2/<name>/blobs/<digest>`: 202 when it went, 405 while an image uses it, BLOB_UNKNOWN (404). */
export async function handleBlobDelete(t: PushTarget, res: ServerResponse, digest: Digest): Promise<void> {
  if ((await t.layout.hasBlob(digest)) === null) return sendError(res, false, 404, 'BLOB_UNKNOWN', `blob unknown: ${digest}`);
  if (!(await dropIfUnused(t, digest))) {
    res.setHeader('allow', 'GET, HEAD');
    return sendError(res, false, 405, 'UNSUPPORTED', `blob ${digest} is used by an image in this registry: delete the image first`);
  }
  accepted(res);
}
