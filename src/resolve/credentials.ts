import { registryCredentials } from '../imageset/credentials.js';
import type { ImageSet } from '../imageset/types.js';
import type { RegistryOptions } from '../transport/registry/options.js';

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
