/**
 * The platform a node runs, and the one child of a multi-arch index that warm sends for it.
 */
import { AirlockError, ErrorCodes } from '../errors.js';
import type { Descriptor } from '../oci/descriptor.js';
import { formatPlatform, platformMatches, type Platform } from '../oci/platform.js';

/** Node.js `process.arch` -> OCI architecture (and variant), as Go's GOARCH names them. */
const ARCHITECTURES: Record<string, Omit<Platform, 'os'>> = {
  x64: { architecture: 'amd64' },
  arm64: { architecture: 'arm64' },
  arm: { architecture: 'arm', variant: 'v7' },
  ia32: { architecture: '386' },
  ppc64: { architecture: 'ppc64le' },
  s390x: { architecture: 's390x' },
  riscv64: { architecture: 'riscv64' },
  loong64: { architecture: 'loong64' },
  mips: { architecture: 'mips' },
  mipsel: { architecture: 'mipsle' },
};

/**
 * The platform of the machine airlock runs on (the node, since ctr talks to a local socket):
 * `process.platform` and `process.arch` in OCI terms (`linux/amd64` for x64). `armVersion`
 * is Node's `arm_version` build variable (`6` or `7`) on 32-bit arm. PLATFORM_INVALID for
 * an architecture without a known OCI name (give --platform then).
 */
export function nodePlatform(arch: string = process.arch, os: string = process.platform, armVersion?: string): Platform {
  const a = ARCHITECTURES[arch];
  if (!a) throw new AirlockError(ErrorCodes.PLATFORM_INVALID, `no OCI platform is known for this machine's architecture "${arch}": give --platform os/arch[/variant]`, { arch });
  const ociOs = os === 'win32' ? 'windows' : os;
  if (arch === 'arm' && armVersion && /^[5-8]$/.test(armVersion)) return { os: ociOs, architecture: 'arm', variant: `v${armVersion}` };
  return { os: ociOs, ...a };
}

/** This machine's platform (`nodePlatform` with Node's own `arm_version`): the default of --platform. */
export function hostPlatform(): Platform {
  return nodePlatform(process.arch, process.platform, String((process.config.variables as { arm_version?: unknown }).arm_version ?? ''));
}

/** arm64 images usually leave out `v8`; 32-bit arm without a variant is v7 (containerd's normalisation). */
function variantOf(p: Platform): string | undefined {
  if (p.architecture === 'arm64' && (p.variant === undefined || p.variant === 'v8')) return undefined;
  if (p.architecture === 'arm' && p.variant === undefined) return 'v7';
  return p.variant;
}

/**
 * The child of an index that a node of `wanted` runs: among the children whose platform
 * matches (see `platformMatches`), the first with the same variant, else the first.
 * PLATFORM_NOT_FOUND, naming what the index has, when none matches.
 */
export function selectChild(children: readonly Descriptor[], wanted: Platform, what: string): Descriptor {
  const matching = children.filter((c) => platformMatches(wanted, c.platform));
  const exact = matching.find((c) => variantOf(c.platform!) === variantOf(wanted));
  const chosen = exact ?? matching[0];
  if (!chosen) {
    const have = children.map((c) => (c.platform ? formatPlatform(c.platform) : '?')).join(', ');
    throw new AirlockError(ErrorCodes.PLATFORM_NOT_FOUND, `${what}: no image for ${formatPlatform(wanted)} (it has ${have || 'none'})`, {
      image: what,
      platform: formatPlatform(wanted),
    });
  }
  return chosen;
}
