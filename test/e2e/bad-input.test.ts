/**
 * End to end: `airlock copy` given bad input — malformed references and locations, bad
 * options, manifests it must refuse, wrong credentials, a registry that is not there. Each
 * must exit with the documented code and stable error code, and write nothing anywhere.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { makeImage, type FixtureImage } from '../helpers/fixtures.js';
import { freePort, startRegistry, type TestRegistry } from '../helpers/registry.js';
import { pushFixtureWithSkopeo } from '../helpers/skopeo.js';
import { makeCliSandbox, show, type CliResult, type CliSandbox } from './cli.js';
import { failureCode, filesUnder } from './leftovers.js';

const image = makeImage({ seed: 'e2e-bad-input', layers: [2048] });
const other = makeImage({ seed: 'e2e-bad-input-other', layers: [3072] });

let src: TestRegistry;
/** Where nothing must ever be written. */
let dst: TestRegistry;
let basic: TestRegistry;
/** In front of `src`: counts what each bad invocation asked for. */
let ps: FaultProxy;
let fake: FakeRegistry;
let sb: CliSandbox;
let work: string;

beforeAll(async () => {
  [src, dst, basic, sb, fake, work] = await Promise.all([
    startRegistry(),
    startRegistry(),
    startRegistry({ auth: 'basic' }),
    makeCliSandbox(),
    startFakeRegistry(),
    mkdtemp(join(tmpdir(), 'airlock-e2e-bad-')),
  ]);
  ps = await startFaultProxy({ upstream: src.url });
  await Promise.all([
    pushFixtureWithSkopeo(image, src, 'bad/image:v1'),
    pushFixtureWithSkopeo(other, src, 'bad/other:v1'),
    pushFixtureWithSkopeo(image, basic, 'bad/image:v1'),
  ]);
});

afterAll(async () => {
  await ps?.stop();
  await Promise.all([src?.stop(), dst?.stop(), basic?.stop(), fake?.stop(), sb?.remove(), work && rm(work, { recursive: true, force: true })]);
});

afterEach(async () => {
  // Whatever failed, the destination registry has not stored a single file.
  expect(await filesUnder(dst.dataDir)).toEqual([]);
  ps.resetRequests();
});

const GOOD_SRC = () => `docker://${ps.host}/bad/image:v1`;
const GOOD_DST = () => `docker://${dst.host}/bad/copy:v1`;

function copy(args: string[], timeoutMs = 30_000): Promise<CliResult> {
  return sb.run(['copy', ...args], { timeoutMs });
}

/** Exit code and stable code of a usage error, and proof that nothing was asked of any registry. */
function expectUsageError(r: CliResult, code: string): void {
  expect(r.code, show(r)).toBe(2);
  expect(r.stderr).toContain(`[${code}]`);
  expect(ps.requests).toEqual([]);
}

describe('malformed input is refused before any request', () => {
  // Note: `UPPER/x` is *not* malformed: as in Docker, an upper-case first component is a
  // registry host. Upper case in the repository path is.
  it.each(['x/UPPER', 'UPPER', 'nginx:', 'a@sha256:bad', 'a@sha256:' + 'A'.repeat(64), 'a:b:c', 'x/-y', 'x//y', 'docker://'])(
    'source reference %j: exit 2, REF_INVALID',
    async (ref) => {
      expectUsageError(await copy([ref, GOOD_DST()]), 'REF_INVALID');
    },
  );

  it.each(['x/UPPER', 'nginx:', 'a@sha256:bad'])('destination reference %j: exit 2, REF_INVALID', async (ref) => {
    expectUsageError(await copy([GOOD_SRC(), ref]), 'REF_INVALID');
  });

  it.each(['oci:', 'oci::tag', 'docker-archive:/x.tar', 'dir:/tmp/x', 'containers-storage:x/y'])(
    'source location %j: exit 2, LOCATION_INVALID',
    async (loc) => {
      expectUsageError(await copy([loc, GOOD_DST()]), 'LOCATION_INVALID');
    },
  );

  it('store: without a reference as source: exit 2, LOCATION_INVALID', async () => {
    expectUsageError(await copy(['store:', GOOD_DST()]), 'LOCATION_INVALID');
  });

  it('an OCI layout destination with an empty name: exit 2, LOCATION_INVALID, no directory made', async () => {
    expectUsageError(await copy([GOOD_SRC(), `oci:${join(work, 'empty-name')}:`]), 'LOCATION_INVALID');
    expect(existsSync(join(work, 'empty-name'))).toBe(false);
  });

  it.each(['foo', 'linux', 'linux/', '/amd64', 'linux/amd64/v8/extra'])('--platform %j: exit 2, PLATFORM_INVALID', async (p) => {
    expectUsageError(await copy(['--platform', p, GOOD_SRC(), GOOD_DST()]), 'PLATFORM_INVALID');
  });

  it('a bad number for --retries: exit 2', async () => {
    expectUsageError(await copy(['--retries', 'many', GOOD_SRC(), GOOD_DST()]), 'USAGE');
  });
});

describe('manifests airlock must refuse', () => {
  it.each([
    ['an unknown manifest media type', 'fake/unknown', 'MEDIA_TYPE_UNSUPPORTED'],
    ['a schema1 manifest', 'fake/schema1', 'MANIFEST_SCHEMA1_UNSUPPORTED'],
    ['a manifest over 4 MiB (Content-Length)', 'fake/huge', 'MANIFEST_TOO_LARGE'],
    ['a manifest over 4 MiB (chunked, no length)', 'fake/huge-chunked', 'MANIFEST_TOO_LARGE'],
  ])('%s: exit 1 with its code, no blob read, nothing written', async (_what, repo, code) => {
    fake.requests.length = 0;
    const r = await copy(['--json', `docker://${fake.host}/${repo}:v1`, GOOD_DST()]);
    expect(r.code, show(r)).toBe(1);
    expect(failureCode(r), show(r)).toBe(code);
    expect(fake.requests.filter((q) => q.includes('/blobs/'))).toEqual([]);
    expect(fake.requests.length).toBeGreaterThan(0);
  });
});

describe('credentials refused', () => {
  it('wrong source credentials for a Basic registry: exit 4, REGISTRY_UNAUTHORIZED', async () => {
    const r = await copy(['--src-creds', `${basic.username}:wrong`, `docker://${basic.host}/bad/image:v1`, GOOD_DST()]);
    expect(r.code, show(r)).toBe(4);
    expect(failureCode(r)).toBe('REGISTRY_UNAUTHORIZED');
  });

  it('no credentials for a Basic registry: exit 4', async () => {
    const r = await copy([`docker://${basic.host}/bad/image:v1`, GOOD_DST()]);
    expect(r.code, show(r)).toBe(4);
    expect(failureCode(r)).toBe('REGISTRY_UNAUTHORIZED');
  });

  it('wrong destination credentials: exit 4, and the Basic registry stored nothing of the image', async () => {
    const before = await filesUnder(basic.dataDir);
    const r = await copy(['--dest-creds', `${basic.username}:wrong`, `docker://${ps.host}/bad/other:v1`, `docker://${basic.host}/bad/pushed:v1`]);
    expect(r.code, show(r)).toBe(4);
    expect(failureCode(r)).toBe('REGISTRY_UNAUTHORIZED');
    expect(await filesUnder(basic.dataDir)).toEqual(before);
    // Refused before any blob was read from the source.
    expect(ps.requests.filter((q) => q.method === 'GET' && q.path.includes('/blobs/'))).toEqual([]);
  });
});

describe('a registry that is not there', () => {
  // Nothing listening (connection refused) gives the code; a host that resets every
  // connection it accepts counts the attempts: one plus --retries, then airlock gives up.
  it('as source: REGISTRY_UNREACHABLE after exactly 1 + --retries connection attempts', async () => {
    const port = await freePort();
    const refused = await copy(['--retries', '1', `docker://127.0.0.1:${port}/gone/image:v1`, GOOD_DST()]);
    expect(refused.code, show(refused)).toBe(1);
    expect(failureCode(refused)).toBe('REGISTRY_UNREACHABLE');

    const dead = await startResettingHost();
    try {
      const r = await copy(['--retries', '1', `docker://${dead.host}/gone/image:v1`, GOOD_DST()]);
      expect(r.code, show(r)).toBe(1);
      expect(failureCode(r)).toBe('REGISTRY_UNREACHABLE');
      expect(dead.connections()).toBe(2);
    } finally {
      await dead.stop();
    }
  });

  it('as destination: REGISTRY_UNREACHABLE after exactly 1 + --retries connection attempts, no blob read', async () => {
    const port = await freePort();
    const refused = await copy(['--retries', '1', GOOD_SRC(), `docker://127.0.0.1:${port}/gone/image:v1`]);
    expect(refused.code, show(refused)).toBe(1);
    expect(failureCode(refused)).toBe('REGISTRY_UNREACHABLE');

    const dead = await startResettingHost();
    try {
      const r = await copy(['--retries', '1', GOOD_SRC(), `docker://${dead.host}/gone/image:v1`]);
      expect(r.code, show(r)).toBe(1);
      expect(failureCode(r)).toBe('REGISTRY_UNREACHABLE');
      expect(dead.connections()).toBe(2);
    } finally {
      await dead.stop();
    }
    expect(ps.requests.filter((q) => q.method === 'GET' && q.path.includes('/blobs/'))).toEqual([]);
  });
});

/** A loopback port that accepts every TCP connection and resets it at once, counting them. */
async function startResettingHost(): Promise<{ host: string; connections(): number; stop(): Promise<void> }> {
  let connections = 0;
  const server = createNetServer((socket) => {
    connections++;
    socket.resetAndDestroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    connections: () => connections,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// ---------------------------------------------------------------- a registry serving odd manifests

interface FakeRegistry {
  host: string;
  /** `METHOD path` of every request, oldest first. */
  requests: string[];
  stop(): Promise<void>;
}

interface FakeManifest {
  body: Buffer;
  contentType: string;
  /** Send without Content-Length (chunked). */
  chunked?: boolean;
}

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

function fakeManifests(): Record<string, FakeManifest> {
  const unknown = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.example.unknown+json', payload: { hello: 'world' } }),
  );
  const schema1 = Buffer.from(
    JSON.stringify({
      schemaVersion: 1,
      name: 'fake/schema1',
      tag: 'v1',
      architecture: 'amd64',
      fsLayers: [{ blobSum: sha256(Buffer.from('layer')) }],
      history: [{ v1Compatibility: '{"id":"x"}' }],
      signatures: [],
    }),
  );
  const huge = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: image.configDesc.digest, size: image.configDesc.size },
      layers: (image as FixtureImage).layers.map((l) => l.desc),
      annotations: { padding: 'x'.repeat(5 << 20) },
    }),
  );
  return {
    'fake/unknown': { body: unknown, contentType: 'application/vnd.example.unknown+json' },
    'fake/schema1': { body: schema1, contentType: 'application/vnd.docker.distribution.manifest.v1+prettyjws' },
    'fake/huge': { body: huge, contentType: 'application/vnd.oci.image.manifest.v1+json' },
    'fake/huge-chunked': { body: huge, contentType: 'application/vnd.oci.image.manifest.v1+json', chunked: true },
  };
}

/**
 * Just enough of the registry API to serve one manifest per repository at tag `v1` and at
 * its digest (`/v2/` 200, HEAD and GET of manifests, with a Docker-Content-Digest that
 * matches the bytes); everything else is 404.
 */
async function startFakeRegistry(): Promise<FakeRegistry> {
  const manifests = fakeManifests();
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const method = req.method ?? 'GET';
    const path = (req.url ?? '/').split('?')[0]!;
    requests.push(`${method} ${path}`);
    req.resume();
    if (path === '/v2/' || path === '/v2') {
      res.writeHead(200, { 'content-type': 'application/json', 'docker-distribution-api-version': 'registry/2.0' });
      res.end('{}');
      return;
    }
    const m = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(path);
    const served = m ? manifests[m[1]!] : undefined;
    if (served && (m![2] === 'v1' || m![2] === sha256(served.body)) && (method === 'GET' || method === 'HEAD')) {
      const headers: Record<string, string | number> = {
        'content-type': served.contentType,
        'docker-content-digest': sha256(served.body),
      };
      if (!served.chunked) headers['content-length'] = served.body.length;
      res.writeHead(200, headers);
      res.end(method === 'HEAD' ? undefined : served.body);
      return;
    }
    const body = JSON.stringify({ errors: [{ code: 'NAME_UNKNOWN', message: 'not here' }] });
    res.writeHead(404, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    requests,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
