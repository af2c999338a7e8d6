/**
 * airlock carried in its own bundle (`bundle create --include-self`), so the first bundle
 * taken across brings the tool that reads it: the single executable (`npm run dist`) goes in
 * as a plain file under `airlock/bin/`, listed in the checksum list like every other entry
 * (so `bundle verify` checks it), and `bundle extract-self` writes it out again, checked.
 */
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { AirlockError, ErrorCodes } from '../errors.js';
import type { BundleFile } from '../transport/archive/bundle-writer.js';
import { openBundle } from './open.js';

/** Where a bundle carries executables of airlock. */
export const SELF_DIR = 'airlock/bin/';

/** ELF e_machine values of the architectures Node.js ships for Linux, as process.arch names them. */
const ELF_MACHINES: Record<number, string> = { 62: 'x64', 183: 'arm64', 21: 'ppc64', 22: 's390x', 243: 'riscv64' };

/** `linux-x64` and the like for the executable whose first bytes are `head`; undefined when it is not one airlock knows. */
export function executablePlatform(head: Buffer): string | undefined {
  if (head.length >= 20 && head.readUInt32BE(0) === 0x7f454c46) {
    const arch = ELF_MACHINES[head[5] === 2 ? head.readUInt16BE(18) : head.readUInt16LE(18)];
    return arch ? `linux-${arch}` : undefined;
  }
  // Mach-O (64-bit, either byte order): macOS builds of the executable.
  const magic = head.length >= 4 ? head.readUInt32LE(0) : 0;
  if (magic === 0xfeedfacf || magic === 0xcffaedfe) return `darwin-${process.arch}`;
  return undefined;
}

/** True when this process is a single executable (Node.js 20.12 and later know; earlier ones cannot be one). */
export async function runningAsSea(): Promise<boolean> {
  try {
    // getBuiltinModule first: a single executable runs CommonJS, where a bundled import() of
    // a built-in stays an import(), which it cannot do.
    const sea = process.getBuiltinModule?.('node:sea') ?? (await import('node:sea'));
    return sea.isSea();
  } catch {
    return false;
  }
}

/**
 * The executable `npm run dist` built beside the running CLI (dist/sea/airlock next to
 * dist/cli/main.js), found from the script node runs: npm's bin link resolves to it.
 */
async function builtExecutable(): Promise<string | undefined> {
  const script = process.argv[1];
  if (!script) return undefined;
  const real = await fs.realpath(script).catch(() => undefined);
  return real ? path.resolve(path.dirname(real), '..', 'sea', 'airlock') : undefined;
}

/** sha256 hex of a file, streamed. */
async function fileSha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const c of createReadStream(file, { highWaterMark: 1024 * 1024 })) hash.update(c as Buffer);
  return hash.digest('hex');
}

/**
 * The executable `--include-self` puts in a bundle: this process when it is the single
 * executable, else the one `npm run dist` built, hashed now (the writer checks the bytes it
 * copies against it). USAGE when there is none, saying how to get one.
 */
export async function selfFile(): Promise<BundleFile> {
  let file: string | undefined;
  if (await runningAsSea()) file = process.execPath;
  else {
    const built = await builtExecutable();
    if (built && (await fs.stat(built).then((s) => s.isFile(), () => false))) file = built;
    else {
      throw new AirlockError(
        ErrorCodes.USAGE,
        `--include-self: airlock runs on node here, and there is no single executable to carry${built ? ` (${built} is missing)` : ''}: run \`npm run dist\` in airlock's source tree first, or run the bundle create with the executable it builds (dist/sea/airlock)`,
        { file: built },
      );
    }
  }
  const handle = await fs.open(file, 'r');
  let head: Buffer;
  try {
    head = Buffer.alloc(20);
    await handle.read(head, 0, head.length, 0);
  } finally {
    await handle.close();
  }
  const platform = executablePlatform(head);
  if (!platform) throw new AirlockError(ErrorCodes.USAGE, `--include-self: ${file} is not an executable airlock knows (ELF or Mach-O)`, { file });
  const size = (await fs.stat(file)).size;
  return { name: `${SELF_DIR}airlock-${platform}`, path: file, size, sha256: await fileSha256(file) };
}

/** What `bundle extract-self` wrote. */
export interface SelfExtracted {
  /** The entry in the bundle (`airlock/bin/airlock-linux-x64`). */
  entry: string;
  file: string;
  size: number;
  sha256: string;
}

/**
 * Writes the executable a bundle carries to `out` (mode 0755), its bytes checked against the
 * bundle's checksum list on the way; a temporary file is renamed into place, so `out` is
 * never a partial or damaged executable. `platform` (`linux-arm64`) picks one when the bundle
 * carries several; by default the one for this host, or the only one. USAGE when the bundle
 * carries none (written without --include-self) or not the one asked for; BUNDLE_DAMAGED when
 * the bytes do not match or the checksum list does not list it.
 */
export async function extractSelf(bundle: string, out: string, opts: { platform?: string; signal?: AbortSignal } = {}): Promise<SelfExtracted> {
  const b = await openBundle(bundle);
  const carried = [...b.layout.tar.entries.values()].filter((e) => e.name.startsWith(SELF_DIR)).sort((x, y) => (x.name < y.name ? -1 : 1));
  if (carried.length === 0) throw new AirlockError(ErrorCodes.USAGE, `${bundle} carries no airlock executable (it was written without bundle create --include-self)`, { bundle });
  const want = opts.platform ?? `${process.platform}-${process.arch}`;
  const entry = carried.find((e) => e.name === `${SELF_DIR}airlock-${want}`) ?? (opts.platform === undefined && carried.length === 1 ? carried[0] : undefined);
  if (!entry) {
    throw new AirlockError(ErrorCodes.USAGE, `${bundle} carries no airlock for ${want}; it carries ${carried.map((e) => e.name.slice(SELF_DIR.length)).join(', ')} (pick one with --platform)`, { bundle });
  }
  const listed = b.checksums?.get(entry.name);
  if (!listed) throw new AirlockError(ErrorCodes.BUNDLE_DAMAGED, `${bundle}: ${entry.name} is not in the bundle's checksum list, so it cannot be checked`, { bundle, entry: entry.name });
  const tmp = path.join(path.dirname(path.resolve(out)), `.${path.basename(out)}.${process.pid}.tmp`);
  const hash = createHash('sha256');
  const handle = await fs.open(tmp, 'wx', 0o755);
  try {
    try {
      for await (const c of b.layout.source.stream(entry.offset, entry.offset + entry.size)) {
        opts.signal?.throwIfAborted();
        hash.update(c as Buffer);
        await handle.write(c as Buffer);
      }
      // The umask may have taken bits off the mode given at creation.
      await handle.chmod(0o755);
    } finally {
      await handle.close();
    }
    const got = hash.digest('hex');
    if (got !== listed) {
      throw new AirlockError(ErrorCodes.BUNDLE_DAMAGED, `${bundle}: ${entry.name} has sha256 ${got}, the checksum list says ${listed}; bring the bundle again`, { bundle, entry: entry.name, expected: listed, actual: got });
    }
    await fs.rename(tmp, out);
    return { entry: entry.name, file: out, size: entry.size, sha256: got };
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}
