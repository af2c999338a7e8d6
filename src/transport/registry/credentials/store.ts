import type { RegistryOptions } from '../options.js';
import { hostOptions } from '../options.js';
import { credentialFilePaths, helperFor, helperServerUrl, inlineCredentials, readAuthConfig } from './files.js';
import { runCredentialHelper } from './helper.js';
import type { FoundCredentials } from './types.js';

/**
 * Finds credentials for registry hosts, once per host per store (one store per run):
 * explicit per-host username/password from the options first, then each credential file
 * in order (see `credentialFilePaths`); within a file `credHelpers[host]`, then the inline
 * `auths` entry, then `credsStore`.
 */
export class CredentialStore {
  private readonly cache = new Map<string, Promise<FoundCredentials | null>>();
  private readonly env: Record<string, string | undefined>;

  constructor(private readonly options: RegistryOptions = {}) {
    this.env = options.env ?? process.env;
  }

  /** Credentials for `host` (as in references, e.g. `docker.io`), or null for anonymous access. */
  lookup(host: string): Promise<FoundCredentials | null> {
    let p = this.cache.get(host);
    if (!p) {
      p = this.find(host);
      // A failed helper is not cached, so a later request can try again.
      p.catch(() => this.cache.delete(host));
      this.cache.set(host, p);
    }
    return p;
  }

  private async find(host: string): Promise<FoundCredentials | null> {
    const h = hostOptions(this.options, host);
    if (h.username !== undefined || h.password !== undefined) {
      return { credentials: { username: h.username ?? '', password: h.password ?? '' }, source: 'options' };
    }
    const paths = credentialFilePaths(this.env, {
      ...(this.options.authFilePath !== undefined ? { authFilePath: this.options.authFilePath } : {}),
      ...(this.options.dockerConfigPath !== undefined ? { dockerConfigPath: this.options.dockerConfigPath } : {}),
    });
    for (const path of paths) {
      const file = await readAuthConfig(path);
      if (!file) continue;
      const helper = helperFor(file, host);
      if (helper) {
        const c = await runCredentialHelper(helper, helperServerUrl(host), this.env);
        if (c) return { credentials: c, source: `helper:${helper}` };
        continue;
      }
      const inline = inlineCredentials(file, host, path);
      if (inline) return { credentials: inline, source: `file:${path}` };
      if (typeof file.credsStore === 'string' && file.credsStore !== '') {
        const c = await runCredentialHelper(file.credsStore, helperServerUrl(host), this.env);
        if (c) return { credentials: c, source: `helper:${file.credsStore}` };
      }
    }
    return null;
  }
}
