import type { Command } from 'commander';
import { AirlockError, ErrorCodes } from '../errors.js';
import { MANIFEST_FORMATS, type ManifestFormat } from '../copy/convert.js';
import type { CopyRunOptions } from '../copy/engine.js';
import { REFERRER_CHOICES, type ReferrerChoice } from '../referrers/kinds.js';
import { parsePlatform, type Platform } from '../oci/platform.js';
import { createTransportContext, type TransportContext } from '../transport/context.js';
import type { RegistryOptions } from '../transport/registry/options.js';
import { interruptSignal } from './interrupt.js';
import { addRegistryFlags, positiveInt, registryOptions, type RegistryFlags } from './registry-flags.js';

/** The `--referrers` choice (default `all`); USAGE for anything else. */
export function referrerChoice(text: string | undefined): ReferrerChoice {
  const choice = (text ?? 'all') as ReferrerChoice;
  if (!REFERRER_CHOICES.includes(choice)) throw new AirlockError(ErrorCodes.USAGE, `--referrers takes ${REFERRER_CHOICES.join(', ')}, got "${text}"`);
  return choice;
}

/** Flags shared by the copying commands. */
export interface CopyFlags extends RegistryFlags {
  platform: string[];
  format?: string;
  dryRun?: boolean;
  json?: boolean;
  store?: string;
  blobJobs?: string;
  referrers?: string;
}

/** Commander collector for repeatable options. */
export const collect = (v: string, prev: string[]): string[] => [...prev, v];

/** Adds platform, format, dry-run, JSON, store and registry flags to a command. */
export function addCopyFlags(cmd: Command): Command {
  addRegistryFlags(
    cmd
      .option('--platform <os/arch[/variant]>', 'keep only this platform of a multi-arch image (repeatable); writes a filtered index', collect, [])
      .option('--format <oci|v2s2>', 'write manifests as OCI or Docker v2 schema 2, converting where needed (new digests); default: as the source has them')
      .option('--dry-run', 'read and compare only: show what would be copied, write nothing')
      .option('--json', 'print one JSON event per line on stdout instead of progress')
      .option('--store <dir>', 'store directory (default $AIRLOCK_STORE or ~/.cache/airlock/store)')
      .option('--blob-jobs <n>', 'blobs copied at once across all images', '8')
      .option('--referrers <all|signatures|none>', "copy each image's referrers beside it: cosign's tags (sha256-<digest>.sig, .att, .sbom) and OCI 1.1 referrers (signatures, sigstore bundles, SBOMs, attestations); signatures keeps only signatures", 'all'),
  );
  return cmd;
}

/** Parsed platforms of `--platform`. */
export function platformsOf(flags: CopyFlags): Platform[] {
  return flags.platform.map(parsePlatform);
}

function formatOf(flags: CopyFlags): ManifestFormat | undefined {
  if (flags.format === undefined) return undefined;
  if (!(flags.format in MANIFEST_FORMATS)) {
    throw new AirlockError(ErrorCodes.USAGE, `--format takes ${Object.keys(MANIFEST_FORMATS).join(' or ')}, got "${flags.format}"`);
  }
  return flags.format as ManifestFormat;
}

/** The transport context of a command: its registry options, the store, and the interrupt signal. */
export function contextOf(flags: { store?: string }, registries: RegistryOptions): TransportContext {
  return createTransportContext({ registries, signal: interruptSignal(), ...(flags.store ? { storeDir: flags.store } : {}) });
}

/** Engine options common to copy and mirror. */
export function engineOptions(flags: CopyFlags): CopyRunOptions & { referrers?: ReferrerChoice } {
  const registries = registryOptions(flags);
  const format = formatOf(flags);
  return {
    referrers: referrerChoice(flags.referrers),
    platforms: platformsOf(flags),
    dryRun: Boolean(flags.dryRun),
    blobJobs: positiveInt('--blob-jobs', flags.blobJobs, 8) || 1,
    retry: { ...(registries.retries !== undefined ? { retries: registries.retries } : {}) },
    ...(format ? { format } : {}),
  };
}
