import { AirlockError, ErrorCodes } from '../errors.js';

/** An OCI platform. */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
  features?: string[];
}

const PART_RE = /^[a-z0-9._-]+$/i;

/** Parses `os/arch[/variant]` (`linux/arm64/v8`) or throws PLATFORM_INVALID. */
export function parsePlatform(s: string): Platform {
  const parts = s.trim().split('/');
  if (parts.length < 2 || parts.length > 3 || !parts.every((p) => PART_RE.test(p))) {
    throw new AirlockError(ErrorCodes.PLATFORM_INVALID, `invalid platform "${s}": expected os/arch[/variant]`, {
      platform: s,
    });
  }
  const [os, architecture, variant] = parts as [string, string, string?];
  return variant ? { os, architecture, variant } : { os, architecture };
}

/** `os/arch[/variant]`. */
export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

// arm64 images usually omit "v8"; arm without variant is v7 in practice (containerd's normalisation).
function normalisedVariant(p: Platform): string | undefined {
  if (p.architecture === 'arm64' && (p.variant === undefined || p.variant === 'v8')) return undefined;
  if (p.architecture === 'arm' && p.variant === undefined) return 'v7';
  return p.variant;
}

/** True when `candidate` satisfies `wanted`; a wanted platform without variant accepts any variant. */
export function platformMatches(wanted: Platform, candidate: Platform | undefined): boolean {
  if (!candidate) return false;
  if (wanted.os !== candidate.os || wanted.architecture !== candidate.architecture) return false;
  if (wanted.variant === undefined) return true;
  return normalisedVariant(wanted) === normalisedVariant(candidate);
}
