/**
 * A zstd bundle cannot be read in place: it is decompressed once per process into a temporary
 * tar (under TMPDIR), which is read in place from then on and removed when the process exits.
 */
import { createWriteStream, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ByteSource } from './byte-source.js';
import { zstdDecompress } from './zstd.js';

const done = new Map<string, Promise<string>>();
const temps = new Set<string>();
let hooked = false;

function removeAll(): void {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
  temps.clear();
}

/** The path of a temporary tar holding `source` (zstd) decompressed; one per `key` per process. */
export function decompressedCopy(key: string, source: ByteSource): Promise<string> {
  let p = done.get(key);
  if (!p) {
    p = (async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'airlock-bundle-'));
      temps.add(dir);
      if (!hooked) {
        hooked = true;
        process.once('exit', removeAll);
      }
      const file = path.join(dir, 'bundle.tar');
      await pipeline(source.stream(0, source.size), zstdDecompress(source.label), createWriteStream(file));
      return file;
    })();
    p.catch(() => done.delete(key));
    done.set(key, p);
  }
  return p;
}
