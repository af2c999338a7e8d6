import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../errors.js';
import { Annotations, type Descriptor } from '../../oci/descriptor.js';
import { digestHex, digestOf, type Digest } from '../../oci/digest.js';
import { MediaTypes } from '../../oci/mediatypes.js';
import { INGEST_STALE_MS } from './blobs.js';
import { LAYOUT_WORK_DIR, OciLayout } from './layout.js';

let tmp: string;
beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-layout-'));
});
afterEach(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

function blob(text: string): { bytes: Buffer; desc: Descriptor } {
  const bytes = Buffer.from(text);
  return { bytes, desc: { mediaType: MediaTypes.ociLayerGzip, digest: digestOf(bytes), size: bytes.length } };
}

async function rejection(p: Promise<unknown>): Promise<{ code?: string }> {
  try {
    await p;
  } catch (err) {
    return err as { code?: string };
  }
  throw new Error('expected a rejection');
}

async function ingestLeftovers(dir: string): Promise<string[]> {
  return fs.readdir(path.join(dir, LAYOUT_WORK_DIR, 'ingest')).catch(() => []);
}

function chunks(...parts: Buffer[]): Readable {
  return Readable.from(parts);
}

describe('OciLayout', () => {
  it('sweeps ingest files a killed writer abandoned, and keeps fresh ones', async () => {
    const dir = path.join(tmp, 'sweep');
    const ingest = path.join(dir, LAYOUT_WORK_DIR, 'ingest');
    await fs.mkdir(ingest, { recursive: true });
    const stale = path.join(ingest, 'abandoned.tmp');
    const fresh = path.join(ingest, 'in-progress.tmp');
    await fs.writeFile(stale, 'partial');
    await fs.writeFile(fresh, 'partial');
    const old = new Date(Date.now() - INGEST_STALE_MS - 60_000);
    await fs.utimes(stale, old, old);
    await OciLayout.open(dir, { create: true });
    expect(await fs.readdir(ingest)).toEqual(['in-progress.tmp']);
  });

  it('creates oci-layout, an empty index.json and blobs/sha256 when asked to', async () => {
    const dir = path.join(tmp, 'new');
    const layout = await OciLayout.open(dir, { create: true });
    expect(JSON.parse(await fs.readFile(path.join(dir, 'oci-layout'), 'utf8'))).toEqual({ imageLayoutVersion: '1.0.0' });
    expect((await layout.readIndex()).manifests).toEqual([]);
    expect((await fs.stat(path.join(dir, 'blobs', 'sha256'))).isDirectory()).toBe(true);
    expect(layout.dir).toBe(await fs.realpath(dir));
  });

  it('refuses a missing directory without create', async () => {
    expect((await rejection(OciLayout.open(path.join(tmp, 'nope')))).code).toBe(ErrorCodes.LAYOUT_INVALID);
  });

  it('refuses a directory without an oci-layout file', async () => {
    await fs.writeFile(path.join(tmp, 'index.json'), '{"schemaVersion":2,"manifests":[]}');
    expect((await rejection(OciLayout.open(tmp))).code).toBe(ErrorCodes.LAYOUT_INVALID);
  });

  it('refuses a malformed index.json, even with create', async () => {
    const layout = await OciLayout.open(tmp, { create: true });
    await fs.writeFile(layout.indexPath, '{"schemaVersion":2,"manifests":[');
    expect((await rejection(OciLayout.open(tmp))).code).toBe(ErrorCodes.LAYOUT_INVALID);
    expect((await rejection(OciLayout.open(tmp, { create: true }))).code).toBe(ErrorCodes.LAYOUT_INVALID);
    expect((await rejection(layout.readIndex())).code).toBe(ErrorCodes.LAYOUT_INVALID);
    expect((await rejection(layout.setRef('x', blob('x').desc))).code).toBe(ErrorCodes.LAYOUT_INVALID);
    expect(await fs.readFile(layout.indexPath, 'utf8')).toBe('{"schemaVersion":2,"manifests":[');
  });

  it('refuses an index.json whose entries are not descriptors', async () => {
    const layout = await OciLayout.open(tmp, { create: true });
    await fs.writeFile(layout.indexPath, JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'x', digest: 'sha256:../../etc', size: 1 }] }));
    expect((await rejection(layout.readIndex())).code).toBe(ErrorCodes.LAYOUT_INVALID);
    await fs.writeFile(layout.indexPath, JSON.stringify({ schemaVersion: 1, manifests: [] }));
    expect((await rejection(layout.readIndex())).code).toBe(ErrorCodes.LAYOUT_INVALID);
  });

  it('refuses digests that could escape the blobs directory', async () => {
    const layout = await OciLayout.open(tmp, { create: true });
    expect(() => layout.blobPath('sha256:../../../etc/passwd' as Digest)).toThrow(expect.objectContaining({ code: ErrorCodes.DIGEST_INVALID }));
  });

  it('writes a streamed blob under blobs/<alg>/<hex> and reads it back', async () => {
    const layout = await OciLayout.open(tmp, { create: true });
    const { bytes, desc } = blob('hello layer');
    expect(await layout.writeBlob(desc, chunks(bytes.subarray(0, 3), bytes.subarray(3)))).toBe('written');
    expect(layout.blobPath(desc.digest)).toBe(path.join(layout.dir, 'blobs', 'sha256', digestHex(desc.digest)));
    expect(await layout.hasBlob(desc.digest)).toBe(bytes.length);
    expect(await layout.readBytes(desc.digest, desc.size)).toEqual(bytes);
    const read: Buffer[] = [];
    for await (const c of await layout.readBlob(desc.digest)) read.push(c as Buffer);
    expect(Buffer.concat(read)).toEqual(bytes);
    expect(await ingestLeftovers(tmp)).toEqual([]);
    // Writing it again skips and still consumes the stream.
    const again = chunks(bytes);
    expect(await layout.writeBlob(desc, again)).toBe('exists');
    expect(again.readableEnded).toBe(true);
  });

  it('rejects a blob whose bytes do not match its digest and leaves nothing behind', async () => {
    const layout = await OciLayout.open(tmp, { create: true });
    const { desc } = blob('the real content');
    const err = await rejection(layout.writeBlob(desc, chunks(Buffer.from('the fake content'))));
    expect(err.code).toBe(ErrorCodes.DIGEST_MISMATCH);
    expect(await layout.hasBlob(desc.digest)).toBeNull();
    expect(await ingestLeftovers(tmp)).toEqual([]);
  });

  it('rejects a blob of the wrong size and leaves nothing behind', async () => {
    const layout = await OciLayout.open(tmp, { create: true });
    const { bytes, desc } = blob('twelve bytes');
    expect((await rejection(layout.writeBlob(desc, chunks(bytes, Buffer.from('!'))))).code).toBe(ErrorCodes.SIZE_MISMATCH);
    expect((await rejection(layout.writeBlob(desc, chunks(bytes.subarray(0, 5))))).code).toBe(ErrorCodes.SIZE_MISMATCH);
    expect(await layout.hasBlob(desc.digest)).toBeNull();
    expect(await ingestLeftovers(tmp)).toEqual([]);
  });

  it('leaves nothing behind when the incoming stream fails mid-way', async () => {
    const layout = await OciLayout.open(tmp, { create: true });
    const { bytes, desc } = blob('x'.repeat(200_000));
    const boom = new Error('connection reset');
    const failing = new Readable({
      read() {
        this.push(bytes.subarray(0, 65_536));
        setImmediate(() => this.destroy(boom));
      },
    });
    await expect(layout.writeBlob(desc, failing)).rejects.toBe(boom);
    expect(await layout.hasBlob(desc.digest)).toBeNull();
    expect(await ingestLeftovers(tmp)).toEqual([]);
  });

  it('reports a file system failure as STORE_IO and leaves no temp file', async () => {
    const layout = await OciLayout.open(tmp, { create: true });
    const { bytes, desc } = blob('cannot land');
    // A file where the algorithm directory should be makes the final rename impossible.
    await fs.rm(path.join(tmp, 'blobs', 'sha256'), { recursive: true });
    await fs.writeFile(path.join(tmp, 'blobs', 'sha256'), 'not a directory');
    expect((await rejection(layout.writeBlob(desc, chunks(bytes)))).code).toBe(ErrorCodes.STORE_IO);
    expect(await ingestLeftovers(tmp)).toEqual([]);
  });

  it('checks bytes before writing them and verifies them when reading', async () => {
    const layout = await OciLayout.open(tmp, { create: true });
    const { bytes, desc } = blob('manifest-ish');
    expect((await rejection(layout.writeBytes(desc, Buffer.from('manifest-isH')))).code).toBe(ErrorCodes.DIGEST_MISMATCH);
    expect(await layout.hasBlob(desc.digest)).toBeNull();
    expect(await layout.writeBytes(desc, bytes)).toBe('written');
    expect(await layout.writeBytes(desc, bytes)).toBe('exists');
    await fs.writeFile(layout.blobPath(desc.digest), 'tampered!!!!');
    expect((await rejection(layout.readBytes(desc.digest))).code).toBe(ErrorCodes.DIGEST_MISMATCH);
  });

  it('reports a missing blob as LAYOUT_INVALID', async () => {
    const layout = await OciLayout.open(tmp, { create: true });
    const { desc } = blob('never written');
    expect((await rejection(layout.readBlob(desc.digest))).code).toBe(ErrorCodes.LAYOUT_INVALID);
    expect((await rejection(layout.readBytes(desc.digest))).code).toBe(ErrorCodes.LAYOUT_INVALID);
  });

  it('names entries with both annotations and replaces a name instead of duplicating it', async () => {
    const layout = await OciLayout.open(tmp, { create: true });
    const a = { ...blob('a').desc, mediaType: MediaTypes.ociManifest };
    const b = { ...blob('b').desc, mediaType: MediaTypes.ociManifest };
    await layout.setRef('v1', a);
    await layout.setRef('quay.io/ceph/ceph:v18', a);
    await layout.setRef('v1', b);
    const index = await layout.readIndex();
    expect(index.manifests).toEqual([
      { ...b, annotations: { [Annotations.refName]: 'v1', [Annotations.containerdName]: 'v1' } },
      {
        ...a,
        annotations: { [Annotations.refName]: 'quay.io/ceph/ceph:v18', [Annotations.containerdName]: 'quay.io/ceph/ceph:v18' },
      },
    ]);
    expect((await layout.findRef('v1'))?.digest).toBe(b.digest);
    expect(await layout.findRef('v2')).toBeNull();
    expect((await layout.listRefs()).map((r) => r.name)).toEqual(['v1', 'quay.io/ceph/ceph:v18']);
    expect(await layout.removeRef('v1')).toBe(true);
    expect(await layout.removeRef('v1')).toBe(false);
    expect((await layout.listRefs()).map((r) => r.name)).toEqual(['quay.io/ceph/ceph:v18']);
  });

  it('keeps index.json fields and entries it does not manage', async () => {
    const layout = await OciLayout.open(tmp, { create: true });
    const other = { ...blob('other').desc, annotations: { 'org.example': 'kept' } };
    await fs.writeFile(layout.indexPath, JSON.stringify({ schemaVersion: 2, manifests: [other], annotations: { x: 'y' }, extra: 1 }));
    await layout.setRef('v1', blob('a').desc);
    const index = await layout.readIndex();
    expect(index.manifests[0]).toEqual(other);
    expect(index.annotations).toEqual({ x: 'y' });
    expect(index.extra).toBe(1);
  });

  it('finds an entry by its containerd image name, as ctr export writes them', async () => {
    const layout = await OciLayout.open(tmp, { create: true });
    const entry = { ...blob('c').desc, annotations: { [Annotations.refName]: 'latest', [Annotations.containerdName]: 'docker.io/library/nginx:latest' } };
    await fs.writeFile(layout.indexPath, JSON.stringify({ schemaVersion: 2, manifests: [entry] }));
    expect((await layout.findRef('docker.io/library/nginx:latest'))?.digest).toBe(entry.digest);
    expect((await layout.findRef('latest'))?.digest).toBe(entry.digest);
  });

  it('serialises index updates from many writers in one process', async () => {
    const first = await OciLayout.open(tmp, { create: true });
    const second = await OciLayout.open(tmp);
    const { desc } = blob('shared');
    await Promise.all(
      Array.from({ length: 30 }, (_, i) => (i % 2 ? first : second).setRef(`tag-${i}`, desc)),
    );
    const names = (await first.listRefs()).map((r) => r.name).sort();
    expect(names).toEqual(Array.from({ length: 30 }, (_, i) => `tag-${i}`).sort());
  });

  it('names many images at once in a few index.json writes, losing none', async () => {
    const layout = await OciLayout.open(tmp, { create: true });
    const { desc } = blob('batched');
    await Promise.all(Array.from({ length: 200 }, (_, i) => layout.setRef(`img-${i}`, desc)));
    expect((await layout.listRefs()).map((r) => r.name).sort()).toEqual(Array.from({ length: 200 }, (_, i) => `img-${i}`).sort());
    // The first write goes out alone; everything queued meanwhile shares the next ones.
    expect(layout.indexWrites).toBeGreaterThanOrEqual(1);
    expect(layout.indexWrites).toBeLessThanOrEqual(5);
    // A failing change is refused on its own; the others in its batch are written.
    const results = await Promise.allSettled([
      layout.setRef('first', desc),
      layout.updateIndex(() => {
        throw new Error('refused change');
      }),
      layout.setRef('after-failure', desc),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await layout.findRef('after-failure')).not.toBeNull();
  });

  it('answers lookups from memory while index.json is unchanged, and reads it again once it changes', async () => {
    const layout = await OciLayout.open(tmp, { create: true });
    await layout.setRef('xxxx', blob('a').desc);
    const file = layout.indexPath;
    const fixedTime = new Date('2026-01-01T00:00:00Z');
    await fs.utimes(file, fixedTime, fixedTime);
    expect(await layout.findRef('xxxx')).not.toBeNull();
    // Rewrite the file in place (same inode), same length, same mtime: its identity is unchanged.
    const text = await fs.readFile(file, 'utf8');
    await fs.writeFile(file, text.replaceAll('"xxxx"', '"yyyy"'));
    await fs.utimes(file, fixedTime, fixedTime);
    expect(await layout.findRef('xxxx')).not.toBeNull();
    expect(await layout.findRef('yyyy')).toBeNull();
    // Any change to its identity (here the mtime) makes the next lookup read it again.
    const later = new Date('2026-01-01T00:00:01Z');
    await fs.utimes(file, later, later);
    expect(await layout.findRef('xxxx')).toBeNull();
    expect(await layout.findRef('yyyy')).not.toBeNull();
  });

  it('lets several processes create the same layout without losing entries', async () => {
    const dir = path.join(tmp, 'racy');
    const layouts = await Promise.all(Array.from({ length: 5 }, () => OciLayout.open(dir, { create: true })));
    await layouts[0]!.setRef('kept', blob('k').desc);
    await OciLayout.open(dir, { create: true });
    expect((await layouts[1]!.listRefs()).map((r) => r.name)).toEqual(['kept']);
  });
});
