/**
 * OCI distribution-spec v1.1, workflow category Pull (spec.md "Pull", "Determining Support",
 * endpoints end-1, end-2, end-3): manifests by tag and digest with GET and HEAD, blobs with
 * GET, HEAD and Range, and the 404s with their codes. Written from spec.md; where the spec's
 * conformance suite (conformance/01_pull_test.go) accepts several answers, so do these tests.
 * The server runs in-process over a fresh temp store; test images are made and pushed here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, expectError, OCI_MANIFEST, pushImage, repoName, sha256, SPEC_ERROR_CODES, startSpecServer, type PushedImage, type SpecServer } from './server.js';

let s: SpecServer;
let img: PushedImage;
const name = repoName('pull');
const tag = 'v1';
const NOWHERE = `sha256:${'0'.repeat(64)}`;

beforeAll(async () => {
  s = await startSpecServer();
  img = await pushImage(s, name, tag);
});

afterAll(async () => {
  await s?.close();
});

describe('Determining Support (end-1)', () => {
  it('end-1 GET /v2/: 200 OK ("If the response is 200 OK, then the registry implements this specification")', async () => {
    const { res } = await call(s, 'GET', '/v2/');
    expect(res.status).toBe(200);
  });
});

describe('Pulling manifests (end-3)', () => {
  it('end-3 GET manifest by tag: 200 with the exact bytes pushed, Docker-Content-Digest of the manifest, Content-Type as pushed', async () => {
    const { res, body } = await call(s, 'GET', `/v2/${name}/manifests/${tag}`, { headers: { accept: OCI_MANIFEST } });
    expect(res.status).toBe(200);
    expect(body.equals(img.manifest)).toBe(true);
    expect(res.headers.get('docker-content-digest')).toBe(img.digest);
    // "The Content-Type header SHOULD match what the client pushed"; "SHOULD NOT include parameters".
    expect(res.headers.get('content-type')).toBe(OCI_MANIFEST);
  });

  it('end-3 GET manifest by digest: 200 with the bytes whose digest was asked for, Docker-Content-Digest equal to it', async () => {
    const { res, body } = await call(s, 'GET', `/v2/${name}/manifests/${img.digest}`, { headers: { accept: OCI_MANIFEST } });
    expect(res.status).toBe(200);
    expect(sha256(body)).toBe(img.digest);
    expect(res.headers.get('docker-content-digest')).toBe(img.digest);
    expect(res.headers.get('content-type')).toBe(OCI_MANIFEST);
  });

  it('end-3 HEAD manifest by tag: 200, Docker-Content-Digest, Content-Length the manifest size, no body', async () => {
    const { res, body } = await call(s, 'HEAD', `/v2/${name}/manifests/${tag}`, { headers: { accept: OCI_MANIFEST } });
    expect(res.status).toBe(200);
    expect(res.headers.get('docker-content-digest')).toBe(img.digest);
    expect(res.headers.get('content-length')).toBe(String(img.manifest.length));
    expect(body.length).toBe(0);
  });

  it('end-3 HEAD manifest by digest: 200, Docker-Content-Digest, Content-Length the manifest size, no body', async () => {
    const { res, body } = await call(s, 'HEAD', `/v2/${name}/manifests/${img.digest}`, { headers: { accept: OCI_MANIFEST } });
    expect(res.status).toBe(200);
    expect(res.headers.get('docker-content-digest')).toBe(img.digest);
    expect(res.headers.get('content-length')).toBe(String(img.manifest.length));
    expect(body.length).toBe(0);
  });

  it('end-3 GET manifest of an unknown tag: 404 MANIFEST_UNKNOWN ("If the manifest is not found in the repository, the response code MUST be 404")', async () => {
    const { res, body } = await call(s, 'GET', `/v2/${name}/manifests/no-such-tag`);
    expectError(res, body, 404, ['MANIFEST_UNKNOWN']);
  });

  it('end-3 HEAD manifest of an unknown tag: 404 without a body', async () => {
    const { res, body } = await call(s, 'HEAD', `/v2/${name}/manifests/no-such-tag`);
    expectError(res, body, 404, [], { head: true });
  });

  it('end-3 GET manifest of an unknown digest: 404 MANIFEST_UNKNOWN', async () => {
    const { res, body } = await call(s, 'GET', `/v2/${name}/manifests/${NOWHERE}`);
    expectError(res, body, 404, ['MANIFEST_UNKNOWN']);
  });

  it('end-3 HEAD manifest of an unknown digest: 404 without a body', async () => {
    const { res, body } = await call(s, 'HEAD', `/v2/${name}/manifests/${NOWHERE}`);
    expectError(res, body, 404, [], { head: true });
  });

  it('end-3 GET manifest by tag in a nonexistent repository: 404 NAME_UNKNOWN or MANIFEST_UNKNOWN ("An attempt to pull a nonexistent repository MUST return response code 404")', async () => {
    const { res, body } = await call(s, 'GET', `/v2/${repoName('never-pushed')}/manifests/${tag}`);
    expectError(res, body, 404, ['NAME_UNKNOWN', 'MANIFEST_UNKNOWN']);
  });

  it('end-3 GET manifest by digest in a nonexistent repository (the manifest lives in another one): 404 ("An attempt to pull a nonexistent repository MUST return response code 404")', async () => {
    const { res, body } = await call(s, 'GET', `/v2/${repoName('never-pushed')}/manifests/${img.digest}`);
    expectError(res, body, 404, ['NAME_UNKNOWN', 'MANIFEST_UNKNOWN']);
  });

  it('end-3 GET manifest by digest in an existing repository that does not hold it: 404 MANIFEST_UNKNOWN ("If the manifest is not found in the repository, the response code MUST be 404")', async () => {
    const other = repoName('other');
    await pushImage(s, other, 'v1');
    const { res, body } = await call(s, 'GET', `/v2/${other}/manifests/${img.digest}`);
    expectError(res, body, 404, ['MANIFEST_UNKNOWN']);
  });

  it('conformance "400 response body should contain OCI-conforming JSON message": GET manifests/sha256:totallywrong is 400 (a spec code) or 404', async () => {
    const { res, body } = await call(s, 'GET', `/v2/${name}/manifests/sha256:totallywrong`);
    expectError(res, body, 400, ['MANIFEST_INVALID']);
  });
});

describe('Pulling blobs (end-2)', () => {
  it('end-2 GET blob: 200 with the blob, Docker-Content-Digest "MUST be a digest matching that of the response body"', async () => {
    const { res, body } = await call(s, 'GET', `/v2/${name}/blobs/${img.layer.digest}`);
    expect(res.status).toBe(200);
    expect(body.equals(img.layerBytes)).toBe(true);
    expect(res.headers.get('docker-content-digest')).toBe(sha256(body));
  });

  it('end-2 GET config blob: 200 with the config bytes', async () => {
    const { res, body } = await call(s, 'GET', `/v2/${name}/blobs/${img.config.digest}`);
    expect(res.status).toBe(200);
    expect(body.equals(img.configBytes)).toBe(true);
  });

  it('end-2 HEAD blob: 200, Docker-Content-Digest, Content-Length the blob size, no body', async () => {
    const { res, body } = await call(s, 'HEAD', `/v2/${name}/blobs/${img.layer.digest}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('docker-content-digest')).toBe(img.layer.digest);
    expect(res.headers.get('content-length')).toBe(String(img.layer.size));
    expect(body.length).toBe(0);
  });

  it('end-2 GET unknown blob: 404 BLOB_UNKNOWN ("If the blob is not found in the repository, the response code MUST be 404")', async () => {
    const { res, body } = await call(s, 'GET', `/v2/${name}/blobs/${NOWHERE}`);
    expectError(res, body, 404, ['BLOB_UNKNOWN']);
  });

  it('end-2 HEAD unknown blob: 404 without a body', async () => {
    const { res, body } = await call(s, 'HEAD', `/v2/${name}/blobs/${NOWHERE}`);
    expectError(res, body, 404, [], { head: true });
  });

  it('end-2 GET blob in a nonexistent repository (the blob lives in another one): 404 ("An attempt to pull a nonexistent repository MUST return response code 404")', async () => {
    const { res, body } = await call(s, 'GET', `/v2/${repoName('never-pushed')}/blobs/${img.layer.digest}`);
    expectError(res, body, 404, ['NAME_UNKNOWN', 'BLOB_UNKNOWN']);
  });

  it('end-2 Range (RFC 9110) bytes=0-9: 206 with Content-Range bytes 0-9/<size> and those 10 bytes', async () => {
    const { res, body } = await call(s, 'GET', `/v2/${name}/blobs/${img.layer.digest}`, { headers: { range: 'bytes=0-9' } });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe(`bytes 0-9/${img.layer.size}`);
    expect(body.equals(img.layerBytes.subarray(0, 10))).toBe(true);
  });

  it('end-2 Range in the middle, open-ended and suffix ranges: 206 with exactly those bytes', async () => {
    const size = img.layer.size;
    const cases: [string, number, number][] = [
      ['bytes=100-199', 100, 199],
      [`bytes=${size - 10}-`, size - 10, size - 1],
      ['bytes=-16', size - 16, size - 1],
    ];
    for (const [range, start, end] of cases) {
      const { res, body } = await call(s, 'GET', `/v2/${name}/blobs/${img.layer.digest}`, { headers: { range } });
      expect(res.status, range).toBe(206);
      expect(res.headers.get('content-range'), range).toBe(`bytes ${start}-${end}/${size}`);
      expect(body.equals(img.layerBytes.subarray(start, end + 1)), range).toBe(true);
    }
  });

  it('end-2 Range past the end: 416 with Content-Range bytes */<size> (RFC 9110)', async () => {
    const { res } = await call(s, 'GET', `/v2/${name}/blobs/${img.layer.digest}`, { headers: { range: `bytes=${img.layer.size + 10}-${img.layer.size + 20}` } });
    expect(res.status).toBe(416);
    expect(res.headers.get('content-range')).toBe(`bytes */${img.layer.size}`);
  });
});
