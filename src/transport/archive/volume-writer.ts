/**
 * Cuts one byte stream into numbered volume files of at most `size` bytes each, hashing each
 * volume and the whole as they are written. Volumes are written under temporary names and
 * renamed only by `commit`, so a volume under its final name is always whole.
 */
import { createHash, type Hash } from 'node:crypto';
import { createWriteStream, promises as fs, type WriteStream } from 'node:fs';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import type { VolumeInfo } from './volume-set.js';

/** Writes volumes `${out}.000`, `${out}.001`, ... */
export class VolumeWriter extends Writable {
  /** The volumes finished so far. */
  readonly volumes: VolumeInfo[] = [];
  private readonly temps: string[] = [];
  private current?: { file: WriteStream; hash: Hash; bytes: number; name: string };
  private readonly whole = createHash('sha256');
  private total = 0;

  constructor(
    private readonly out: string,
    private readonly volumeSize: number,
    private readonly nameOf: (i: number) => string,
  ) {
    super();
  }

  private tempOf(name: string): string {
    return path.join(path.dirname(path.resolve(this.out)), `.${name}.${process.pid}.tmp`);
  }

  private async open(): Promise<NonNullable<VolumeWriter['current']>> {
    const name = path.basename(this.nameOf(this.volumes.length));
    const temp = this.tempOf(name);
    this.temps.push(temp);
    const file = createWriteStream(temp, { flags: 'wx' });
    await new Promise<void>((resolve, reject) => file.once('open', () => resolve()).once('error', reject));
    return { file, hash: createHash('sha256'), bytes: 0, name };
  }

  private async finishCurrent(): Promise<void> {
    const c = this.current;
    if (!c) return;
    this.current = undefined;
    await new Promise<void>((resolve, reject) => c.file.end((err?: Error | null) => (err ? reject(err) : resolve())));
    this.volumes.push({ file: c.name, size: c.bytes, sha256: c.hash.digest('hex') });
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    void (async () => {
      this.whole.update(chunk);
      this.total += chunk.length;
      let at = 0;
      while (at < chunk.length) {
        this.current ??= await this.open();
        const c = this.current;
        const part = chunk.subarray(at, at + Math.min(chunk.length - at, this.volumeSize - c.bytes));
        c.hash.update(part);
        c.bytes += part.length;
        at += part.length;
        // Called back once written: the caller may reuse the chunk's buffer after our own callback.
        await new Promise<void>((resolve, reject) => c.file.write(part, (err) => (err ? reject(err) : resolve())));
        if (c.bytes === this.volumeSize) await this.finishCurrent();
      }
    })().then(() => done(), done);
  }

  override _final(done: (err?: Error | null) => void): void {
    this.finishCurrent().then(() => done(), done);
  }

  /** The whole stream's size and sha256 (after the stream finished). */
  summary(): { size: number; sha256: string } {
    return { size: this.total, sha256: this.whole.digest('hex') };
  }

  /** Renames every finished volume to its final name. */
  async commit(): Promise<string[]> {
    const dir = path.dirname(path.resolve(this.out));
    const finals = this.volumes.map((v) => path.join(dir, v.file));
    for (const [i, v] of finals.entries()) await fs.rename(this.tempOf(this.volumes[i]!.file), v);
    return finals;
  }

  /** Removes every temporary volume (after a failure). */
  async abort(): Promise<void> {
    this.current?.file.destroy();
    await Promise.all(this.temps.map((t) => fs.rm(t, { force: true })));
  }
}
