import { promises as fs } from 'node:fs';
import { isErrno, storeIo, writeFileAtomic } from './fsutil.js';
import { checkLayoutIndex, layoutInvalid, parseLayoutIndex, serialiseIndex, type LayoutIndex } from './index-file.js';
import { withLock } from './lock.js';
import type { RefIndex } from './ref-index.js';

/** A change to index.json: mutate in place or return a new index. Must not throw after changing it. */
export type IndexMutator = (index: LayoutIndex) => LayoutIndex | void | Promise<LayoutIndex | void>;

interface Pending {
  mutate: IndexMutator;
  resolve: (index: LayoutIndex) => void;
  reject: (err: unknown) => void;
}

/**
 * Applies changes to index.json: read, change, write atomically, all under the layout lock,
 * so concurrent writers in this and other processes never lose each other's entries.
 * Changes that arrive while a write is under way are applied together in the next one, so
 * naming N images costs far fewer than N rewrites of a large index.
 */
export class IndexWriter {
  private queue: Pending[] = [];
  private draining = false;
  /** index.json writes so far (each may carry many changes). */
  writes = 0;

  constructor(
    private readonly file: string,
    private readonly lockPath: string,
    private readonly workDir: string,
    private readonly refs: RefIndex,
  ) {}

  /** Queues `mutate`; resolves with the index as written once a write that includes it is on disk. */
  update(mutate: IndexMutator): Promise<LayoutIndex> {
    return new Promise((resolve, reject) => {
      this.queue.push({ mutate, resolve, reject });
      if (!this.draining) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0);
        try {
          const written = await this.apply(batch);
          batch.forEach((p, i) => (written.failed[i] === undefined ? p.resolve(written.index) : p.reject(written.failed[i])));
        } catch (err) {
          for (const p of batch) p.reject(err);
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private apply(batch: Pending[]): Promise<{ index: LayoutIndex; failed: unknown[] }> {
    return withLock(this.lockPath, async (check) => {
      let index = await this.read();
      const failed: unknown[] = [];
      let failures = 0;
      for (const [i, p] of batch.entries()) {
        try {
          index = (await p.mutate(index)) ?? index;
        } catch (err) {
          failed[i] = err;
          failures++;
        }
      }
      if (failures === batch.length) return { index, failed };
      checkLayoutIndex(index, this.file);
      check();
      const identity = await writeFileAtomic(this.file, serialiseIndex(index), this.workDir);
      this.writes++;
      this.refs.prime(identity, index);
      return { index, failed };
    });
  }

  private async read(): Promise<LayoutIndex> {
    let bytes: Buffer;
    try {
      bytes = await fs.readFile(this.file);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw layoutInvalid(`${this.file} is missing`, { path: this.file }, err);
      throw storeIo(err, 'cannot read', this.file);
    }
    return parseLayoutIndex(bytes, this.file);
  }
}
