/**
 * End to end under faults: `airlock copy` as a child process between two real Distribution
 * registries with the fault proxy in front of the source (read faults) or the destination
 * (upload faults). Transient faults must be retried to a copy that validates; content that
 * does not match its digest must fail with a stable code and leave nothing behind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaultProxy, type FaultProxy, type ProxiedRequest } from '../helpers/fault-proxy.js';
import { makeImage, makeMultiArch, type Fixture, type FixtureImage } from '../helpers/fixtures.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { pushFixtureWithSkopeo } from '../helpers/skopeo.js';
import { validateRegistryImage } from '../helpers/validate.js';
import { jsonEvents, makeCliSandbox, show, type CliResult, type CliSandbox } from './cli.js';
import { failureCode, headBlobStatus, headManifestStatus, uploadDigest } from './leftovers.js';

// Layers well above the proxy's drop offsets, so a cut really lands mid-body.
const image = makeImage({ seed: 'e2e-faults', layers: [300_000, 120_000, 4096] });
const multi = makeMultiArch({ seed: 'e2e-faults-multi', platformLayers: [50_000] });
const layer = (i: number) => image.layers[i]!.desc.digest;
const blobPath = (repo: string, digest: string) => `/v2/${repo}/blobs/${digest}`;
const SRC_IMAGE = 'faults/image';
const SRC_MULTI = 'faults/multi';

function blobsOf(f: Fixture): string[] {
  const images: FixtureImage[] = f.kind === 'image' ? [f] : f.images;
  return [...new Set(images.flatMap((i) => [i.configDesc.digest, ...i.layers.map((l) => l.desc.digest)]))];
}

let src: TestRegistry;
let dst: TestRegistry;
let sb: CliSandbox;
const proxies: FaultProxy[] = [];

beforeAll(async () => {
  [src, dst, sb] = await Promise.all([startRegistry(), startRegistry(), makeCliSandbox()]);
  expect(await pushFixtureWithSkopeo(image, src, `${SRC_IMAGE}:v1`)).toBe(image.manifestDesc.digest);
  expect(await pushFixtureWithSkopeo(multi, src, `${SRC_MULTI}:v1`)).toBe(multi.manifestDesc.digest);
});

afterAll(async () => {
  await Promise.all(proxies.map((p) => p.stop()));
  await Promise.all([src?.stop(), dst?.stop(), sb?.remove()]);
});

/** A fresh proxy (own rules, own log) in front of `reg`. */
async function proxyFor(reg: TestRegistry): Promise<FaultProxy> {
  const p = await startFaultProxy({ upstream: reg.url });
  proxies.push(p);
  return p;
}

function copy(from: string, to: string, extra: string[] = []): Promise<CliResult> {
  return sb.run(['copy', '--json', ...extra, `docker://${from}`, `docker://${to}`], { timeoutMs: 60_000 });
}

function requestsTo(p: FaultProxy, method: string, path: string): ProxiedRequest[] {
  return p.requests.filter((r) => r.method === method && r.path.split('?')[0] === path);
}

function retryEvents(r: CliResult): Array<{ digest: string; attempt: number; code: string }> {
  return jsonEvents(r.stdout).filter((e) => e.type === 'blob-retry') as never;
}

/** The run's last event is its summary: nothing went on after the result was reported. */
function expectEndsWithSummary(r: CliResult): void {
  const events = jsonEvents(r.stdout);
  expect(events.at(-1)?.type, show(r)).toBe('summary');
  expect(events.at(-2)?.type, show(r)).toBe('image-done');
}

async function expectValid(repo: string, digest: string): Promise<void> {
  const v = await validateRegistryImage({ url: dst.url, repository: repo, reference: 'v1', expectDigest: digest });
  expect(v.digest).toBe(digest);
}

describe('transient faults at the source are retried', () => {
  it('survives a connection dropped mid-blob (twice) and reports the blob retries', async () => {
    const p = await proxyFor(src);
    p.addRule({ method: 'GET', path: blobPath(SRC_IMAGE, layer(0)), drop: 100_000, times: 2 });
    const r = await copy(`${p.host}/${SRC_IMAGE}:v1`, `${dst.host}/drop/image:v1`);
    expect(r.code, show(r)).toBe(0);
    await expectValid('drop/image', image.manifestDesc.digest);

    const gets = requestsTo(p, 'GET', blobPath(SRC_IMAGE, layer(0)));
    expect(gets.map((g) => g.fault)).toEqual(['drop', 'drop', undefined]);
    const retries = retryEvents(r).filter((e) => e.digest === layer(0));
    expect(jsonEvents(r.stdout).filter((e) => e.type === 'blob-retry').map((e) => e.destination)).toEqual([
      `docker://${dst.host}/drop/image:v1`,
      `docker://${dst.host}/drop/image:v1`,
    ]);
    expect(retries.map((e) => [e.attempt, e.code])).toEqual([
      [1, 'REGISTRY_UNREACHABLE'],
      [2, 'REGISTRY_UNREACHABLE'],
    ]);
    // The other blobs were read once each.
    expect(requestsTo(p, 'GET', blobPath(SRC_IMAGE, layer(1)))).toHaveLength(1);
  });

  it('survives manifest bodies cut short (index and child)', async () => {
    const p = await proxyFor(src);
    const manifests = new RegExp(`^/v2/${SRC_MULTI}/manifests/`);
    p.addRule({ method: 'GET', path: manifests, drop: 100, times: 2 });
    const r = await copy(`${p.host}/${SRC_MULTI}:v1`, `${dst.host}/dropmanifest/multi:v1`);
    expect(r.code, show(r)).toBe(0);
    await expectValid('dropmanifest/multi', multi.manifestDesc.digest);
    const cut = p.requests.filter((q) => q.fault === 'drop');
    expect(cut).toHaveLength(2);
    for (const c of cut) {
      expect(p.requests.some((q) => q.method === 'GET' && q.path === c.path && q.status === 200 && q.at > c.at)).toBe(true);
    }
  });

  it('survives 500s on manifest and blob GETs', async () => {
    const p = await proxyFor(src);
    const manifests = new RegExp(`^/v2/${SRC_MULTI}/manifests/`);
    const base = multi.images[0]!.layers[0]!.desc.digest;
    p.addRule({ method: 'GET', path: manifests, status: 500, times: 3 });
    p.addRule({ method: 'GET', path: blobPath(SRC_MULTI, base), status: 500, times: 2 });
    const r = await copy(`${p.host}/${SRC_MULTI}:v1`, `${dst.host}/err500/multi:v1`);
    expect(r.code, show(r)).toBe(0);
    await expectValid('err500/multi', multi.manifestDesc.digest);

    const manifestGets = p.requests.filter((q) => q.method === 'GET' && manifests.test(q.path));
    expect(manifestGets.filter((q) => q.status === 500)).toHaveLength(3);
    // Each 500 was followed by another GET of the same manifest that succeeded.
    for (const path of new Set(manifestGets.filter((q) => q.status === 500).map((q) => q.path))) {
      expect(manifestGets.some((q) => q.path === path && q.status === 200)).toBe(true);
    }
    expect(requestsTo(p, 'GET', blobPath(SRC_MULTI, base)).map((q) => q.status)).toEqual([500, 500, 200]);
  });

  it('waits out a 429 for its Retry-After before asking again', async () => {
    const p = await proxyFor(src);
    p.addRule({ method: 'GET', path: blobPath(SRC_IMAGE, layer(1)), status: 429, retryAfter: 1 });
    const r = await copy(`${p.host}/${SRC_IMAGE}:v1`, `${dst.host}/ratelimit/image:v1`);
    expect(r.code, show(r)).toBe(0);
    await expectValid('ratelimit/image', image.manifestDesc.digest);

    const gets = requestsTo(p, 'GET', blobPath(SRC_IMAGE, layer(1)));
    expect(gets.map((g) => g.status)).toEqual([429, 200]);
    // Retry-After: 1 means at least a second between the two; allow for clock granularity.
    expect(gets[1]!.at - gets[0]!.at).toBeGreaterThanOrEqual(950);
  });

  it('copies through slow responses', async () => {
    const p = await proxyFor(src);
    p.addRule({ method: 'GET', path: new RegExp(`^/v2/${SRC_IMAGE}/(blobs|manifests)/`), delayMs: 700, times: Infinity });
    const r = await copy(`${p.host}/${SRC_IMAGE}:v1`, `${dst.host}/slow/image:v1`);
    expect(r.code, show(r)).toBe(0);
    await expectValid('slow/image', image.manifestDesc.digest);
    const delayed = p.requests.filter((q) => q.fault === 'delay');
    // The manifest and every blob came through the delay, once each: slowness alone is no reason to retry.
    expect(delayed.length).toBe(1 + blobsOf(image).length);
    expect(retryEvents(r)).toEqual([]);
  });
});

describe('faults at the destination', () => {
  const uploads = (repo: string) => new RegExp(`^/v2/${repo}/blobs/uploads/`);

  it('survives connection resets on upload POST and on PUTs cut mid-body', async () => {
    const p = await proxyFor(dst);
    p.addRule({ method: 'POST', path: uploads('reset/image'), reset: true });
    // One blob at a time, in manifest order: config first, so PUTs 2 and 3 are layer 0 (300 kB).
    p.addRule({ method: 'PUT', path: uploads('reset/image'), reset: true, skip: 1, times: 2 });
    const r = await copy(`${src.host}/${SRC_IMAGE}:v1`, `${p.host}/reset/image:v1`, ['--blob-jobs', '1']);
    expect(r.code, show(r)).toBe(0);
    await expectValid('reset/image', image.manifestDesc.digest);

    expect(p.requests.filter((q) => q.fault === 'reset').map((q) => q.method)).toEqual(['POST', 'PUT', 'PUT']);
    const puts = p.requests.filter((q) => q.method === 'PUT' && uploads('reset/image').test(q.path));
    expect(puts.filter((q) => q.fault === 'reset').map((q) => uploadDigest(q.path))).toEqual([layer(0), layer(0)]);
    // Every blob committed exactly once; the reset one on its third attempt.
    const committed = puts.filter((q) => q.status === 201).map((q) => uploadDigest(q.path));
    expect(committed.sort()).toEqual(blobsOf(image).sort());
    expect(retryEvents(r).map((e) => [e.digest, e.attempt, e.code])).toEqual([
      [layer(0), 1, 'REGISTRY_UNREACHABLE'],
      [layer(0), 2, 'REGISTRY_UNREACHABLE'],
    ]);
  });

  it('gives up with REGISTRY_UNREACHABLE when every upload of a blob is reset, leaving no blob and no tag', async () => {
    const p = await proxyFor(dst);
    p.addRule({ method: 'PUT', path: uploads('resetall/image'), reset: true, skip: 1, times: Infinity });
    const r = await copy(`${src.host}/${SRC_IMAGE}:v1`, `${p.host}/resetall/image:v1`, ['--blob-jobs', '1']);
    expect(r.code, show(r)).toBe(1);
    expect(failureCode(r)).toBe('REGISTRY_UNREACHABLE');
    expect(p.requests.filter((q) => q.fault === 'reset').length).toBeGreaterThan(1);
    // The failure stopped the image: nothing queued behind layer 0 was uploaded (at most looked for).
    expect(new Set(retryEvents(r).map((e) => e.digest))).toEqual(new Set([layer(0)]));
    expect(p.requests.filter((q) => q.method !== 'HEAD' && (q.path.includes(layer(1)) || q.path.includes(layer(2))))).toEqual([]);
    expectEndsWithSummary(r);
    expect(await headBlobStatus(dst.url, 'resetall/image', layer(0))).toBe(404);
    expect(await headManifestStatus(dst.url, 'resetall/image', 'v1')).toBe(404);
  });
});

describe('one retry policy: each operation is retried once, as --retries says, and Ctrl-C ends the wait', () => {
  it('a blob GET that always answers 503 is sent exactly 1 + --retries times, then fails', async () => {
    const p = await proxyFor(src);
    const bad = layer(1);
    p.addRule({ method: 'GET', path: blobPath(SRC_IMAGE, bad), status: 503, retryAfter: 0, times: Infinity });
    for (const retries of [0, 3]) {
      p.resetRequests();
      const r = await copy(`${p.host}/${SRC_IMAGE}:v1`, `${dst.host}/always503/image:v1`, ['--retries', String(retries)]);
      expect(r.code, show(r)).toBe(1);
      expect(failureCode(r)).toBe('REGISTRY_ERROR');
      expect(requestsTo(p, 'GET', blobPath(SRC_IMAGE, bad))).toHaveLength(1 + retries);
    }
    expect(await headManifestStatus(dst.url, 'always503/image', 'v1')).toBe(404);
  });

  it('a blob body that always breaks off is read exactly 1 + --retries times', async () => {
    const p = await proxyFor(src);
    const bad = layer(0);
    p.addRule({ method: 'GET', path: blobPath(SRC_IMAGE, bad), drop: 50_000, times: Infinity });
    const r = await copy(`${p.host}/${SRC_IMAGE}:v1`, `${dst.host}/alwaysdrop/image:v1`, ['--retries', '2']);
    expect(r.code, show(r)).toBe(1);
    expect(failureCode(r)).toBe('REGISTRY_UNREACHABLE');
    expect(requestsTo(p, 'GET', blobPath(SRC_IMAGE, bad))).toHaveLength(3);
    expect(retryEvents(r).map((e) => e.attempt)).toEqual([1, 2]);
  });

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('%s during a Retry-After wait exits %i at once, without asking again', async (sig, exit) => {
    const p = await proxyFor(src);
    const bad = layer(1);
    // Retry-After 30: a client that waited it out would ask a second time before exiting.
    p.addRule({ method: 'GET', path: blobPath(SRC_IMAGE, bad), status: 429, retryAfter: 30, times: Infinity });
    const r = await sb.run(['copy', '--json', `docker://${p.host}/${SRC_IMAGE}:v1`, `docker://${dst.host}/interrupted/image:v1`], {
      timeoutMs: 20_000,
      onSpawn: (child) => {
        const poll = setInterval(() => {
          if (requestsTo(p, 'GET', blobPath(SRC_IMAGE, bad)).length > 0) {
            clearInterval(poll);
            child.kill(sig);
          }
        }, 20);
        child.once('close', () => clearInterval(poll));
      },
    });
    expect(r.code, show(r)).toBe(exit);
    expect(requestsTo(p, 'GET', blobPath(SRC_IMAGE, bad))).toHaveLength(1);
    expect(await headManifestStatus(dst.url, 'interrupted/image', 'v1')).toBe(404);
  });
});

describe('content that does not match its digest', () => {
  it('fails with DIGEST_MISMATCH and writes nothing unverified when a blob is corrupted on every read', async () => {
    const p = await proxyFor(src);
    const bad = layer(1);
    p.addRule({ method: 'GET', path: blobPath(SRC_IMAGE, bad), corrupt: true, times: Infinity });
    const r = await copy(`${p.host}/${SRC_IMAGE}:v1`, `${dst.host}/corrupt/image:v1`);
    expect(r.code, show(r)).toBe(1);
    expect(failureCode(r)).toBe('DIGEST_MISMATCH');
    // Retried (a corrupted transfer may be transient), every attempt got bad bytes.
    const gets = requestsTo(p, 'GET', blobPath(SRC_IMAGE, bad));
    expect(gets.length).toBeGreaterThan(1);
    expect(gets.every((g) => g.fault === 'corrupt')).toBe(true);
    expect(retryEvents(r).every((e) => e.digest === bad && e.code === 'DIGEST_MISMATCH')).toBe(true);
    expectEndsWithSummary(r);

    expect(await headBlobStatus(dst.url, 'corrupt/image', bad)).toBe(404);
    expect(await headManifestStatus(dst.url, 'corrupt/image', 'v1')).toBe(404);
    expect(await headManifestStatus(dst.url, 'corrupt/image', image.manifestDesc.digest)).toBe(404);
  });

  it('fails with a stable code and writes nothing when a blob is truncated on every read', async () => {
    const p = await proxyFor(src);
    const bad = layer(0);
    p.addRule({ method: 'GET', path: blobPath(SRC_IMAGE, bad), drop: 50_000, times: Infinity });
    const r = await copy(`${p.host}/${SRC_IMAGE}:v1`, `${dst.host}/truncated/image:v1`);
    expect(r.code, show(r)).toBe(1);
    // A body that breaks off is a lost connection, reported as such after the retries.
    expect(failureCode(r), show(r)).toBe('REGISTRY_UNREACHABLE');
    expect(retryEvents(r).every((e) => e.digest === bad && e.code === 'REGISTRY_UNREACHABLE')).toBe(true);
    expectEndsWithSummary(r);
    expect(requestsTo(p, 'GET', blobPath(SRC_IMAGE, bad)).length).toBeGreaterThan(1);

    expect(await headBlobStatus(dst.url, 'truncated/image', bad)).toBe(404);
    expect(await headManifestStatus(dst.url, 'truncated/image', 'v1')).toBe(404);
  });
});
