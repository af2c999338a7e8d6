/**
 * OCI distribution-spec v1.1, workflow category Content Management (spec.md "Deleting tags",
 * "Deleting Manifests", "Deleting Blobs"; endpoints end-9, end-10): DELETE of a tag, of a
 * manifest by digest, of a blob, and what GET answers afterwards. Written from spec.md; the
 * statuses accepted are the conformance suite's (conformance/04_management_test.go: 202, or
 * 400 UNSUPPORTED / 405 when deletion is disabled; 404 for a blob the registry may already have
 * dropped), and once a DELETE answered 202 the spec's "will return a 404" is held to.
 * In-process server over a fresh temp store; images made and pushed here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, expectError, pushBlob, pushImage, putManifest, randomLayer, repoName, sha256, startSpecServer, type SpecServer } from './server.js';

let s: SpecServer;
const NOWHERE = `sha256:${'0'.repeat(64)}`;

beforeAll(async () => {
  s = await startSpecServer();
});

afterAll(async () => {
  await s?.close();
});

/** The tags of `name` (asserts 200). */
async function tagsOf(name: string): Promise<string[]> {
  const { res, body } = await call(s, 'GET', `/v2/${name}/tags/list`);
  expect(res.status, body.toString()).toBe(200);
  return (JSON.parse(body.toString()) as { tags: string[] }).tags;
}

describe('Deleting tags (end-9)', () => {
  it('end-9 DELETE /v2/<name>/manifests/<tag>: 202 (400 UNSUPPORTED or 405 if tag deletion is disabled); once deleted, GET of the tag is 404 MANIFEST_UNKNOWN and the tag list shrinks', async () => {
    const name = repoName('del-tag');
    const img = await pushImage(s, name, 'tagtest0');
    const keep = await putManifest(s, name, 'keep', img.manifest);
    await keep.arrayBuffer();
    expect(keep.status).toBe(201);
    const before = await tagsOf(name);
    const { res, body } = await call(s, 'DELETE', `/v2/${name}/manifests/tagtest0`);
    expect(res.status, body.toString()).toBe(202);
    const get = await call(s, 'GET', `/v2/${name}/manifests/tagtest0`);
    expectError(get.res, get.body, 404, ['MANIFEST_UNKNOWN']);
    const after = await tagsOf(name);
    expect(after.length).toBeLessThan(before.length);
    expect(after).toEqual(['keep']);
    // Untagging leaves the other tag of the same manifest alone.
    expect((await call(s, 'GET', `/v2/${name}/manifests/keep`)).res.status).toBe(200);
  });

  it('end-9 DELETE of a tag the repository does not have: 404 MANIFEST_UNKNOWN (or 400/405 when disabled)', async () => {
    const name = repoName('del-tag-unknown');
    await pushImage(s, name, 'v1');
    const { res, body } = await call(s, 'DELETE', `/v2/${name}/manifests/no-such-tag`);
    expectError(res, body, 404, ['MANIFEST_UNKNOWN']);
  });
});

describe('Deleting Manifests (end-9)', () => {
  it('end-9 DELETE /v2/<name>/manifests/<digest> of a tagged manifest: 202 (or 404 when the tag delete already took it, as the suite allows; 400/405 when disabled); once deleted, GET by digest and by every tag pointing at it is 404', async () => {
    const name = repoName('del-digest');
    const img = await pushImage(s, name, 'a');
    const b = await putManifest(s, name, 'b', img.manifest);
    await b.arrayBuffer();
    expect(b.status).toBe(201);
    const { res, body } = await call(s, 'DELETE', `/v2/${name}/manifests/${img.digest}`);
    expect(res.status, body.toString()).toBe(202);
    for (const ref of [img.digest, 'a', 'b']) {
      const get = await call(s, 'GET', `/v2/${name}/manifests/${ref}`);
      expectError(get.res, get.body, 404, ['MANIFEST_UNKNOWN', 'NAME_UNKNOWN']);
      const head = await call(s, 'HEAD', `/v2/${name}/manifests/${ref}`);
      expect(head.res.status, `HEAD ${ref}`).toBe(404);
    }
  });

  it('end-9 DELETE by digest of a manifest pushed only by digest: 202 ("Upon success, the registry MUST respond with a 202 Accepted"; 400/405 when disabled); then GET by digest is 404', async () => {
    const name = repoName('del-untagged');
    await pushImage(s, name, 'other');
    const img = await pushImage(s, name);
    expect((await call(s, 'GET', `/v2/${name}/manifests/${img.digest}`)).res.status).toBe(200);
    const { res, body } = await call(s, 'DELETE', `/v2/${name}/manifests/${img.digest}`);
    expect(res.status, body.toString()).toBe(202);
    const get = await call(s, 'GET', `/v2/${name}/manifests/${img.digest}`);
    expectError(get.res, get.body, 404, ['MANIFEST_UNKNOWN']);
  });

  it('end-9 conformance "DELETE request to manifest (digest) should yield 202 response unless already deleted": after the tag delete, 202 or 404', async () => {
    const name = repoName('del-after-tag');
    const img = await pushImage(s, name, 'tagtest0');
    const tagDel = await call(s, 'DELETE', `/v2/${name}/manifests/tagtest0`);
    expect(tagDel.res.status).toBe(202);
    // The manifest stays in the repository by digest until deleted by digest.
    const { res, body } = await call(s, 'DELETE', `/v2/${name}/manifests/${img.digest}`);
    expect(res.status, body.toString()).toBe(202);
    // "GET request to deleted manifest URL should yield 404 response, unless delete is disallowed"
    const get = await call(s, 'GET', `/v2/${name}/manifests/${img.digest}`);
    expect(get.res.status).toBe(404);
  });

  it('end-9 DELETE by digest of a manifest the repository never held: 404 MANIFEST_UNKNOWN', async () => {
    const name = repoName('del-digest-unknown');
    await pushImage(s, name, 'v1');
    const { res, body } = await call(s, 'DELETE', `/v2/${name}/manifests/${NOWHERE}`);
    expectError(res, body, 404, ['MANIFEST_UNKNOWN']);
  });

  it('end-9 DELETE in a repository that does not exist: "the response MUST return 404 Not Found"', async () => {
    const { res, body } = await call(s, 'DELETE', `/v2/${repoName('never-pushed')}/manifests/${NOWHERE}`);
    expectError(res, body, 404, ['NAME_UNKNOWN', 'MANIFEST_UNKNOWN']);
  });
});

describe('Deleting Blobs (end-10)', () => {
  it('end-10 DELETE /v2/<name>/blobs/<digest>: 202 (404 or 405 as the suite accepts); once deleted (202), GET and HEAD of the blob are 404 BLOB_UNKNOWN', async () => {
    const name = repoName('del-blob');
    const img = await pushImage(s, name, 'v1');
    // While the tagged image uses them, its blobs are not deleted (405, as the suite accepts).
    for (const digest of [img.config.digest, img.layer.digest]) {
      const { res, body } = await call(s, 'DELETE', `/v2/${name}/blobs/${digest}`);
      expectError(res, body, 405, ['UNSUPPORTED']);
    }
    expect((await call(s, 'DELETE', `/v2/${name}/manifests/${img.digest}`)).res.status).toBe(202);
    for (const digest of [img.config.digest, img.layer.digest]) {
      const { res, body } = await call(s, 'DELETE', `/v2/${name}/blobs/${digest}`);
      expect(res.status, body.toString()).toBe(202);
    }
    for (const digest of [img.config.digest, img.layer.digest]) {
      const get = await call(s, 'GET', `/v2/${name}/blobs/${digest}`);
      expectError(get.res, get.body, 404, ['BLOB_UNKNOWN']);
      expect((await call(s, 'HEAD', `/v2/${name}/blobs/${digest}`)).res.status).toBe(404);
    }
  });

  it('end-10 DELETE of a blob no manifest uses: 202 (405 when disabled); then GET is 404', async () => {
    const name = repoName('del-loose-blob');
    await pushImage(s, name, 'v1');
    const digest = await pushBlob(s, name, randomLayer(512));
    const { res, body } = await call(s, 'DELETE', `/v2/${name}/blobs/${digest}`);
    expect(res.status, body.toString()).toBe(202);
    const get = await call(s, 'GET', `/v2/${name}/blobs/${digest}`);
    expectError(get.res, get.body, 404, ['BLOB_UNKNOWN']);
  });

  it('end-10 DELETE of a blob the registry does not hold: "If the blob is not found, a 404 Not Found code MUST be returned" (BLOB_UNKNOWN; 400/405 when disabled)', async () => {
    const name = repoName('del-blob-unknown');
    await pushImage(s, name, 'v1');
    const { res, body } = await call(s, 'DELETE', `/v2/${name}/blobs/${sha256(randomLayer(64))}`);
    expectError(res, body, 404, ['BLOB_UNKNOWN']);
  });
});
