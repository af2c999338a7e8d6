import { parseLocation } from '../transport/location.js';
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

/** `airlock copy SRC DST`. */
export async function run(src: string, dst: string, flags: CopyCommandFlags): Promise<void> {
  const source = parseLocation(src);
  const destination = parseLocation(dst);
  const creds: [string, string][] = [];
  const srcHost = credentialHost(source);
  const dstHost = credentialHost(destination);
  if (flags.srcCreds && srcHost) creds.push([srcHost, flags.srcCreds]);
  if (flags.destCreds && dstHost) creds.push([dstHost, flags.destCreds]);
  const options = engineOptions(flags);
  process.exitCode = await runWithOutput({
    pairs: [{ source, destination }],
    ctx: contextOf(flags, registryOptions(flags, creds)),
    options: { ...options, jobs: 1 },
    ...(flags.json ? { json: true } : {}),
    ...(flags.report ? { reportFile: flags.report } : {}),
  });
}
