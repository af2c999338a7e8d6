/**
 * `ContainerImageRegistryCredentials` as image set credentials: the user name is kept, the
 * password is not. It is to be given in an environment variable named after the registry
 * (`quay.io` -> `QUAY_IO_PASSWORD`), so no secret reaches images.yaml or the lock.
 */
import type { CredentialSource } from '../types.js';
import type { RegistryLogin } from './tripleo-prepare.js';

/** `quay.io` -> `QUAY_IO_PASSWORD`; `192.168.24.1:8787` -> `REGISTRY_192_168_24_1_8787_PASSWORD`. */
export function passwordVariable(registry: string): string {
  const base = registry
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return `${/^[A-Z]/.test(base) ? '' : 'REGISTRY_'}${base}_PASSWORD`;
}

/**
 * One credential source per registry, `{username, password_env}`, with a distinct variable
 * for each (a `_2` suffix when two registries give the same name), and one note per registry
 * saying which variable to set.
 */
export function credentialSources(logins: readonly RegistryLogin[]): { credentials: Record<string, CredentialSource>; notes: string[] } {
  const credentials: Record<string, CredentialSource> = {};
  const notes: string[] = [];
  const used = new Set<string>();
  for (const login of logins) {
    const base = passwordVariable(login.registry);
    let variable = base;
    for (let n = 2; used.has(variable); n++) variable = `${base.slice(0, -'_PASSWORD'.length)}_${n}_PASSWORD`;
    used.add(variable);
    credentials[login.registry] = { username: login.username, password_env: variable };
    notes.push(`credentials for ${login.registry}: user ${login.username}; set ${variable} to the password (${login.file}${login.line ? `:${login.line}` : ''} holds it; airlock does not copy it)`);
  }
  return { credentials, notes };
}
