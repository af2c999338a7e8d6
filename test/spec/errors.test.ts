/**
 * OCI distribution-spec v1.1 "Error Codes" (the JSON error body `{"errors":[{"code","message",
 * "detail"}]}`, codes code-1 .. code-14) and bad input a registry must refuse without storing
 * anything: repository names the spec's `<name>` pattern does not allow (NAME_INVALID: upper
 * case, `..`, over-long), digests with algorithms no one registered (`md5:`, `sha999:`),
 * manifests that are not JSON or not manifests (MANIFEST_INVALID), bodies longer or shorter
 * than their Content-Length, and paths that try to leave the store (`..`, percent-encoded or
 * not). Each refusal is checked to have stored nothing: no new file under the store's blobs/,
 * index.json unchanged, nothing new beside the store, and a GET of the content's digest 404.
 * Written from spec.md; requests fetch would normalise or refuse to send go over a raw socket.
 * In-process server over a fresh temp store.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  call,
  checkErrorBody,
  descOf,
  expectBlobAbsent,
  expectError,
  expectNothingStored,
  expectSpecShapeIfJson,
  imageManifest,
  OCI_CONFIG,
  OCI_MANIFEST,
  printable,
  pushImage,
  putManifest,
  randomConfig,
  randomLayer,
  rawRequest,
  repoName,
  sha256,
  snapshot,
  SPEC_ERROR_CODES,
  startSpecServer,
  startUpload,
  withDigest,
  type SpecServer,
} from './server.js';

let s: SpecServer;
/** A repository holding an image, so manifests naming its blobs are otherwise valid. */
const home = repoName('errors');
let goodManifest: Buffer;

beforeAll(async () => {
  s = await startSpecServer();
  const img = await pushImage(s, home, 'v1');
  // A second manifest over the same blobs, never pushed: the body of the refused pushes below.
  goodManifest = imageManifest({ config: img.config, layers: [img.layer], annotations: { 'org.example.n': randomBytes(8).toString('hex') } });
});

afterAll(async () => {
  await s?.close();
});

/** A raw request's head: `METHOD path`, Host, Connection: close, and `headers`. */
function head(method: string, path: string, headers: Record<string, string | number> = {}): string {
  return [`${method} ${path} HTTP/1.1`, `Host: 127.0.0.1:${s.port}`, 'Connection: close', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)].join('\r\n');
}

describe('Error Codes: the body of a failure', () => {
  it('"If the response body is in JSON format, it MUST have the following format": every failure of every endpoint answers {"errors":[{"code","message"?,"detail"?}]} with a code from the spec\'s table', async () => {
    const session = await startUpload(s, home);
    const failures: [string, string, RequestInit?][] = [
      ['GET', `/v2/${home}/manifests/no-such-tag`],
      ['GET', `/v2/${home}/manifests/sha256:${'1'.repeat(64)}`],
      ['GET', `/v2/${home}/blobs/sha256:${'1'.repeat(64)}`],
      ['GET', `/v2/${repoName('never-pushed')}/tags/list`],
      ['GET', `/v2/${home}/blobs/uploads/0b7d3f0e-1c5a-4f7e-9d59-3a0c2b1d4e5f`],
      ['PUT', `/v2/${home}/manifests/broken`, { body: '{', headers: { 'content-type': OCI_MANIFEST } }],
      ['PUT', `${session.pathname}?digest=sha256:${'2'.repeat(64)}`, { body: 'abc' }],
      ['PUT', `/v2/${home}/manifests/sha256:${'3'.repeat(64)}`, { body: goodManifest, headers: { 'content-type': OCI_MANIFEST } }],
      ['POST', '/v2/Upper/Case/blobs/uploads/'],
      ['GET', `/v2/${home}/manifests/sha256:totallywrong`],
    ];
    for (const [method, path, init] of failures) {
      const { res, body } = await call(s, method, path, init);
      const what = `${method} ${path}: ${res.status} ${printable(body)}`;
      expect(res.status >= 400 && res.status < 500, what).toBe(true);
      expect(res.headers.get('content-type') ?? '', what).toMatch(/^application\/json/);
      const errors = checkErrorBody(body);
      expect(errors.length, what).toBeGreaterThan(0);
    }
  });

  it('end-8b ?n=-1 (not a count): refused with a 4xx whose JSON body holds a code from the spec\'s table ("The code field MUST be one of the following")', async () => {
    for (const q of ['n=-1', 'n=abc']) {
      const { res, body } = await call(s, 'GET', `/v2/${home}/tags/list?${q}`);
      expect(res.status >= 400 && res.status < 500, `${q}: ${res.status}`).toBe(true);
      expectSpecShapeIfJson(res, body);
    }
  });

  it('the code table: every code sent is uppercase letters and underscores and one of code-1 .. code-14', () => {
    expect(() => checkErrorBody('{"errors":[{"code":"lower_case"}]}')).toThrow();
    expect(() => checkErrorBody('{"errors":[{"code":"NOT_A_SPEC_CODE"}]}')).toThrow();
    expect(() => checkErrorBody('{"errors":[]}')).toThrow();
    expect(checkErrorBody('{"errors":[{"code":"BLOB_UNKNOWN","message":"m","detail":{"x":1}}]}')).toHaveLength(1);
  });

  it('conformance "400 response body should contain OCI-conforming JSON message": PUT manifests/sha256:totallywrong is 400 with a spec code (or 404)', async () => {
    const before = await snapshot(s);
    const res = await putManifest(s, home, 'sha256:totallywrong', goodManifest);
    const body = Buffer.from(await res.arrayBuffer());
    expectError(res, body, 400, ['MANIFEST_INVALID']);
    await expectNothingStored(s, before);
  });
});

describe('NAME_INVALID (code-8): names the spec\'s <name> pattern does not allow', () => {
  /** Pushes a blob by single POST and a manifest to `name` (as sent, over a raw socket); both refused with NAME_INVALID; nothing stored. */
  async function expectNameRefused(name: string): Promise<void> {
    const blob = randomLayer(256);
    const digest = sha256(blob);
    const before = await snapshot(s);
    const post = await rawRequest(s, head('POST', `/v2/${name}/blobs/uploads/?digest=${digest}`, { 'Content-Type': 'application/octet-stream', 'Content-Length': blob.length }), blob);
    expectError(post, post.body, [400, 404], ['NAME_INVALID'], {});
    const start = await rawRequest(s, head('POST', `/v2/${name}/blobs/uploads/`, { 'Content-Length': 0 }));
    expectError(start, start.body, [400, 404], ['NAME_INVALID']);
    const put = await rawRequest(s, head('PUT', `/v2/${name}/manifests/v1`, { 'Content-Type': OCI_MANIFEST, 'Content-Length': goodManifest.length }), goodManifest);
    expectError(put, put.body, [400, 404], ['NAME_INVALID']);
    await expectNothingStored(s, before);
    await expectBlobAbsent(s, home, digest);
    expect((await call(s, 'GET', `/v2/${home}/manifests/${sha256(goodManifest)}`)).res.status).toBe(404);
  }

  it('code-8 upper case ("MUST match [a-z0-9]+..."): Spec/Upper is refused with NAME_INVALID, nothing stored', async () => {
    await expectNameRefused('Spec/Upper');
    await expectNameRefused('spec/UPPER-case');
  });

  it('code-8 a `..` path component (spec/../escape, sent as is): NAME_INVALID, nothing stored', async () => {
    await expectNameRefused('spec/../escape');
    await expectNameRefused('../../escape');
  });

  it('code-8 separators the pattern does not allow (a..b, a___b, -lead, trail-, a//b, a/): NAME_INVALID, nothing stored', async () => {
    for (const name of ['spec/a..b', 'spec/a___b', 'spec/-lead', 'spec/trail-', 'spec//double', 'spec/a.-b']) await expectNameRefused(name);
  });

  it('code-8 a name over 255 characters (the implementers\' note: clients limit the reference to 255): NAME_INVALID, nothing stored', async () => {
    const long = `spec/${'a'.repeat(120)}/${'b'.repeat(140)}`;
    expect(long.length).toBeGreaterThan(255);
    await expectNameRefused(long);
  });

  it('code-8 GET with an upper-case name: 400 NAME_INVALID or 404 (NAME_UNKNOWN / NAME_INVALID)', async () => {
    for (const path of ['/v2/Spec/Upper/tags/list', '/v2/Spec/Upper/manifests/v1', `/v2/Spec/Upper/blobs/sha256:${'4'.repeat(64)}`]) {
      const { res, body } = await call(s, 'GET', path);
      expectError(res, body, [400, 404], ['NAME_INVALID', 'NAME_UNKNOWN', 'MANIFEST_UNKNOWN', 'BLOB_UNKNOWN']);
    }
  });
});

describe('Digests with algorithms no one registered (code-4 DIGEST_INVALID)', () => {
  /** A well-formed md5 digest (of nothing in particular: the algorithm is what is refused). */
  const md5 = () => `md5:${randomBytes(16).toString('hex')}`;

  it('end-4b single POST ?digest=md5:<hex>: 400 DIGEST_INVALID (or UNSUPPORTED), nothing stored', async () => {
    const name = repoName('md5-post');
    const blob = randomLayer(300);
    const before = await snapshot(s);
    const res = await fetch(`${s.base}/v2/${name}/blobs/uploads/?digest=${md5()}`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: blob });
    expectError(res, Buffer.from(await res.arrayBuffer()), 400, ['DIGEST_INVALID', 'UNSUPPORTED']);
    await expectBlobAbsent(s, name, sha256(blob));
    await expectNothingStored(s, before);
  });

  it('end-6 closing PUT ?digest=sha999:<hex>: 400 DIGEST_INVALID (or UNSUPPORTED), nothing stored', async () => {
    const name = repoName('sha999-put');
    const blob = randomLayer(300);
    const before = await snapshot(s);
    const res = await fetch(withDigest(await startUpload(s, name), `sha999:${randomBytes(32).toString('hex')}`), { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: blob });
    expectError(res, Buffer.from(await res.arrayBuffer()), 400, ['DIGEST_INVALID', 'UNSUPPORTED']);
    await expectBlobAbsent(s, name, sha256(blob));
    await expectNothingStored(s, before);
  });

  it('end-6 chunked upload closed with ?digest=md5:<hex>: 400 DIGEST_INVALID (or UNSUPPORTED), nothing stored', async () => {
    const name = repoName('md5-chunked');
    const blob = randomLayer(600);
    const before = await snapshot(s);
    const patch = await fetch(await startUpload(s, name), { method: 'PATCH', headers: { 'content-type': 'application/octet-stream', 'content-range': `0-${blob.length - 1}` }, body: blob });
    await patch.arrayBuffer();
    expect(patch.status).toBe(202);
    const put = await fetch(withDigest(new URL(patch.headers.get('location')!, s.base), md5()), { method: 'PUT', headers: { 'content-length': '0' } });
    expectError(put, Buffer.from(await put.arrayBuffer()), 400, ['DIGEST_INVALID', 'UNSUPPORTED']);
    await expectBlobAbsent(s, name, sha256(blob));
    await expectNothingStored(s, before);
  });

  it('end-2 GET /blobs/md5:<hex> and /blobs/sha999:<hex>: 400 DIGEST_INVALID or 404 BLOB_UNKNOWN', async () => {
    for (const d of [`md5:${randomBytes(16).toString('hex')}`, `sha999:${randomBytes(32).toString('hex')}`]) {
      const { res, body } = await call(s, 'GET', `/v2/${home}/blobs/${d}`);
      expectError(res, body, [400, 404], ['DIGEST_INVALID', 'BLOB_UNKNOWN']);
    }
  });

  it('end-7 PUT manifest by reference sha999:<hex>: 400 with a spec code (or 404, as the suite accepts), nothing stored', async () => {
    const before = await snapshot(s);
    const res = await putManifest(s, home, `sha999:${randomBytes(32).toString('hex')}`, goodManifest);
    const body = Buffer.from(await res.arrayBuffer());
    expectError(res, body, [400, 404], [...SPEC_ERROR_CODES]);
    expect((await call(s, 'GET', `/v2/${home}/manifests/${sha256(goodManifest)}`)).res.status).toBe(404);
    await expectNothingStored(s, before);
  });
});

describe('MANIFEST_INVALID (code-6): manifests that are not manifests', () => {
  it('end-7 malformed JSON: 400 MANIFEST_INVALID, nothing stored, the tag 404', async () => {
    const text = goodManifest.toString().slice(0, -7);
    const before = await snapshot(s);
    const res = await putManifest(s, home, 'malformed', Buffer.from(text));
    expectError(res, Buffer.from(await res.arrayBuffer()), 400, ['MANIFEST_INVALID']);
    const get = await call(s, 'GET', `/v2/${home}/manifests/malformed`);
    expectError(get.res, get.body, 404, ['MANIFEST_UNKNOWN']);
    expect((await call(s, 'GET', `/v2/${home}/manifests/${sha256(text)}`)).res.status).toBe(404);
    await expectNothingStored(s, before);
  });

  it('end-7 JSON that is not a manifest (an array, schemaVersion 1 or missing, layers not a list, no config): 400 MANIFEST_INVALID, nothing stored', async () => {
    const img = descOf(OCI_CONFIG, randomConfig());
    const bodies = [
      '[]',
      'null',
      JSON.stringify({ mediaType: OCI_MANIFEST, config: img, layers: [] }),
      JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: img, layers: 'nope' }),
      JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, layers: [] }),
      JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: OCI_CONFIG, digest: 'sha256:xyz', size: 2 }, layers: [] }),
    ];
    const before = await snapshot(s);
    for (const [i, text] of bodies.entries()) {
      const res = await putManifest(s, home, `invalid${i}`, Buffer.from(text));
      const body = Buffer.from(await res.arrayBuffer());
      expectError(res, body, 400, ['MANIFEST_INVALID']);
      expect((await call(s, 'GET', `/v2/${home}/manifests/invalid${i}`)).res.status, text).toBe(404);
    }
    await expectNothingStored(s, before);
  });
});

describe('Bodies longer or shorter than their Content-Length', () => {
  /** Lets the server finish with a request the client gave up on before the store is looked at. */
  const settle = () => new Promise((r) => setTimeout(r, 100));

  /**
   * The bytes past Content-Length are not the body: the declared bytes do not have the digest
   * (400 DIGEST_INVALID or SIZE_INVALID), or the surplus, read as the next request, is refused
   * by the HTTP parser first (a bare 400). Either way a 400; a JSON body holds one of those codes.
   */
  function expectLongBodyRefused(r: Awaited<ReturnType<typeof rawRequest>>): void {
    expect(r.status, `status ${r.status} ${printable(r.body)}`).toBe(400);
    if (r.body.length > 0) expectError(r, r.body, 400, ['DIGEST_INVALID', 'SIZE_INVALID']);
  }

  it('end-6 closing PUT declaring more bytes than it sends (then the client stops): no 201, nothing stored, the digest 404', async () => {
    const name = repoName('short-put');
    const blob = randomLayer(1000);
    const digest = sha256(blob);
    const session = await startUpload(s, name);
    const before = await snapshot(s);
    const r = await rawRequest(s, head('PUT', `${session.pathname}${session.search ? `${session.search}&` : '?'}digest=${digest}`, { 'Content-Type': 'application/octet-stream', 'Content-Length': blob.length }), blob.subarray(0, 600), { halfClose: true });
    expect(r.status, `status ${r.status} ${printable(r.body)}`).not.toBe(201);
    await settle();
    if (r.status !== 0) {
      expect(r.status >= 400 && r.status < 500, `status ${r.status}`).toBe(true);
      expectSpecShapeIfJson(r, r.body);
    }
    await expectBlobAbsent(s, name, digest);
    await expectBlobAbsent(s, name, sha256(blob.subarray(0, 600)));
    await expectNothingStored(s, before);
  });

  it('end-6 closing PUT sending more bytes than it declares (digest of all it sends): 400 DIGEST_INVALID or SIZE_INVALID, nothing stored', async () => {
    const name = repoName('long-put');
    const blob = randomLayer(1000);
    const digest = sha256(blob);
    const session = await startUpload(s, name);
    const before = await snapshot(s);
    const r = await rawRequest(s, head('PUT', `${session.pathname}${session.search ? `${session.search}&` : '?'}digest=${digest}`, { 'Content-Type': 'application/octet-stream', 'Content-Length': 600 }), blob);
    expectLongBodyRefused(r);
    await settle();
    await expectBlobAbsent(s, name, digest);
    await expectBlobAbsent(s, name, sha256(blob.subarray(0, 600)));
    await expectNothingStored(s, before);
  });

  it('end-4b single POST declaring more bytes than it sends (then the client stops): no 201, nothing stored', async () => {
    const name = repoName('short-post');
    const blob = randomLayer(1000);
    const digest = sha256(blob);
    const before = await snapshot(s);
    const r = await rawRequest(s, head('POST', `/v2/${name}/blobs/uploads/?digest=${digest}`, { 'Content-Type': 'application/octet-stream', 'Content-Length': blob.length }), blob.subarray(0, 500), { halfClose: true });
    expect(r.status, `status ${r.status} ${printable(r.body)}`).not.toBe(201);
    await settle();
    if (r.status !== 0) {
      expect(r.status >= 400 && r.status < 500, `status ${r.status}`).toBe(true);
      expectSpecShapeIfJson(r, r.body);
    }
    await expectBlobAbsent(s, name, digest);
    await expectNothingStored(s, before);
  });

  it('end-4b single POST sending more bytes than it declares ("The Content-Length header MUST match the blob\'s actual content length"): 400 DIGEST_INVALID or SIZE_INVALID, nothing stored', async () => {
    const name = repoName('long-post');
    const blob = randomLayer(1000);
    const digest = sha256(blob);
    const before = await snapshot(s);
    const r = await rawRequest(s, head('POST', `/v2/${name}/blobs/uploads/?digest=${digest}`, { 'Content-Type': 'application/octet-stream', 'Content-Length': 400 }), blob);
    expectLongBodyRefused(r);
    await settle();
    await expectBlobAbsent(s, name, digest);
    await expectBlobAbsent(s, name, sha256(blob.subarray(0, 400)));
    await expectNothingStored(s, before);
  });

  it('end-5 PATCH whose Content-Range claims more than its body holds: refused (400/416), or taken as what arrived (202 with Range 0-<received-1>); nothing stored', async () => {
    const name = repoName('patch-range');
    const blob = randomLayer(800);
    const before = await snapshot(s);
    const session = await startUpload(s, name);
    const res = await fetch(session, { method: 'PATCH', headers: { 'content-type': 'application/octet-stream', 'content-range': '0-1599' }, body: blob });
    const body = Buffer.from(await res.arrayBuffer());
    expect([202, 400, 416], `status ${res.status} ${printable(body)}`).toContain(res.status);
    if (res.status === 202) expect(res.headers.get('range')).toBe(`0-${blob.length - 1}`);
    else expectSpecShapeIfJson(res, body);
    await expectBlobAbsent(s, name, sha256(blob));
    await expectNothingStored(s, before);
  });
});

describe('Paths that try to leave the store', () => {
  /** A raw GET of `path`: refused with 400 or 404, nothing of /etc/passwd or of the store's files in the body. */
  async function expectRefusedGet(path: string): Promise<void> {
    const r = await rawRequest(s, head('GET', path));
    expect([400, 404], `GET ${path}: ${r.status} ${printable(r.body)}`).toContain(r.status);
    expect(r.body.toString()).not.toMatch(/root:/);
    expect(r.body.toString()).not.toMatch(/imageLayoutVersion|"manifests"\s*:/);
    expectSpecShapeIfJson(r, r.body);
  }

  it('GET /v2/../../etc/passwd and friends, as sent: 400 or 404, nothing read from outside', async () => {
    for (const path of ['/v2/../../etc/passwd', '/v2/../../../../../../etc/passwd', '/v2/spec/../../../etc/passwd/tags/list', '/v2/spec/x/../../../../oci-layout/manifests/v1']) await expectRefusedGet(path);
  });

  it('percent-encoded: /v2/%2e%2e/%2e%2e/etc/passwd, %2E%2E, ..%2f, %2e%2e%2f: 400 or 404, nothing read from outside', async () => {
    for (const path of [
      '/v2/%2e%2e/%2e%2e/etc/passwd',
      '/v2/%2E%2E/%2E%2E/%2E%2E/etc/passwd/tags/list',
      '/v2/spec/..%2f..%2f..%2fetc%2fpasswd/tags/list',
      '/v2/spec/%2e%2e%2f%2e%2e%2findex.json/manifests/v1',
      '/v2/spec/x/manifests/..%2f..%2findex.json',
      '/v2/spec/x/manifests/%2e%2e%2f%2e%2e%2foci-layout',
      '/v2/spec/x/blobs/..%2f..%2f..%2f..%2fetc%2fpasswd',
      '/v2/spec/x/blobs/sha256:..%2f..%2findex.json',
      '/v2/spec/x/referrers/..%2f..%2findex.json',
    ]) await expectRefusedGet(path);
  });

  it('PUT manifest to a climbing name (spec/../../escape, ..%2f..%2fescape, %2e%2e/%2e%2e/escape): refused (400 NAME_INVALID or 404), nothing stored in or beside the store', async () => {
    const before = await snapshot(s);
    for (const name of ['spec/../../escape', '..%2f..%2fescape', 'spec/%2e%2e/%2e%2e/escape', 'spec/%2E%2E%2F%2E%2E%2Fescape']) {
      const r = await rawRequest(s, head('PUT', `/v2/${name}/manifests/v1`, { 'Content-Type': OCI_MANIFEST, 'Content-Length': goodManifest.length }), goodManifest);
      expect([400, 404], `PUT ${name}: ${r.status} ${printable(r.body)}`).toContain(r.status);
      if (r.status === 400) expectError(r, r.body, 400, ['NAME_INVALID']);
      else expectSpecShapeIfJson(r, r.body);
    }
    await expectNothingStored(s, before);
    expect((await call(s, 'GET', `/v2/${home}/manifests/${sha256(goodManifest)}`)).res.status).toBe(404);
  });

  it('PUT manifest by a climbing tag (..%2f..%2fescape, %2e%2e): 400 with a spec code, nothing stored', async () => {
    const before = await snapshot(s);
    for (const ref of ['..%2f..%2fescape', '%2e%2e%2f%2e%2e%2fescape', '..%2F..%2Findex.json']) {
      const r = await rawRequest(s, head('PUT', `/v2/${home}/manifests/${ref}`, { 'Content-Type': OCI_MANIFEST, 'Content-Length': goodManifest.length }), goodManifest);
      expectError(r, r.body, [400, 404], [...SPEC_ERROR_CODES]);
    }
    await expectNothingStored(s, before);
  });

  it('blob upload to a climbing name (single POST and POST+PUT): refused (400 NAME_INVALID or 404), nothing stored', async () => {
    const blob = randomLayer(333);
    const digest = sha256(blob);
    const before = await snapshot(s);
    for (const name of ['spec/../../escape', '%2e%2e/%2e%2e/escape', 'spec/..%2f..%2fescape']) {
      const post = await rawRequest(s, head('POST', `/v2/${name}/blobs/uploads/?digest=${digest}`, { 'Content-Type': 'application/octet-stream', 'Content-Length': blob.length }), blob);
      expect([400, 404], `POST ${name}: ${post.status} ${printable(post.body)}`).toContain(post.status);
      if (post.status === 400) expectError(post, post.body, 400, ['NAME_INVALID']);
      const put = await rawRequest(s, head('PUT', `/v2/${name}/blobs/uploads/0b7d3f0e-1c5a-4f7e-9d59-3a0c2b1d4e5f?digest=${digest}`, { 'Content-Type': 'application/octet-stream', 'Content-Length': blob.length }), blob);
      expect([400, 404], `PUT ${name}: ${put.status} ${printable(put.body)}`).toContain(put.status);
      expectSpecShapeIfJson(put, put.body);
    }
    await expectBlobAbsent(s, home, digest);
    await expectNothingStored(s, before);
  });

  it('DELETE with a climbing name or reference: refused (400/404/405), the store untouched', async () => {
    const layerDigest = sha256(randomLayer(10));
    const before = await snapshot(s);
    for (const path of [`/v2/spec/../../${home}/manifests/v1`, `/v2/%2e%2e/${home}/manifests/v1`, `/v2/${home}/manifests/..%2f..%2findex.json`, `/v2/${home}/blobs/..%2f..%2foci-layout`, `/v2/spec/../${home}/blobs/${layerDigest}`]) {
      const r = await rawRequest(s, head('DELETE', path));
      expect([400, 404, 405], `DELETE ${path}: ${r.status} ${printable(r.body)}`).toContain(r.status);
      expectSpecShapeIfJson(r, r.body);
    }
    await expectNothingStored(s, before);
    expect((await call(s, 'GET', `/v2/${home}/manifests/v1`)).res.status).toBe(200);
  });

  it('the store is intact: the image pushed first still pulls', async () => {
    const { res, body } = await call(s, 'GET', `/v2/${home}/manifests/v1`);
    expect(res.status).toBe(200);
    const m = JSON.parse(body.toString()) as { layers: { digest: string }[] };
    const layer = await call(s, 'GET', `/v2/${home}/blobs/${m.layers[0]!.digest}`);
    expect(layer.res.status).toBe(200);
    expect(sha256(layer.body)).toBe(m.layers[0]!.digest);
  });
});
