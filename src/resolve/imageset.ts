import { AirlockError, ErrorCodes } from '../errors.js';
import { registryCredentials } from '../imageset/credentials.js';
import { planImageSet } from '../imageset/rules.js';
import type { ImageSet, ParamValue } from '../imageset/types.js';
import type { LockFile } from '../lock/types.js';
import type { RegistryOptions } from '../transport/registry/options.js';
import { ruleNames } from './image.js';
import { resolvePlan, type ResolveOptions } from './resolver.js';

/** Options of `resolveImageSet`. */
export interface ResolveImageSetOptions extends Omit<ResolveOptions, 'rules'> {
  /** Parameters that win over the set's and every rule's (`--set name=value`). */
  overrides?: Record<string, ParamValue>;
  /** Resolve only the image with this key (USAGE when the set has no such image switched on). */
  only?: string;
}

/** Plans an image set (rules, parameters, switches) and resolves every image (or `only`) into a lock. */
export function resolveImageSet(set: ImageSet, opts: ResolveImageSetOptions): Promise<LockFile> {
  let planned = planImageSet(set, opts.overrides ?? {});
  if (opts.only !== undefined) {
    const only = opts.only;
    planned = planned.filter((p) => p.key === only);
    if (planned.length === 0) {
      const why = only in set.images ? 'is switched off' : 'is not a key of the image set';
      throw new AirlockError(ErrorCodes.USAGE, `--only "${only}" ${why}`, { key: only });
    }
  }
  return resolvePlan(planned, { ...opts, rules: ruleNames(set) });
}

/**
 * `base` with the image set's `credentials` added per registry host. Credentials already
 * in `base` for a host (e.g. `--creds`) win; other host settings are kept. Throws
 * CREDENTIALS_INVALID when a variable or file the set names is missing.
 */
export function withImageSetCredentials(
  base: RegistryOptions,
  set: Pick<ImageSet, 'credentials' | 'file'>,
  env: Record<string, string | undefined> = process.env,
): RegistryOptions {
  const creds = registryCredentials(set, env);
  if (Object.keys(creds).length === 0) return base;
  const hosts = { ...(base.hosts ?? {}) };
  for (const [host, c] of Object.entries(creds)) {
    const existing = hosts[host] ?? {};
    hosts[host] = existing.username !== undefined ? existing : { ...existing, username: c.username, password: c.password };
  }
  return { ...base, hosts };
}
