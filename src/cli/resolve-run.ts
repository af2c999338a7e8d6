import { AirlockError, ErrorCodes } from '../errors.js';
import type { ImageSet, ParamValue } from '../imageset/types.js';
import type { LockFile } from '../lock/types.js';
import { resolveImageSet, type ResolveImageSetOptions } from '../resolve/imageset.js';
import type { ResolveProgress } from '../resolve/resolver.js';
import { formatDuration } from './format.js';


/** Parses `--set name=value` flags: `true` / `false` become booleans (image switches), the rest stays text. */
export function parseSetFlags(pairs: readonly string[]): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new AirlockError(ErrorCodes.USAGE, `--set expects NAME=VALUE, got "${pair}"`);
    const value = pair.slice(eq + 1);
    out[pair.slice(0, eq)] = value === 'true' ? true : value === 'false' ? false : value;
  }
  return out;
}

/**
 * Shows resolve progress on stderr: a live counter on a terminal, one line per resolved
 * image otherwise. Failures are left to the final error, which lists every one.
 */
export function progressPrinter(): { onProgress: (p: ResolveProgress) => void; finish: (ok: boolean) => void } {
  const tty = Boolean(process.stderr.isTTY) && !process.env.CI;
  const started = Date.now();
  let total = 0;
  let failed = 0;
  return {
    onProgress: (p) => {
      total = p.total;
      if (p.failure) failed++;
      if (tty) process.stderr.write(`\r\x1b[Kresolving ${p.done}/${p.total}${failed ? ` (${failed} failed)` : ''}`);
      else if (p.image) process.stderr.write(`resolved   ${p.key} ${p.image.source}\n`);
    },
    finish: (ok) => {
      if (tty) process.stderr.write('\r\x1b[K');
      if (ok) process.stderr.write(`${total} image${total === 1 ? '' : 's'} resolved in ${formatDuration(Date.now() - started)}\n`);
    },
  };
}

/** Resolves an image set with progress on stderr. */
export async function resolveWithProgress(set: ImageSet, opts: ResolveImageSetOptions): Promise<LockFile> {
  const progress = progressPrinter();
  try {
    const lock = await resolveImageSet(set, { ...opts, onProgress: progress.onProgress });
    progress.finish(true);
    return lock;
  } catch (err) {
    progress.finish(false);
    throw err;
  }
}
