import { parseLocation } from '../transport/location.js';
import type { Location } from '../transport/types.js';
import { credentialHost } from '../transport/open.js';
import { contextOf, engineOptions, type CopyFlags } from './common-flags.js';
import { registryOptions } from './registry-flags.js';
import { runWithOutput } from './run-command.js';

/** Flags of `airlock copy`. */
export interface CopyCommandFlags extends CopyFlags {
  srcCreds?: string;
  destCreds?: string;
  report?: string;
}

/** The host=credentials pairs of --src-creds and --dest-creds for one source and destination. */
export function pairCredentials(source: Location, destination: Location, flags: { srcCreds?: string; destCreds?: string }): [string, string][] {
  const creds: [string, string][] = [];
  const srcHost = credentialHost(source);
  const dstHost = credentialHost(destination);
  if (flags.srcCreds && srcHost) creds.push([srcHost, flags.srcCreds]);
  if (flags.destCreds && dstHost) creds.push([dstHost, flags.destCreds]);
  return creds;
}

/** `airlock copy SRC DST`. */
export async function run(src: string, dst: string, flags: CopyCommandFlags): Promise<void> {
  const source = parseLocation(src);
  const destination = parseLocation(dst);
  const options = engineOptions(flags);
  process.exitCode = await runWithOutput({
    pairs: [{ source, destination }],
    ctx: contextOf(flags, registryOptions(flags, pairCredentials(source, destination, flags))),
    options: { ...options, jobs: 1 },
    ...(flags.json ? { json: true } : {}),
    ...(flags.report ? { reportFile: flags.report } : {}),
  });
}
