import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AirlockError, ErrorCodes } from '../../errors.js';
import type { Digest } from '../../oci/digest.js';
import { MediaTypes } from '../../oci/mediatypes.js';
import { createTransportContext } from '../context.js';
import { parseLocation } from '../location.js';
import { DockerArchive, DockerArchiveReader } from './docker-archive-reader.js';
import { dockerArchiveTransport } from './docker-archive-transport.js';
import { fileHeader } from './tar-blocks.js';
import { DockerArchiveWriter } from './docker-archive-writer.js';
import { indexTar } from './tar-index.js';
import { resolveEntry } from './tar-links.js';

let dir: string;
const sha256 = (b: Uint8Array | string) => `sha256:${createHash('sha256').update(b).digest('hex')}` as Digest;
const hex = (d: string) => d.slice(7);
const describeNone = () => 'docker-archive:test';
/** How docker-archive reading indexes: symbolic links recorded, not refused. */
const LINKS = { symlinks: 'record' } as const;

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    return e instanceof AirlockError ? e.code : `not an AirlockError: ${String(e)}`;
  }
  return undefined;
}

/** Packs `files` (name -> content, or {link}) with GNU tar. */
async function pack(name: string, files: Record<string, string | Buffer | { link: string }>): Promise<string> {
  const src = await fs.mkdtemp(path.join(dir, 'src-'));
  for (const [f, v] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(src, f)), { recursive: true });
    if (typeof v === 'object' && !Buffer.isBuffer(v)) await fs.symlink(v.link, path.join(src, f));
    else await fs.writeFile(path.join(src, f), v);
  }
  const out = path.join(dir, name);
  execFileSync('tar', ['-cf', out, '--format=gnu', '-C', src, ...(await fs.readdir(src))]);
  return out;
}

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-docker-archive-'));
});

afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('the docker-archive entry table', () => {
  it('records symbolic links and follows them inside the archive', async () => {
    const file = await pack('links.tar', { 'a/layer.tar': 'A', 'b/layer.tar': { link: '../a/layer.tar' }, 'c.tar': { link: 'b/layer.tar' } });
    const tar = await indexTar(file, LINKS);
    expect(tar.links.get('b/layer.tar')).toBe('../a/layer.tar');
    const found = resolveEntry(tar, 'c.tar')!;
    expect(found.entry.name).toBe('a/layer.tar');
    expect(found.names).toEqual(['c.tar', 'b/layer.tar', 'a/layer.tar']);
    expect(resolveEntry(tar, 'nothing')).toBeUndefined();
  });

  it.each([
    ['an absolute target', { 'x/layer.tar': { link: '/etc/passwd' } }],
    ['a target leaving the archive', { 'x/layer.tar': { link: '../../etc/passwd' } }],
  ])('refuses %s (ARCHIVE_INVALID) when indexing', async (_what, files) => {
    const file = await pack(`bad-${Math.random()}.tar`, files);
    expect(await codeOf(indexTar(file, LINKS))).toBe(ErrorCodes.ARCHIVE_INVALID);
  });

  it('refuses hard links, and dangling or looping links when followed', async () => {
    const src = await fs.mkdtemp(path.join(dir, 'hard-'));
    await fs.writeFile(path.join(src, 'a'), 'A');
    await fs.link(path.join(src, 'a'), path.join(src, 'b'));
    const hard = path.join(dir, 'hard.tar');
    execFileSync('tar', ['-cf', hard, '-C', src, 'a', 'b']);
    expect(await codeOf(indexTar(hard, LINKS))).toBe(ErrorCodes.ARCHIVE_INVALID);
    const tar = await indexTar(await pack('loops.tar', { dangling: { link: 'gone' }, x: { link: 'y' }, y: { link: 'x' } }), LINKS);
    expect(await codeOf(Promise.resolve().then(() => resolveEntry(tar, 'dangling')))).toBe(ErrorCodes.ARCHIVE_INVALID);
    expect(await codeOf(Promise.resolve().then(() => resolveEntry(tar, 'x')))).toBe(ErrorCodes.ARCHIVE_INVALID);
  });
});

describe('reading a docker-archive', () => {
  const plain = Buffer.from('an uncompressed layer');
  const gz = gzipSync(Buffer.from('a gzip layer'));

  function config(diffIds: string[]): Buffer {
    return Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: diffIds } }));
  }

  it('synthesises a v2s2 manifest: stored bytes and digests, media types from the content, each layer hashed once', async () => {
    const cfg = config([sha256(plain), sha256('a gzip layer'), sha256(plain)]);
    const file = await pack('good.tar', {
      'manifest.json': JSON.stringify([{ Config: `${hex(sha256(cfg))}.json`, RepoTags: ['busybox:1'], Layers: ['p/layer.tar', 'g.tar', 'q/layer.tar'] }]),
      [`${hex(sha256(cfg))}.json`]: cfg,
      'p/layer.tar': plain,
      'g.tar': gz,
      'q/layer.tar': { link: '../p/layer.tar' },
    });
    const reader = new DockerArchiveReader(await DockerArchive.open(file), describeNone);
    const desc = await reader.headManifest('docker.io/library/busybox', '1');
    expect(desc?.mediaType).toBe(MediaTypes.dockerManifest);
    const m = JSON.parse((await reader.getManifest('docker.io/library/busybox', '1')).bytes.toString('utf8'));
    expect(m.config).toEqual({ mediaType: MediaTypes.dockerConfig, size: cfg.length, digest: sha256(cfg) });
    expect(m.layers).toEqual([
      { mediaType: 'application/vnd.docker.image.rootfs.diff.tar', size: plain.length, digest: sha256(plain) },
      { mediaType: MediaTypes.dockerLayerGzip, size: gz.length, digest: sha256(gz) },
      { mediaType: 'application/vnd.docker.image.rootfs.diff.tar', size: plain.length, digest: sha256(plain) },
    ]);
    expect(await reader.headManifest('', '@0')).toEqual(desc);
    expect(await reader.headManifest('')).toEqual(desc);
    expect(await reader.headManifest('', desc!.digest)).toEqual(desc);
    expect(await reader.headManifest('docker.io/library/busybox', '2')).toBeNull();
    expect(await reader.listRepositories()).toEqual(['docker.io/library/busybox']);
    expect(await reader.listTags('docker.io/library/busybox')).toEqual(['1']);
    const chunks: Buffer[] = [];
    for await (const c of await reader.getBlob('', sha256(gz))) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks)).toEqual(gz);
  });

  it('refuses a gzip layer that does not unpack to its diff_id (DIGEST_MISMATCH)', async () => {
    const cfg = config([sha256('something else')]);
    const file = await pack('gz-bad.tar', {
      'manifest.json': JSON.stringify([{ Config: 'c.json', RepoTags: null, Layers: ['g.tar'] }]),
      'c.json': cfg,
      'g.tar': gz,
    });
    const reader = new DockerArchiveReader(await DockerArchive.open(file), describeNone);
    expect(await codeOf(reader.headManifest(''))).toBe(ErrorCodes.DIGEST_MISMATCH);
  });

  it('refuses a gzip layer cut short (ARCHIVE_INVALID)', async () => {
    const big = gzipSync(Buffer.alloc(200_000, 7));
    const file = await pack('gz-cut.tar', {
      'manifest.json': JSON.stringify([{ Config: 'c.json', RepoTags: [], Layers: ['g.tar'] }]),
      'c.json': config([sha256(Buffer.alloc(200_000, 7))]),
      'g.tar': big.subarray(0, big.length - 20),
    });
    const reader = new DockerArchiveReader(await DockerArchive.open(file), describeNone);
    expect(await codeOf(reader.headManifest(''))).toBe(ErrorCodes.ARCHIVE_INVALID);
  });

  it('refuses an archive without manifest.json (ARCHIVE_INVALID)', async () => {
    expect(await codeOf(DockerArchive.open(await pack('none.tar', { 'index.json': '{}' })))).toBe(ErrorCodes.ARCHIVE_INVALID);
  });
});

describe('writing a docker-archive', () => {
  const layer = gzipSync(Buffer.from('layer content '.repeat(500)));
  const cfg = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256('layer content '.repeat(500))] } }));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaTypes.dockerManifest,
      config: { mediaType: MediaTypes.dockerConfig, size: cfg.length, digest: sha256(cfg) },
      layers: [{ mediaType: MediaTypes.dockerLayerGzip, size: layer.length, digest: sha256(layer) }],
    }),
  );
  const desc = (bytes: Buffer, mediaType: string) => ({ mediaType, size: bytes.length, digest: sha256(bytes) });

  function breaking(bytes: Buffer): Readable {
    return new Readable({
      read() {
        this.push(bytes.subarray(0, 100));
        this.destroy(new Error('connection reset'));
      },
    });
  }

  it('cuts off a blob whose stream broke, so the retry leaves a sound archive; temp file renamed on commit', async () => {
    const file = path.join(dir, 'out', 'retry.tar');
    const w = new DockerArchiveWriter(file, describeNone);
    expect(w.capabilities).toMatchObject({ serialBlobs: true, manifestTypes: [MediaTypes.dockerManifest, MediaTypes.dockerManifestList] });
    await w.putBlob('r', desc(cfg, MediaTypes.dockerConfig), Readable.from([cfg]));
    await expect(w.putBlob('r', desc(layer, MediaTypes.dockerLayerGzip), breaking(layer))).rejects.toThrow('connection reset');
    expect(await w.headBlob('r', sha256(layer))).toBeNull();
    // The temporary file holds the config entry only: header and content padded to 512.
    const [tmp, ...others] = await fs.readdir(path.dirname(file));
    expect(others).toEqual([]);
    expect(tmp).toMatch(/^\.retry\.tar\..*\.tmp$/);
    expect((await fs.stat(path.join(path.dirname(file), tmp!))).size).toBe(512 + Math.ceil(cfg.length / 512) * 512);
    await w.putBlob('r', desc(layer, MediaTypes.dockerLayerGzip), Readable.from([layer]));
    await w.putManifest('example.org/r', '1', manifest, desc(manifest, MediaTypes.dockerManifest));
    await w.commit();
    await w.close();
    expect(await fs.readdir(path.dirname(file))).toEqual(['retry.tar']);
    expect(execFileSync('tar', ['-tf', file]).toString().trim().split('\n')).toEqual([`${hex(sha256(cfg))}.json`, `${hex(sha256(layer))}.tar`, 'manifest.json', 'repositories']);
    const back = new DockerArchiveReader(await DockerArchive.open(file), describeNone);
    const m = JSON.parse((await back.getManifest('example.org/r', '1')).bytes.toString('utf8'));
    expect(m.layers[0].digest).toBe(sha256(layer));
  });

  it('refuses a blob that does not match its digest, and leaves nothing when closed without commit', async () => {
    const file = path.join(dir, 'out2', 'abandoned.tar');
    const w = new DockerArchiveWriter(file, describeNone);
    await w.putBlob('r', desc(cfg, MediaTypes.dockerConfig), Readable.from([cfg]));
    const wrong = Buffer.from(layer);
    wrong[10] = wrong[10]! ^ 1;
    expect(await codeOf(w.putBlob('r', desc(layer, MediaTypes.dockerLayerGzip), Readable.from([wrong])))).toBe(ErrorCodes.DIGEST_MISMATCH);
    await w.close();
    expect(await fs.readdir(path.dirname(file))).toEqual([]);
  });

  it('refuses an index of several images (MEDIA_TYPE_UNSUPPORTED)', async () => {
    const w = new DockerArchiveWriter(path.join(dir, 'multi.tar'), describeNone);
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaTypes.dockerManifestList,
        manifests: ['amd64', 'arm64'].map((architecture) => ({ ...desc(manifest, MediaTypes.dockerManifest), platform: { os: 'linux', architecture } })),
      }),
    );
    expect(await codeOf(w.putManifest('r', '1', index, desc(index, MediaTypes.dockerManifestList)))).toBe(ErrorCodes.MEDIA_TYPE_UNSUPPORTED);
    await w.close();
  });

  it('opens one write session per file and run, and none on an @N location (LOCATION_INVALID)', async () => {
    const ctx = createTransportContext({ storeDir: path.join(dir, 'store') });
    const file = path.join(dir, 'once.tar');
    await dockerArchiveTransport.openWriter(parseLocation(`docker-archive:${file}:a/b:1`), ctx);
    expect(await codeOf(dockerArchiveTransport.openWriter(parseLocation(`docker-archive:${file}:a/c:1`), ctx))).toBe(ErrorCodes.LOCATION_INVALID);
    expect(await codeOf(dockerArchiveTransport.openWriter(parseLocation(`docker-archive:${path.join(dir, 'other.tar')}:@0`), ctx))).toBe(ErrorCodes.LOCATION_INVALID);
    await ctx.close();
  });

  it('encodes sizes over 8 GiB in base-256, as GNU tar does', () => {
    const size = 9 * 1024 ** 3;
    const h = fileHeader('big.tar', size);
    expect(h[124]).toBe(0x80);
    expect(h.subarray(125, 136).reduce((n, b) => n * 256 + b, 0)).toBe(size);
    expect(fileHeader('small.tar', 1000).toString('ascii', 124, 135)).toBe((1000).toString(8).padStart(11, '0'));
  });
});
