import { promises as fs } from 'node:fs';
import { Annotations, type Descriptor } from '../../oci/descriptor.js';
import { fileIdentity, isErrno, storeIo, type FileIdentity } from './fsutil.js';
import { entryName, layoutInvalid, parseLayoutIndex, type LayoutIndex, type LayoutRef } from './index-file.js';
import { splitName } from './names.js';

/**
 * One parsed index.json with its lookup tables: O(1) by name and by digest. Shared by the
 * store and layouts (kept fresh by RefIndex) and by archives (read once).
 */
export class IndexLookup {
  /** First entry per `org.opencontainers.image.ref.name`. */
  private readonly byRefName = new Map<string, Descriptor>();
  /** First entry per `io.containerd.image.name` (layouts `ctr export` writes name only this). */
  private readonly byContainerdName = new Map<string, Descriptor>();
  /** First entry per manifest digest. */
  private readonly byDigestMap = new Map<string, Descriptor>();

  constructor(readonly index: LayoutIndex) {
    for (const m of index.manifests) {
      const ref = m.annotations?.[Annotations.refName];
      const ctr = m.annotations?.[Annotations.containerdName];
      if (ref !== undefined && !this.byRefName.has(ref)) this.byRefName.set(ref, m);
      if (ctr !== undefined && !this.byContainerdName.has(ctr)) this.byContainerdName.set(ctr, m);
      if (!this.byDigestMap.has(m.digest)) this.byDigestMap.set(m.digest, m);
    }
  }

  /** The entry named `name` (ref.name first, else a matching containerd image name), or null. */
  find(name: string): Descriptor | null {
    return this.byRefName.get(name) ?? this.byContainerdName.get(name) ?? null;
  }

  /** The first entry for the manifest `digest`, or null. */
  byDigest(digest: string): Descriptor | null {
    return this.byDigestMap.get(digest) ?? null;
  }

  /** Every named entry, in index order. */
  refs(): LayoutRef[] {
    return this.index.manifests.flatMap((descriptor) => {
      const name = entryName(descriptor);
      return name === undefined ? [] : [{ name, descriptor }];
    });
  }

  /** The distinct repositories of the named entries (see `splitName`), sorted. */
  repositories(): string[] {
    return [...new Set(this.refs().map((r) => splitName(r.name).repository))].sort();
  }

  /** The tags of `repository` (see `splitName`), in index order. */
  tags(repository: string): string[] {
    const out: string[] = [];
    for (const r of this.refs()) {
      const n = splitName(r.name);
      if (n.repository === repository && n.tag !== undefined && !out.includes(n.tag)) out.push(n.tag);
    }
    return out;
  }
}

/** One parsed version of index.json, with the identity of the file it was read from. */
export interface IndexSnapshot {
  readonly identity: FileIdentity;
  readonly index: LayoutIndex;
  readonly lookup: IndexLookup;
}

function snapshotOf(identity: FileIdentity, index: LayoutIndex): IndexSnapshot {
  return { identity, index, lookup: new IndexLookup(index) };
}

/**
 * index.json kept in memory with lookup tables, so a lookup costs one `stat` and a map
 * access instead of reading and parsing the whole index: O(1) in the number of images.
 * The file is read again whenever its identity (inode, size, mtime) changes, which every
 * atomic replacement does, whoever made it: this process, another airlock, another tool.
 */
export class RefIndex {
  private snapshot: IndexSnapshot | undefined;
  private loading: Promise<IndexSnapshot> | undefined;

  constructor(readonly file: string) {}

  /** The current snapshot: the cached one when the file has not changed, else a fresh read. */
  async current(): Promise<IndexSnapshot> {
    let st;
    try {
      st = await fs.stat(this.file);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw layoutInvalid(`${this.file} is missing`, { path: this.file }, err);
      throw storeIo(err, 'cannot read', this.file);
    }
    const cached = this.snapshot;
    if (cached && cached.identity === fileIdentity(st)) return cached;
    // Concurrent lookups share one read.
    this.loading ??= this.load().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  /**
   * Installs an index this process has just written, with the identity of the file it
   * wrote, so the next lookup needs no read. If another writer has replaced the file since,
   * its identity differs and the next lookup reads the file anyway.
   */
  prime(identity: FileIdentity, index: LayoutIndex): void {
    this.snapshot = snapshotOf(identity, index);
  }

  /** The entry named `name` (ref.name first, else a matching containerd image name), or null. */
  async find(name: string): Promise<Descriptor | null> {
    return (await this.current()).lookup.find(name);
  }

  /** The first entry for the manifest `digest`, or null. */
  async byDigest(digest: string): Promise<Descriptor | null> {
    return (await this.current()).lookup.byDigest(digest);
  }

  /** Every named entry, in index order. */
  async refs(): Promise<LayoutRef[]> {
    return (await this.current()).lookup.refs();
  }

  /** The distinct repositories of the named entries (see `splitName`), sorted. */
  async repositories(): Promise<string[]> {
    return (await this.current()).lookup.repositories();
  }

  /** The tags of `repository` (see `splitName`), in index order. */
  async tags(repository: string): Promise<string[]> {
    return (await this.current()).lookup.tags(repository);
  }

  private async load(): Promise<IndexSnapshot> {
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(this.file, 'r');
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw layoutInvalid(`${this.file} is missing`, { path: this.file }, err);
      throw storeIo(err, 'cannot read', this.file);
    }
    try {
      // The identity comes from the handle we read, so it always names the bytes we parsed.
      const identity = fileIdentity(await handle.stat());
      const bytes = await handle.readFile();
      this.snapshot = snapshotOf(identity, parseLayoutIndex(bytes, this.file));
      return this.snapshot;
    } catch (err) {
      throw storeIo(err, 'cannot read', this.file);
    } finally {
      await handle.close();
    }
  }
}
