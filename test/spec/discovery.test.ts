/**
 * OCI distribution-spec v1.1, workflow category Content Discovery (spec.md "Listing Tags",
 * "Listing Referrers"; endpoints end-8a, end-8b, end-12a, end-12b): tag lists with `n`, `last`
 * and the `Link` header, empty lists, 404 for an unknown repository, and the referrers API
 * (artifactType from the manifest or its config, annotations, the artifactType filter with
 * `OCI-Filters-Applied`, an empty index for a digest nothing refers to). Also the catalog
 * (`/v2/_catalog`), which spec.md does not define: it is the Docker Registry API's (the spec's
 * apdx-1), tested for the shape and pagination it shares with the tag list. Written from
 * spec.md; where the conformance suite (conformance/03_discovery_test.go) accepts several
 * answers, so do these tests. In-process server over a fresh temp store; content made here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  call,
  descOf,
  expectError,
  expectSpecShapeIfJson,
  imageIndex,
  imageManifest,
  OCI_EMPTY,
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
  startSpecServer,
  type Desc,
  type PushedImage,
  type SpecServer,
} from './server.js';

let s: SpecServer;

beforeAll(async () => {
  s = await startSpecServer();
});

afterAll(async () => {
  await s?.close();
});

/** GET a JSON list endpoint: status, Link header, parsed body. */
async function list<T>(path: string): Promise<{ status: number; link: string | null; body: T; raw: Buffer; res: Response }> {
  const { res, body } = await call(s, 'GET', path);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString());
  } catch {
    parsed = undefined;
  }
  return { status: res.status, link: res.headers.get('link'), body: parsed as T, raw: body, res };
}

/** The target of an RFC 5988 `Link: <url>; rel="next"` header (asserts that form). */
function nextOf(link: string): string {
  const m = /^<([^>]+)>\s*;\s*rel="?next"?$/.exec(link.trim());
  expect(m, `Link header ${link}`).not.toBeNull();
  return new URL(m![1]!, s.base).pathname + new URL(m![1]!, s.base).search;
}

describe('Listing Tags (end-8a, end-8b)', () => {
  const name = repoName('tags');
  const tags = ['test0', 'test1', 'test2', 'test3'];

  beforeAll(async () => {
    const img = await pushImage(s, name, tags[0]);
    for (const t of tags.slice(1)) {
      const res = await putManifest(s, name, t, img.manifest);
      await res.arrayBuffer();
      expect(res.status).toBe(201);
    }
  });

  it('end-8a GET /v2/<name>/tags/list: 200 with {"name": <name>, "tags": [...]} in lexical order', async () => {
    const r = await list<{ name: string; tags: string[] }>(`/v2/${name}/tags/list`);
    expect(r.status).toBe(200);
    expect(r.res.headers.get('content-type') ?? '').toMatch(/^application\/json/);
    expect(r.body).toEqual({ name, tags });
  });

  it('end-8a "the tags MUST be in lexical order (i.e. case-insensitive alphanumeric order)": Alpha, beta, delta, Gamma', async () => {
    const mixed = repoName('tags-case');
    const img = await pushImage(s, mixed, 'Gamma');
    for (const t of ['delta', 'Alpha', 'beta']) {
      const res = await putManifest(s, mixed, t, img.manifest);
      await res.arrayBuffer();
      expect(res.status).toBe(201);
    }
    const r = await list<{ tags: string[] }>(`/v2/${mixed}/tags/list`);
    expect(r.status).toBe(200);
    expect(r.body.tags).toEqual(['Alpha', 'beta', 'delta', 'Gamma']);
  });

  it('end-8b ?n=2 of 4: exactly 2 tags, the first ones ("Otherwise, the response MUST include <int> results"); a Link header, if any, is rel="next" and gives the rest', async () => {
    const r = await list<{ tags: string[] }>(`/v2/${name}/tags/list?n=2`);
    expect(r.status).toBe(200);
    expect(r.body.tags).toEqual(['test0', 'test1']);
    if (r.link !== null) {
      const next = await list<{ tags: string[] }>(nextOf(r.link));
      expect(next.status).toBe(200);
      expect(next.body.tags).toEqual(['test2', 'test3']);
    }
  });

  it('end-8b following Link rel="next" pages through every tag once, in order', async () => {
    const seen: string[] = [];
    let path: string | undefined = `/v2/${name}/tags/list?n=1`;
    for (let i = 0; path !== undefined && i < 10; i++) {
      const r: Awaited<ReturnType<typeof list<{ tags: string[] }>>> = await list<{ tags: string[] }>(path);
      expect(r.status).toBe(200);
      seen.push(...r.body.tags);
      path = r.link === null ? undefined : nextOf(r.link);
      // Without a Link the page must hold n results unless the list ended.
      if (path === undefined && seen.length < tags.length) expect(r.body.tags.length).toBe(1);
      if (path === undefined && seen.length < tags.length) path = `/v2/${name}/tags/list?n=1&last=${seen.at(-1)}`;
    }
    expect(seen).toEqual(tags);
  });

  it('end-8b ?n=0: "this endpoint MUST return an empty list, and MUST NOT include a Link header"', async () => {
    const r = await list<{ tags: string[] }>(`/v2/${name}/tags/list?n=0`);
    expect(r.status).toBe(200);
    expect(r.body.tags).toEqual([]);
    expect(r.link).toBeNull();
  });

  it('end-8b ?last=test1: the tags after test1, not including it', async () => {
    const r = await list<{ tags: string[] }>(`/v2/${name}/tags/list?last=test1`);
    expect(r.status).toBe(200);
    expect(r.body.tags).toEqual(['test2', 'test3']);
  });

  it('end-8b ?n=1&last=test1: "up to <int> tags *after* <tagname>": [test2]', async () => {
    const r = await list<{ tags: string[] }>(`/v2/${name}/tags/list?n=1&last=test1`);
    expect(r.status).toBe(200);
    expect(r.body.tags).toEqual(['test2']);
  });

  it('end-8b conformance "GET start of tag is set by last": n=2 then n=2&last=<second> gives at most 2 tags, none before it', async () => {
    const first = await list<{ tags: string[] }>(`/v2/${name}/tags/list?n=2`);
    const second = await list<{ tags: string[] }>(`/v2/${name}/tags/list?n=2&last=${first.body.tags[1]}`);
    expect(second.status).toBe(200);
    expect(second.body.tags.length).toBeLessThanOrEqual(2);
    expect(second.body.tags.every((t) => t > first.body.tags[1]!)).toBe(true);
  });

  it('end-8b ?n larger than the list: every tag', async () => {
    const r = await list<{ tags: string[] }>(`/v2/${name}/tags/list?n=100`);
    expect(r.status).toBe(200);
    expect(r.body.tags).toEqual(tags);
  });

  it('end-8a a repository that does not exist: 404 NAME_UNKNOWN', async () => {
    const { res, body } = await call(s, 'GET', `/v2/${repoName('never-pushed')}/tags/list`);
    expectError(res, body, 404, ['NAME_UNKNOWN']);
  });

  it('end-8a a repository holding only an untagged manifest: 200 with an empty list ("The list of tags MAY be empty if there are no tags on the repository")', async () => {
    const untagged = repoName('untagged');
    await pushImage(s, untagged);
    const r = await list<{ name: string; tags: string[] }>(`/v2/${untagged}/tags/list`);
    expect(r.status, r.raw.toString()).toBe(200);
    expect(r.body).toEqual({ name: untagged, tags: [] });
  });

  it('end-8a a repository whose only tag was deleted (its manifest still there by digest): 200 with an empty list', async () => {
    const emptied = repoName('emptied');
    const img = await pushImage(s, emptied, 'only');
    await pushImage(s, emptied);
    const del = await call(s, 'DELETE', `/v2/${emptied}/manifests/only`);
    expect(del.res.status).toBe(202);
    expect((await call(s, 'GET', `/v2/${emptied}/manifests/${img.digest}`)).res.status).toBe(200);
    const r = await list<{ name: string; tags: string[] }>(`/v2/${emptied}/tags/list`);
    expect(r.status, r.raw.toString()).toBe(200);
    expect(r.body).toEqual({ name: emptied, tags: [] });
  });
});

describe('Catalog (/v2/_catalog, Docker Registry API; not in spec.md)', () => {
  const names = [repoName('cat-a'), repoName('cat-b'), repoName('cat-c')].sort();

  beforeAll(async () => {
    for (const n of names) await pushImage(s, n, 'v1');
  });

  it('GET /v2/_catalog: 200 with {"repositories": [...]} sorted, holding every pushed repository', async () => {
    const r = await list<{ repositories: string[] }>('/v2/_catalog');
    expect(r.status).toBe(200);
    expect(r.body.repositories).toEqual([...r.body.repositories].sort());
    for (const n of names) expect(r.body.repositories).toContain(n);
  });

  it('GET /v2/_catalog?n=1: one repository and Link rel="next"; following the Links visits each repository once', async () => {
    const all = (await list<{ repositories: string[] }>('/v2/_catalog')).body.repositories;
    const seen: string[] = [];
    let path: string | undefined = '/v2/_catalog?n=1';
    for (let i = 0; path !== undefined && i < all.length + 2; i++) {
      const r: Awaited<ReturnType<typeof list<{ repositories: string[] }>>> = await list<{ repositories: string[] }>(path);
      expect(r.status).toBe(200);
      expect(r.body.repositories.length).toBeLessThanOrEqual(1);
      seen.push(...r.body.repositories);
      path = r.link === null ? undefined : nextOf(r.link);
      if (seen.length < all.length) expect(path, 'a Link while more repositories follow').toBeDefined();
    }
    expect(seen).toEqual(all);
  });
});

describe('Listing Referrers (end-12a, end-12b)', () => {
  const name = repoName('referrers');
  const SBOM = 'application/vnd.example.sbom.v1';
  const SIG = 'application/vnd.example.signature.v1';
  const EMPTY_JSON = Buffer.from('{}');
  const KEY = 'org.example.kind';
  let subject: PushedImage;
  /** The descriptors the referrers list must hold, by digest. */
  const expected = new Map<string, Desc>();

  /** Pushes a referrer manifest by digest; asserts 201 and OCI-Subject. */
  async function pushReferrer(repo: string, bytes: Buffer, mediaType: string, subjectDigest: string): Promise<string> {
    const digest = sha256(bytes);
    const res = await putManifest(s, repo, digest, bytes, mediaType);
    await res.arrayBuffer();
    expect(res.status).toBe(201);
    expect(res.headers.get('oci-subject')).toBe(subjectDigest);
    return digest;
  }

  beforeAll(async () => {
    subject = await pushImage(s, name, 'v1');
    expect(sha256(EMPTY_JSON)).toBe('sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a');
    await pushBlob(s, name, EMPTY_JSON);
    const empty = descOf(OCI_EMPTY, EMPTY_JSON);

    // A: artifactType from the config's media type.
    const aConfig = randomConfig();
    await pushBlob(s, name, aConfig);
    const a = imageManifest({ config: descOf(SBOM, aConfig), layers: [], subject: subject.desc, annotations: { [KEY]: 'a' } });
    expected.set(await pushReferrer(name, a, OCI_MANIFEST, subject.digest), { mediaType: OCI_MANIFEST, digest: sha256(a), size: a.length, artifactType: SBOM, annotations: { [KEY]: 'a' } });

    // B: artifactType field, empty config, one layer.
    const layerBytes = randomLayer(300);
    await pushBlob(s, name, layerBytes);
    const b = imageManifest({ artifactType: SIG, config: empty, layers: [descOf(OCI_LAYER, layerBytes)], subject: subject.desc, annotations: { [KEY]: 'b' } });
    expected.set(await pushReferrer(name, b, OCI_MANIFEST, subject.digest), { mediaType: OCI_MANIFEST, digest: sha256(b), size: b.length, artifactType: SIG, annotations: { [KEY]: 'b' } });

    // D: artifactType field with the same type as A.
    const d = imageManifest({ artifactType: SBOM, config: empty, layers: [], subject: subject.desc, annotations: { [KEY]: 'd' } });
    expected.set(await pushReferrer(name, d, OCI_MANIFEST, subject.digest), { mediaType: OCI_MANIFEST, digest: sha256(d), size: d.length, artifactType: SBOM, annotations: { [KEY]: 'd' } });

    // C: an index with a subject and no artifactType ("the artifactType MUST be omitted").
    const c = imageIndex({ manifests: [descOf(OCI_MANIFEST, b)], subject: subject.desc, annotations: { [KEY]: 'c' } });
    expected.set(await pushReferrer(name, c, OCI_INDEX, subject.digest), { mediaType: OCI_INDEX, digest: sha256(c), size: c.length, annotations: { [KEY]: 'c' } });
  });

  /** GET referrers: asserts 200 and the index media type; the index. */
  async function referrers(repo: string, digest: string, query = ''): Promise<{ res: Response; index: { schemaVersion: number; mediaType: string; manifests: Desc[] } }> {
    const { res, body } = await call(s, 'GET', `/v2/${repo}/referrers/${digest}${query}`);
    expect(res.status, body.toString().slice(0, 300)).toBe(200);
    expect(res.headers.get('content-type')).toBe(OCI_INDEX);
    const index = JSON.parse(body.toString()) as { schemaVersion: number; mediaType: string; manifests: Desc[] };
    expect(index.schemaVersion).toBe(2);
    expect(index.mediaType).toBe(OCI_INDEX);
    expect(Array.isArray(index.manifests)).toBe(true);
    return { res, index };
  }

  const byDigest = (list: Desc[]) => [...list].sort((x, y) => (x.digest < y.digest ? -1 : 1));

  it('end-12a GET /v2/<name>/referrers/<digest>: 200, Content-Type application/vnd.oci.image.index.v1+json, an image index of every referrer', async () => {
    const { index } = await referrers(name, subject.digest);
    expect(index.manifests.map((m) => m.digest).sort()).toEqual([...expected.keys()].sort());
  });

  it('end-12a each descriptor: mediaType, digest, size; artifactType from the manifest, else its config mediaType, omitted for an index without one; the manifest\'s annotations', async () => {
    const { index } = await referrers(name, subject.digest);
    expect(byDigest(index.manifests)).toEqual(byDigest([...expected.values()]));
  });

  it('end-12b ?artifactType=<type>: "OCI-Filters-Applied: artifactType" and only those referrers (the suite takes the whole list without the header)', async () => {
    const { res, index } = await referrers(name, subject.digest, `?artifactType=${encodeURIComponent(SBOM)}`);
    const applied = res.headers.get('oci-filters-applied');
    const want = [...expected.values()].filter((d) => applied === null || d.artifactType === SBOM);
    if (applied !== null) expect(applied).toBe('artifactType');
    expect(byDigest(index.manifests)).toEqual(byDigest(want));
  });

  it('end-12b a filter nothing matches: 200 with an empty list when the filter is applied', async () => {
    const { res, index } = await referrers(name, subject.digest, `?artifactType=${encodeURIComponent('application/vnd.example.none')}`);
    if (res.headers.get('oci-filters-applied') !== null) expect(index.manifests).toEqual([]);
    else expect(index.manifests.length).toBe(expected.size);
  });

  it('end-12a no filter asked: no OCI-Filters-Applied header', async () => {
    const { res } = await referrers(name, subject.digest);
    expect(res.headers.get('oci-filters-applied')).toBeNull();
  });

  it('end-12a a digest nothing refers to: 200 with an empty index ("MUST NOT return a 404"; "an empty manifest list MUST be returned")', async () => {
    const { index } = await referrers(name, `sha256:${'0'.repeat(64)}`);
    expect(index.manifests).toEqual([]);
  });

  it('end-12a a referrer pushed before its subject ("MUST initially accept"): listed for the missing subject', async () => {
    const missing = descOf(OCI_MANIFEST, imageManifest({ config: descOf(OCI_EMPTY, EMPTY_JSON), layers: [] }));
    const bytes = imageManifest({ artifactType: SBOM, config: descOf(OCI_EMPTY, EMPTY_JSON), layers: [], subject: missing, annotations: { [KEY]: 'early' } });
    const digest = await pushReferrer(name, bytes, OCI_MANIFEST, missing.digest);
    const { index } = await referrers(name, missing.digest);
    expect(index.manifests).toEqual([{ mediaType: OCI_MANIFEST, digest, size: bytes.length, artifactType: SBOM, annotations: { [KEY]: 'early' } }]);
  });

  it('end-12a only referrers in the same repository: "Each descriptor is of an image manifest or index in the same <name> namespace"', async () => {
    const other = repoName('referrers-other');
    await pushBlob(s, other, EMPTY_JSON);
    const bytes = imageManifest({ artifactType: SIG, config: descOf(OCI_EMPTY, EMPTY_JSON), layers: [], subject: subject.desc, annotations: { [KEY]: 'elsewhere' } });
    const digest = await pushReferrer(other, bytes, OCI_MANIFEST, subject.digest);
    const there = await referrers(other, subject.digest);
    expect(there.index.manifests.map((m) => m.digest)).toEqual([digest]);
    const here = await referrers(name, subject.digest);
    expect(here.index.manifests.map((m) => m.digest)).not.toContain(digest);
  });

  it('end-12a a digest with an invalid syntax: 400 Bad Request ("a 400 Bad Request MUST be returned")', async () => {
    for (const bad of ['sha256:not-hex', 'sha256:abc', 'nonsense']) {
      const { res, body } = await call(s, 'GET', `/v2/${name}/referrers/${bad}`);
      expect(res.status, bad).toBe(400);
      expectSpecShapeIfJson(res, body);
    }
  });
});
