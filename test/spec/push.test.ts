/**
 * OCI distribution-spec v1.1, workflow category Push (spec.md "Push": "Pushing blobs",
 * "Pushing a blob monolithically", "Pushing a blob in chunks", "Mounting a blob from another
 * repository", "Pushing Manifests", "Pushing Manifests with Subject"; endpoints end-4a, end-4b,
 * end-5, end-6, end-7, end-11, end-13), plus cancelling an upload (DELETE on the session, from
 * the spec's historical detail.md). Written from spec.md; where the conformance suite
 * (conformance/02_push_test.go) accepts several answers, so do these tests. Every blob and
 * manifest is made here (random bytes, sha256 by node:crypto) and pushed through the API of an
 * in-process server over a fresh temp store.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  call,
  descOf,
  expectBlobAbsent,
  expectError,
  expectNothingStored,
  expectSpecShapeIfJson,
  imageIndex,
  imageManifest,
  OCI_CONFIG,
  OCI_INDEX,
  OCI_LAYER,
  OCI_MANIFEST,
  pushBlob,
  pushImage,
  putManifest,
  randomConfig,
  randomLayer,
  repoName,
  sha256,
  snapshot,
  startSpecServer,
  startUpload,
  urlOf,
  withDigest,
  type SpecServer,
} from './server.js';

let s: SpecServer;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

beforeAll(async () => {
  s = await startSpecServer();
});

afterAll(async () => {
  await s?.close();
});

/** GET of `url` answers 200 with exactly `bytes`. */
async function expectPullable(url: URL, bytes: Buffer): Promise<void> {
  const res = await fetch(url);
  const body = Buffer.from(await res.arrayBuffer());
  expect(res.status, `GET ${url.pathname}`).toBe(200);
  expect(body.equals(bytes), `body of ${url.pathname}`).toBe(true);
}

/** PATCH one chunk with Content-Range and Content-Length. */
async function patchChunk(url: URL, chunk: Buffer, start: number): Promise<{ res: Response; body: Buffer }> {
  const res = await fetch(url, {
    method: 'PATCH',
    headers: { 'content-type': 'application/octet-stream', 'content-range': `${start}-${start + chunk.length - 1}`, 'content-length': String(chunk.length) },
    body: chunk,
  });
  return { res, body: Buffer.from(await res.arrayBuffer()) };
}

describe('Pushing a blob monolithically: POST then PUT (end-4a, end-6)', () => {
  it('end-4a POST /v2/<name>/blobs/uploads/: 202 Accepted with a Location that "MUST contain a UUID representing a unique session ID"', async () => {
    const name = repoName('post');
    const a = await fetch(`${s.base}/v2/${name}/blobs/uploads/`, { method: 'POST', headers: { 'content-length': '0' } });
    const b = await fetch(`${s.base}/v2/${name}/blobs/uploads/`, { method: 'POST', headers: { 'content-length': '0' } });
    await Promise.all([a.arrayBuffer(), b.arrayBuffer()]);
    expect(a.status).toBe(202);
    expect(b.status).toBe(202);
    const la = a.headers.get('location');
    const lb = b.headers.get('location');
    expect(la).toMatch(UUID);
    expect(lb).toMatch(UUID);
    expect(UUID.exec(la!)![0]).not.toBe(UUID.exec(lb!)![0]);
  });

  it('end-6 PUT <location>?digest=<digest>: 201 Created, Location a pullable blob URL, Docker-Content-Digest the digest', async () => {
    const name = repoName('put');
    const bytes = randomLayer(3000);
    const digest = sha256(bytes);
    const res = await fetch(withDigest(await startUpload(s, name), digest), { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: bytes });
    await res.arrayBuffer();
    expect(res.status).toBe(201);
    expect(res.headers.get('docker-content-digest')).toBe(digest);
    await expectPullable(urlOf(s, res.headers.get('location')), bytes);
    await expectPullable(new URL(`/v2/${name}/blobs/${digest}`, s.base), bytes);
  });

  it('end-6 PUT with a digest the bytes do not have: 400 DIGEST_INVALID ("provided digest did not match uploaded content"), nothing stored', async () => {
    const name = repoName('put-bad');
    const bytes = randomLayer(1000);
    const claimed = sha256(randomLayer(1000));
    const before = await snapshot(s);
    const res = await fetch(withDigest(await startUpload(s, name), claimed), { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: bytes });
    expectError(res, Buffer.from(await res.arrayBuffer()), 400, ['DIGEST_INVALID']);
    await expectBlobAbsent(s, name, claimed);
    await expectBlobAbsent(s, name, sha256(bytes));
    await expectNothingStored(s, before);
  });
});

describe('Pushing a blob monolithically: single POST (end-4b)', () => {
  it('end-4b POST /v2/<name>/blobs/uploads/?digest=<digest> with the blob: 201 with Location (or 202 with Location, then the blob is not there yet — as the suite accepts)', async () => {
    const name = repoName('single-post');
    const bytes = randomConfig();
    const digest = sha256(bytes);
    const res = await fetch(`${s.base}/v2/${name}/blobs/uploads/?digest=${digest}`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: bytes });
    await res.arrayBuffer();
    expect([201, 202]).toContain(res.status);
    const location = urlOf(s, res.headers.get('location'));
    const get = await call(s, 'GET', `/v2/${name}/blobs/${digest}`);
    if (res.status === 202) {
      expect(get.res.status).toBe(404);
    } else {
      expect(get.res.status).toBe(200);
      expect(get.body.equals(bytes)).toBe(true);
      await expectPullable(location, bytes);
    }
  });

  it('end-4b single POST with a digest the bytes do not have: 400 DIGEST_INVALID, nothing stored', async () => {
    const name = repoName('single-post-bad');
    const bytes = randomLayer(500);
    const claimed = sha256(randomLayer(500));
    const before = await snapshot(s);
    const res = await fetch(`${s.base}/v2/${name}/blobs/uploads/?digest=${claimed}`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: bytes });
    expectError(res, Buffer.from(await res.arrayBuffer()), 400, ['DIGEST_INVALID']);
    await expectBlobAbsent(s, name, claimed);
    await expectBlobAbsent(s, name, sha256(bytes));
    await expectNothingStored(s, before);
  });
});

describe('Pushing a blob in chunks (end-5, end-6, end-13)', () => {
  it('conformance "Blob Upload Streamed": PATCH with the blob and no Content-Range is 202 with Location; the closing PUT ?digest is 201', async () => {
    const name = repoName('streamed');
    const bytes = randomLayer(4096);
    const digest = sha256(bytes);
    const patch = await fetch(await startUpload(s, name), { method: 'PATCH', headers: { 'content-type': 'application/octet-stream' }, body: bytes });
    await patch.arrayBuffer();
    expect(patch.status).toBe(202);
    const put = await fetch(withDigest(urlOf(s, patch.headers.get('location')), digest), { method: 'PUT', headers: { 'content-type': 'application/octet-stream', 'content-length': '0' } });
    await put.arrayBuffer();
    expect(put.status).toBe(201);
    expect(put.headers.get('location')).toBeTruthy();
    await expectPullable(new URL(`/v2/${name}/blobs/${digest}`, s.base), bytes);
  });

  it('end-5 PATCH chunks with Content-Range and Content-Length: each 202 with Location and "Range: 0-<end-of-range>"; the closing PUT ?digest (no body) is 201 with Location, the blob whole', async () => {
    const name = repoName('chunked');
    const bytes = randomLayer(5000);
    const digest = sha256(bytes);
    let url = await startUpload(s, name);
    let offset = 0;
    for (const size of [2000, 2000, 1000]) {
      const chunk = bytes.subarray(offset, offset + size);
      const { res } = await patchChunk(url, chunk, offset);
      expect(res.status).toBe(202);
      expect(res.headers.get('range')).toBe(`0-${offset + size - 1}`);
      url = urlOf(s, res.headers.get('location'));
      offset += size;
    }
    const put = await fetch(withDigest(url, digest), { method: 'PUT', headers: { 'content-type': 'application/octet-stream', 'content-length': '0' } });
    await put.arrayBuffer();
    expect(put.status).toBe(201);
    expect(put.headers.get('docker-content-digest')).toBe(digest);
    await expectPullable(urlOf(s, put.headers.get('location')), bytes);
  });

  it('end-6 the final chunk in the closing PUT (with Content-Range): 201, the blob whole ("The final chunk MAY be uploaded ... in the closing PUT request")', async () => {
    const name = repoName('chunked-put');
    const bytes = randomLayer(3000);
    const digest = sha256(bytes);
    const first = await patchChunk(await startUpload(s, name), bytes.subarray(0, 1800), 0);
    expect(first.res.status).toBe(202);
    const rest = bytes.subarray(1800);
    const put = await fetch(withDigest(urlOf(s, first.res.headers.get('location')), digest), {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream', 'content-range': `1800-${bytes.length - 1}`, 'content-length': String(rest.length) },
      body: rest,
    });
    await put.arrayBuffer();
    expect(put.status).toBe(201);
    await expectPullable(new URL(`/v2/${name}/blobs/${digest}`, s.base), bytes);
  });

  it('end-5 a chunk out of order (the first PATCH not starting at 0): 416 ("If a chunk is uploaded out of order, the registry MUST respond with a 416")', async () => {
    const name = repoName('out-of-order');
    const bytes = randomLayer(2000);
    const { res, body } = await patchChunk(await startUpload(s, name), bytes.subarray(1000), 1000);
    expect(res.status).toBe(416);
    expectSpecShapeIfJson(res, body);
  });

  it('end-5 a chunk that skips ahead of what was received: 416', async () => {
    const name = repoName('gap');
    const bytes = randomLayer(3000);
    const first = await patchChunk(await startUpload(s, name), bytes.subarray(0, 1000), 0);
    expect(first.res.status).toBe(202);
    const { res, body } = await patchChunk(urlOf(s, first.res.headers.get('location')), bytes.subarray(2000), 2000);
    expect(res.status).toBe(416);
    expectSpecShapeIfJson(res, body);
  });

  it('end-5 conformance "Retry previous blob chunk should return 416"; end-13 then GET <location> is 204 with Location and "Range: 0-<end-of-range>", and the upload goes on from there to a whole blob', async () => {
    const name = repoName('retry');
    const bytes = randomLayer(4000);
    const digest = sha256(bytes);
    const session = await startUpload(s, name);
    const first = await patchChunk(session, bytes.subarray(0, 2500), 0);
    expect(first.res.status).toBe(202);
    expect(first.res.headers.get('range')).toBe('0-2499');
    const retry = await patchChunk(session, bytes.subarray(0, 2500), 0);
    expect(retry.res.status).toBe(416);
    expectSpecShapeIfJson(retry.res, retry.body);
    const status = await fetch(session);
    await status.arrayBuffer();
    expect(status.status).toBe(204);
    expect(status.headers.get('range')).toBe('0-2499');
    const next = await patchChunk(urlOf(s, status.headers.get('location')), bytes.subarray(2500), 2500);
    expect(next.res.status).toBe(202);
    expect(next.res.headers.get('range')).toBe(`0-${bytes.length - 1}`);
    const put = await fetch(withDigest(urlOf(s, next.res.headers.get('location')), digest), { method: 'PUT', headers: { 'content-length': '0' } });
    await put.arrayBuffer();
    expect(put.status).toBe(201);
    await expectPullable(new URL(`/v2/${name}/blobs/${digest}`, s.base), bytes);
  });

  it('end-13 GET of an upload session no one started: 404 BLOB_UPLOAD_UNKNOWN', async () => {
    const name = repoName('no-session');
    const { res, body } = await call(s, 'GET', `/v2/${name}/blobs/uploads/0b7d3f0e-1c5a-4f7e-9d59-3a0c2b1d4e5f`);
    expectError(res, body, 404, ['BLOB_UPLOAD_UNKNOWN']);
  });

  it('end-5 PATCH to an upload session no one started: 404 BLOB_UPLOAD_UNKNOWN, nothing stored', async () => {
    const name = repoName('no-session-patch');
    const before = await snapshot(s);
    const { res, body } = await patchChunk(new URL(`/v2/${name}/blobs/uploads/0b7d3f0e-1c5a-4f7e-9d59-3a0c2b1d4e5f`, s.base), randomLayer(100), 0);
    expectError(res, body, 404, ['BLOB_UPLOAD_UNKNOWN']);
    await expectNothingStored(s, before);
  });

  it('cancel an upload (detail.md "DELETE Blob Upload"): DELETE <location> is 204; the session is then unknown (404 BLOB_UPLOAD_UNKNOWN) and nothing was stored', async () => {
    const name = repoName('cancel');
    const bytes = randomLayer(1500);
    const digest = sha256(bytes);
    const before = await snapshot(s);
    const session = await startUpload(s, name);
    const chunk = await patchChunk(session, bytes, 0);
    expect(chunk.res.status).toBe(202);
    const del = await fetch(session, { method: 'DELETE' });
    await del.arrayBuffer();
    expect(del.status).toBe(204);
    const get = await fetch(session);
    expectError(get, Buffer.from(await get.arrayBuffer()), 404, ['BLOB_UPLOAD_UNKNOWN']);
    const put = await fetch(withDigest(session, digest), { method: 'PUT', headers: { 'content-length': '0' } });
    expectError(put, Buffer.from(await put.arrayBuffer()), 404, ['BLOB_UPLOAD_UNKNOWN']);
    await expectBlobAbsent(s, name, digest);
    await expectNothingStored(s, before);
  });
});

describe('Mounting a blob from another repository (end-11)', () => {
  it('end-11 POST ?mount=<digest>&from=<other_name> of a blob the other repository holds: 201 with Location /v2/<name>/blobs/<digest> (or 202 with an upload session, as the suite accepts)', async () => {
    const from = repoName('mount-from');
    const to = repoName('mount-to');
    const bytes = randomLayer(1200);
    const digest = await pushBlob(s, from, bytes);
    const res = await fetch(`${s.base}/v2/${to}/blobs/uploads/?mount=${digest}&from=${from}`, { method: 'POST', headers: { 'content-length': '0' } });
    await res.arrayBuffer();
    expect([201, 202]).toContain(res.status);
    const location = urlOf(s, res.headers.get('location'));
    if (res.status === 201) {
      expect(location.pathname).toBe(`/v2/${to}/blobs/${digest}`);
      const header = res.headers.get('docker-content-digest');
      if (header !== null) expect(header).toBe(digest);
      await expectPullable(location, bytes);
    } else {
      expect(location.pathname.startsWith(`/v2/${to}/blobs/uploads/`)).toBe(true);
    }
  });

  it('end-11 POST ?mount=<digest> without from of a blob the registry holds: 201 ("The registry MAY treat the from parameter as optional") or 202 with an upload session', async () => {
    const from = repoName('mount-auto-from');
    const to = repoName('mount-auto-to');
    const bytes = randomLayer(900);
    const digest = await pushBlob(s, from, bytes);
    const res = await fetch(`${s.base}/v2/${to}/blobs/uploads/?mount=${digest}`, { method: 'POST', headers: { 'content-length': '0' } });
    await res.arrayBuffer();
    expect([201, 202]).toContain(res.status);
    const location = urlOf(s, res.headers.get('location'));
    if (res.status === 201) await expectPullable(location, bytes);
    else expect(location.pathname.startsWith(`/v2/${to}/blobs/uploads/`)).toBe(true);
  });

  it('end-11 conformance "Cross-mounting of a blob without the from argument should yield session id": mount of an unknown blob, no from, is 202 with Location', async () => {
    const to = repoName('mount-unknown');
    const res = await fetch(`${s.base}/v2/${to}/blobs/uploads/?mount=sha256:${'0'.repeat(64)}`, { method: 'POST', headers: { 'content-length': '0' } });
    await res.arrayBuffer();
    expect(res.status).toBe(202);
    expect(urlOf(s, res.headers.get('location')).pathname.startsWith(`/v2/${to}/blobs/uploads/`)).toBe(true);
  });

  it('end-11 mount of a blob the from repository does not hold: 202 with an upload session ("unable to mount the requested blob, it SHOULD return a 202"), which then takes the upload', async () => {
    const from = repoName('mount-empty-from');
    const to = repoName('mount-empty-to');
    const bytes = randomLayer(700);
    const digest = sha256(bytes);
    const res = await fetch(`${s.base}/v2/${to}/blobs/uploads/?mount=${digest}&from=${from}`, { method: 'POST', headers: { 'content-length': '0' } });
    await res.arrayBuffer();
    expect(res.status).toBe(202);
    const session = urlOf(s, res.headers.get('location'));
    expect(session.pathname.startsWith(`/v2/${to}/blobs/uploads/`)).toBe(true);
    const put = await fetch(withDigest(session, digest), { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: bytes });
    await put.arrayBuffer();
    expect(put.status).toBe(201);
    await expectPullable(new URL(`/v2/${to}/blobs/${digest}`, s.base), bytes);
  });
});

describe('Pushing Manifests (end-7)', () => {
  /** Config and layer pushed to `name`; the descriptors. */
  async function blobsFor(name: string): Promise<{ config: ReturnType<typeof descOf>; layer: ReturnType<typeof descOf> }> {
    const configBytes = randomConfig();
    const layerBytes = randomLayer();
    await pushBlob(s, name, configBytes);
    await pushBlob(s, name, layerBytes);
    return { config: descOf(OCI_CONFIG, configBytes), layer: descOf(OCI_LAYER, layerBytes) };
  }

  it('end-7 PUT manifest by tag: 201 Created, Location a pullable manifest URL, Docker-Content-Digest the manifest digest; GET by tag gives the same bytes', async () => {
    const name = repoName('manifest-tag');
    const { config, layer } = await blobsFor(name);
    const bytes = imageManifest({ config, layers: [layer] });
    const res = await putManifest(s, name, 'v1', bytes);
    await res.arrayBuffer();
    expect(res.status).toBe(201);
    expect(res.headers.get('docker-content-digest')).toBe(sha256(bytes));
    await expectPullable(urlOf(s, res.headers.get('location')), bytes);
    await expectPullable(new URL(`/v2/${name}/manifests/v1`, s.base), bytes);
  });

  it('end-7 PUT manifest by digest: 201, Location, Docker-Content-Digest "MUST be equal to the client provided digest"; GET by digest gives the same bytes', async () => {
    const name = repoName('manifest-digest');
    const { config, layer } = await blobsFor(name);
    const bytes = imageManifest({ config, layers: [layer] });
    const digest = sha256(bytes);
    const res = await putManifest(s, name, digest, bytes);
    await res.arrayBuffer();
    expect(res.status).toBe(201);
    expect(res.headers.get('docker-content-digest')).toBe(digest);
    await expectPullable(urlOf(s, res.headers.get('location')), bytes);
    await expectPullable(new URL(`/v2/${name}/manifests/${digest}`, s.base), bytes);
  });

  it('end-7 "The registry MUST store the manifest in the exact byte representation provided by the client": odd whitespace and key order come back byte for byte', async () => {
    const name = repoName('manifest-bytes');
    const { config, layer } = await blobsFor(name);
    const text = `{\n   "layers" : [ ${JSON.stringify(layer)} ],\n\t"config":${JSON.stringify(config, null, 3)},  "mediaType": "${OCI_MANIFEST}",\n "schemaVersion":2 }\n\n`;
    const bytes = Buffer.from(text);
    const res = await putManifest(s, name, 'odd', bytes);
    await res.arrayBuffer();
    expect(res.status).toBe(201);
    expect(res.headers.get('docker-content-digest')).toBe(sha256(bytes));
    await expectPullable(new URL(`/v2/${name}/manifests/odd`, s.base), bytes);
    await expectPullable(new URL(`/v2/${name}/manifests/${sha256(bytes)}`, s.base), bytes);
  });

  it('end-7 conformance "PUT should accept a manifest upload": the same manifest under four tags, each 201 with Location, each tag resolving to it', async () => {
    const name = repoName('four-tags');
    const { config, layer } = await blobsFor(name);
    const bytes = imageManifest({ config, layers: [layer] });
    for (let i = 0; i < 4; i++) {
      const res = await putManifest(s, name, `test${i}`, bytes);
      await res.arrayBuffer();
      expect(res.status).toBe(201);
      expect(res.headers.get('location')).toBeTruthy();
    }
    for (let i = 0; i < 4; i++) await expectPullable(new URL(`/v2/${name}/manifests/test${i}`, s.base), bytes);
  });

  it('end-7 an image index by tag: 201, GET gives it back with its media type', async () => {
    const name = repoName('index');
    const a = await pushImage(s, name);
    const b = await pushImage(s, name);
    const bytes = imageIndex({ manifests: [a.desc, b.desc] });
    const res = await putManifest(s, name, 'multi', bytes, OCI_INDEX);
    await res.arrayBuffer();
    expect(res.status).toBe(201);
    const { res: get, body } = await call(s, 'GET', `/v2/${name}/manifests/multi`, { headers: { accept: OCI_INDEX } });
    expect(get.status).toBe(200);
    expect(body.equals(bytes)).toBe(true);
    expect(get.headers.get('content-type')).toBe(OCI_INDEX);
  });

  it('end-7 conformance "Registry should accept a manifest upload with no layers": 201 with Location (the suite only warns otherwise; "the list of blobs MAY be empty")', async () => {
    const name = repoName('no-layers');
    const configBytes = randomConfig();
    await pushBlob(s, name, configBytes);
    const bytes = imageManifest({ config: descOf(OCI_CONFIG, configBytes), layers: [] });
    const res = await putManifest(s, name, 'empty', bytes);
    const body = Buffer.from(await res.arrayBuffer());
    if (res.status === 201) expect(res.headers.get('location')).toBeTruthy();
    else expectError(res, body, [400, 404], ['MANIFEST_INVALID', 'UNSUPPORTED']);
  });

  it('Pushing Manifests: a manifest naming a blob the registry does not hold is accepted, or refused with MANIFEST_BLOB_UNKNOWN ("it MUST result in one or more MANIFEST_BLOB_UNKNOWN errors")', async () => {
    const name = repoName('missing-blob');
    const configBytes = randomConfig();
    await pushBlob(s, name, configBytes);
    const missing = descOf(OCI_LAYER, randomLayer());
    const bytes = imageManifest({ config: descOf(OCI_CONFIG, configBytes), layers: [missing] });
    const before = await snapshot(s);
    const res = await putManifest(s, name, 'broken', bytes);
    const body = Buffer.from(await res.arrayBuffer());
    if (res.status !== 201) {
      const codes = expectError(res, body, [400, 404], ['MANIFEST_BLOB_UNKNOWN']);
      expect(codes.every((c) => c === 'MANIFEST_BLOB_UNKNOWN')).toBe(true);
      expect((await call(s, 'GET', `/v2/${name}/manifests/broken`)).res.status).toBe(404);
      expect((await call(s, 'GET', `/v2/${name}/manifests/${sha256(bytes)}`)).res.status).toBe(404);
      await expectNothingStored(s, before);
    }
  });

  it('Pushing Manifests: an index naming a manifest the registry does not hold is accepted, or refused with MANIFEST_BLOB_UNKNOWN', async () => {
    const name = repoName('missing-child');
    const missing = descOf(OCI_MANIFEST, imageManifest({ config: descOf(OCI_CONFIG, randomConfig()), layers: [] }));
    const bytes = imageIndex({ manifests: [missing] });
    const before = await snapshot(s);
    const res = await putManifest(s, name, 'broken', bytes, OCI_INDEX);
    const body = Buffer.from(await res.arrayBuffer());
    if (res.status !== 201) {
      expectError(res, body, [400, 404], ['MANIFEST_BLOB_UNKNOWN']);
      expect((await call(s, 'GET', `/v2/${name}/manifests/broken`)).res.status).toBe(404);
      await expectNothingStored(s, before);
    }
  });

  it('end-7 PUT by a digest the manifest does not have: 400 DIGEST_INVALID (Docker-Content-Digest "MUST be equal to the client provided digest"), nothing stored', async () => {
    const name = repoName('manifest-wrong-digest');
    const { config, layer } = await blobsFor(name);
    const bytes = imageManifest({ config, layers: [layer] });
    const claimed = sha256(randomBytes(64));
    const before = await snapshot(s);
    const res = await putManifest(s, name, claimed, bytes);
    expectError(res, Buffer.from(await res.arrayBuffer()), 400, ['DIGEST_INVALID']);
    for (const ref of [claimed, sha256(bytes)]) {
      const { res: get, body } = await call(s, 'GET', `/v2/${name}/manifests/${ref}`);
      expectError(get, body, 404, ['MANIFEST_UNKNOWN', 'NAME_UNKNOWN']);
    }
    await expectNothingStored(s, before);
  });

  it('end-7 a manifest over 4 MiB: 413 Payload Too Large ("SHOULD respond ... with a response code 413"), SIZE_INVALID when the body is JSON, nothing stored', async () => {
    const name = repoName('huge');
    const { config, layer } = await blobsFor(name);
    const filler = 'x'.repeat(4 * 1024 * 1024 + 1024);
    const bytes = imageManifest({ config, layers: [layer], annotations: { filler } });
    const before = await snapshot(s);
    const res = await putManifest(s, name, 'huge', bytes);
    const body = Buffer.from(await res.arrayBuffer());
    expect(res.status).toBe(413);
    if (body.length > 0) expectError(res, body, 413, ['SIZE_INVALID']);
    expect((await call(s, 'GET', `/v2/${name}/manifests/huge`)).res.status).toBe(404);
    await expectNothingStored(s, before);
  });

  it('end-7 a manifest just under 4 MB is taken ("SHOULD expect to be able to support manifest pushes of at least 4 megabytes")', async () => {
    const name = repoName('big');
    const { config, layer } = await blobsFor(name);
    const base = imageManifest({ config, layers: [layer], annotations: { filler: '' } }).length;
    const bytes = imageManifest({ config, layers: [layer], annotations: { filler: 'y'.repeat(4_000_000 - base) } });
    expect(bytes.length).toBe(4_000_000);
    const res = await putManifest(s, name, 'big', bytes);
    await res.arrayBuffer();
    expect(res.status).toBe(201);
    await expectPullable(new URL(`/v2/${name}/manifests/big`, s.base), bytes);
  });
});

describe('Pushing Manifests with Subject (end-7)', () => {
  it('end-7 an image manifest whose subject does not exist: "MUST initially accept" it (201) and answer "OCI-Subject: <subject digest>"', async () => {
    const name = repoName('subject-missing');
    const subject = descOf(OCI_MANIFEST, imageManifest({ config: descOf(OCI_CONFIG, randomConfig()), layers: [] }));
    const configBytes = randomConfig();
    await pushBlob(s, name, configBytes);
    const bytes = imageManifest({ config: descOf(OCI_CONFIG, configBytes), layers: [], subject, artifactType: 'application/vnd.example.sbom.v1' });
    const before = await call(s, 'GET', `/v2/${name}/manifests/${subject.digest}`);
    expect(before.res.status, 'the subject is not there').toBe(404);
    const again = await putManifest(s, name, sha256(bytes), bytes);
    await again.arrayBuffer();
    expect(again.status).toBe(201);
    expect(again.headers.get('oci-subject')).toBe(subject.digest);
  });

  it('end-7 an image manifest with a subject that exists: 201 with "OCI-Subject: <subject digest>"', async () => {
    const name = repoName('subject');
    const target = await pushImage(s, name, 'v1');
    const configBytes = randomConfig();
    await pushBlob(s, name, configBytes);
    const bytes = imageManifest({ config: descOf('application/vnd.example.signature.v1', configBytes), layers: [], subject: target.desc });
    const res = await putManifest(s, name, sha256(bytes), bytes);
    await res.arrayBuffer();
    expect(res.status).toBe(201);
    expect(res.headers.get('oci-subject')).toBe(target.digest);
  });

  it('end-7 an image index with a subject: 201 with "OCI-Subject: <subject digest>"', async () => {
    const name = repoName('subject-index');
    const target = await pushImage(s, name, 'v1');
    const child = await pushImage(s, name);
    const bytes = imageIndex({ manifests: [child.desc], subject: target.desc, annotations: { 'org.example.kind': 'bundle' } });
    const res = await putManifest(s, name, sha256(bytes), bytes, OCI_INDEX);
    await res.arrayBuffer();
    expect(res.status).toBe(201);
    expect(res.headers.get('oci-subject')).toBe(target.digest);
  });
});
