import { run as mirror, type MirrorFlags } from './mirror-action.js';

/** `airlock pull FILE`: a mirror of FILE into the store (`--to store:`), with everything mirror does. */
export async function run(file: string, flags: Omit<MirrorFlags, 'to' | 'from' | 'destCreds'>): Promise<void> {
  await mirror(file, { ...flags, to: 'store:' });
}
