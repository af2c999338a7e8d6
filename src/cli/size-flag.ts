import { AirlockError, ErrorCodes } from '../errors.js';

const UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/** A byte size as `split -b` takes it (`700M`, `4G`, `4GiB`, `1048576`), in bytes; USAGE when malformed or under `min`. */
export function parseSizeFlag(flag: string, value: string, min = 1024): number {
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?$/i.exec(value.trim());
  const bytes = m ? Math.floor(Number(m[1]) * UNITS[m[2]!.toUpperCase()]!) : NaN;
  if (!Number.isSafeInteger(bytes) || bytes < min) {
    throw new AirlockError(ErrorCodes.USAGE, `${flag} takes a size of at least ${min} bytes, such as 700M or 4G; got "${value}"`);
  }
  return bytes;
}
