/**
 * zstd streams for compressed bundles. Node 22.15+ has zstd in zlib; on Node 20 the `zstd`
 * command (packaged by every distribution) does the work. A native binding was not chosen:
 * with no prebuilt binary reachable (an air-gapped or proxied install) it compiles zstd from
 * source on every `npm ci`, which is slow and needs a compiler on the operator's machine.
 */
import { spawn } from 'node:child_process';
import { Duplex, PassThrough, type Transform } from 'node:stream';
import * as zlib from 'node:zlib';
import { AirlockError, ErrorCodes } from '../../errors.js';

/** The first four bytes of every zstd frame (0xFD2FB528, little-endian). */
export const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);

/** True when `head` starts a zstd frame. */
export const isZstd = (head: Buffer) => head.length >= 4 && head.subarray(0, 4).equals(ZSTD_MAGIC);

type ZlibWithZstd = typeof zlib & {
  createZstdCompress?: (opts?: { params?: Record<number, number> }) => Transform;
  createZstdDecompress?: () => Transform;
  constants: typeof zlib.constants & { ZSTD_c_compressionLevel?: number; ZSTD_c_nbWorkers?: number };
};
const z = zlib as ZlibWithZstd;

/** The `zstd` command as a duplex stream; its failure (or absence) is an error of the stream. */
function zstdCommand(args: string[], what: string): Duplex {
  const child = spawn('zstd', ['-q', '-c', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-2000)));
  const out = new PassThrough();
  const duplex = Duplex.from({ writable: child.stdin, readable: out });
  child.stdout.pipe(out, { end: false });
  const fail = (err: AirlockError) => duplex.destroy(err);
  child.once('error', (err: NodeJS.ErrnoException) =>
    fail(
      new AirlockError(
        ErrorCodes.MEDIA_TYPE_UNSUPPORTED,
        err.code === 'ENOENT' ? `${what} needs zstd: Node.js 22.15 or later, or the zstd command (apt install zstd)` : `${what}: zstd could not start: ${err.message}`,
      ),
    ),
  );
  child.once('close', (code) => {
    // 'close' comes after stdout ended, so everything it produced is already in `out`.
    if (code === 0) out.end();
    else fail(new AirlockError(ErrorCodes.ARCHIVE_INVALID, `${what}: zstd failed: ${stderr.trim() || `exit ${code}`}`));
  });
  duplex.once('close', () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  return duplex;
}

/** A stream that zstd-compresses what goes through it (level 3, all cores). */
export function zstdCompress(level = 3): Duplex {
  if (z.createZstdCompress && z.constants.ZSTD_c_compressionLevel !== undefined) {
    return z.createZstdCompress({ params: { [z.constants.ZSTD_c_compressionLevel]: level } });
  }
  return zstdCommand([`-${level}`, '-T0'], 'bundle create --zstd');
}

/** A stream that decompresses zstd; ARCHIVE_INVALID when the data is not (whole) zstd. */
export function zstdDecompress(what: string): Duplex {
  if (z.createZstdDecompress) {
    const d = z.createZstdDecompress();
    const out = new PassThrough();
    d.on('error', (err) => out.destroy(new AirlockError(ErrorCodes.ARCHIVE_INVALID, `${what}: zstd data damaged: ${err.message}`)));
    return Duplex.from({ writable: d, readable: d.pipe(out) });
  }
  return zstdCommand(['-d'], what);
}
