import type { Command } from 'commander';
import { parsePlatform, type Platform } from '../oci/platform.js';
import { createTransportContext, type TransportContext } from '../transport/open.js';
import { addRegistryFlags, positiveInt, registryOptions, type RegistryFlags } from './registry-flags.js';

/** Flags shared by the copying commands. */
export interface CopyFlags extends RegistryFlags {
  platform: string[];
  dryRun?: boolean;
  json?: boolean;
  store?: string;
  blobJobs?: string;
}

const collect = (v: string, prev: string[]) => [...prev, v];

/** Adds platform, dry-run, JSON, store and registry flags to a command. */
export function addCopyFlags(cmd: Command): Command {
  addRegistryFlags(
    cmd
      .option('--platform <os/arch[/variant]>', 'keep only this platform of a multi-arch image (repeatable); writes a filtered index', collect, [])
      .option('--dry-run', 'read and compare only: show what would be copied, write nothing')
      .option('--json', 'print one JSON event per line on stdout instead of progress')
      .option('--store <dir>', 'store directory (default $AIRLOCK_STORE or ~/.cache/airlock/store)')
      .option('--blob-jobs <n>', 'blobs copied at once across all images', '8'),
  );
  return cmd;
}

/** Parsed platforms of `--platform`. */
export function platformsOf(flags: CopyFlags): Platform[] {
  return flags.platform.map(parsePlatform);
}

/** Builds the transport context (registry pool, store dir) from the flags. */
export function contextOf(flags: CopyFlags, extraCreds: [string, string][] = []): TransportContext {
  return createTransportContext({
    registries: registryOptions(flags, extraCreds),
    ...(flags.store ? { storeDir: flags.store } : {}),
  });
}

/** Engine options common to copy and mirror. */
export function engineOptions(flags: CopyFlags) {
  return {
    platforms: platformsOf(flags),
    dryRun: Boolean(flags.dryRun),
    blobJobs: positiveInt('--blob-jobs', flags.blobJobs, 8) || 1,
  };
}
