import { AirlockError, ErrorCodes } from '../errors.js';
import { readLock } from '../lock/read.js';
import type { LockedImage } from '../lock/types.js';
import type { Digest } from '../oci/digest.js';
import { parseReference } from '../ref/reference.js';
import { checkSignatures } from '../signature/check.js';
import { readPublicKey, type SignatureCheck } from '../signature/cosign.js';
import { formatLocation, parseLocation, parseNamespace, placeImage } from '../transport/location.js';
import { openReader } from '../transport/open.js';
import type { Location } from '../transport/types.js';
import { contextOf } from './common-flags.js';
import { registryOptions, type RegistryFlags } from './registry-flags.js';

/** Flags of `airlock verify`. */
export interface VerifyFlags extends RegistryFlags {
  key: string;
  from?: string;
  only?: string;
  json?: boolean;
  store?: string;
}

/** Where an image of the lock is read: under `from`, else its destination, else its source. */
function locationOf(image: LockedImage, from: Location | undefined): Location {
  const ref = parseReference(image.source);
  if (from) return placeImage(from, { registry: ref.registry, repository: ref.repository, ...(ref.tag ? { tag: ref.tag } : {}) });
  return parseLocation(image.destination ?? image.source);
}

/** `airlock verify LOCK --key FILE`. */
export async function run(lockFile: string, flags: VerifyFlags): Promise<void> {
  const [lock, key] = await Promise.all([readLock(lockFile), readPublicKey(flags.key)]);
  const from = flags.from ? parseNamespace(flags.from) : undefined;
  let keys = Object.keys(lock.images).sort();
  if (flags.only !== undefined) {
    if (!(flags.only in lock.images)) throw new AirlockError(ErrorCodes.USAGE, `--only "${flags.only}" is not a key of ${lockFile}`);
    keys = [flags.only];
  }
  const ctx = contextOf(flags, registryOptions(flags));
  const results: { key: string; location: string; digest: string; check: SignatureCheck }[] = [];
  try {
    for (const k of keys) {
      const image = lock.images[k]!;
      const location = locationOf(image, from);
      const reader = await openReader(location, ctx);
      // The signature names the digest upstream signed: the locked source digest.
      const check = await checkSignatures(reader, location.repository, image.digest as Digest, key);
      results.push({ key: k, location: formatLocation(location), digest: image.digest, check });
      if (flags.json) process.stdout.write(`${JSON.stringify({ key: k, location: formatLocation(location), digest: image.digest, ...check })}\n`);
      else process.stdout.write(`${check.status.padEnd(8)} ${k}  ${formatLocation(location)}@${image.digest}${check.problems.length ? `\n  ${check.problems.join('\n  ')}` : ''}\n`);
    }
  } finally {
    await ctx.close();
  }
  const missing = results.filter((r) => r.check.status === 'missing').map((r) => r.key);
  const invalid = results.filter((r) => r.check.status === 'invalid').map((r) => r.key);
  if (invalid.length > 0) throw new AirlockError(ErrorCodes.SIGNATURE_INVALID, `not signed with ${flags.key}: ${invalid.join(', ')}`, { keys: invalid });
  if (missing.length > 0) throw new AirlockError(ErrorCodes.SIGNATURE_MISSING, `no signature (neither a sha256-<digest>.sig tag nor a sigstore bundle referrer) for ${missing.join(', ')}`, { keys: missing });
}
