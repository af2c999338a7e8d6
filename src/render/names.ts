import { AirlockError, ErrorCodes } from '../errors.js';

/**
 * Maps every key through `name` and fails with RENDER_UNSUPPORTED when two keys give the
 * same name (`nova-api` and `nova_api`), so no image silently overrides another.
 */
export function uniqueNames(keys: string[], name: (key: string) => string, format: string): Map<string, string> {
  const byName = new Map<string, string>();
  const out = new Map<string, string>();
  for (const key of keys) {
    const n = name(key);
    const other = byName.get(n);
    if (other !== undefined) {
      throw new AirlockError(ErrorCodes.RENDER_UNSUPPORTED, `${format}: images "${other}" and "${key}" both become "${n}"`, {
        keys: [other, key],
        name: n,
      });
    }
    byName.set(n, key);
    out.set(key, n);
  }
  return out;
}

/** `nova_api` / `nova-api` / `novaApi` -> `NovaApi`: each run of letters and digits, first letter upper-cased. */
export function camelName(key: string): string {
  return key
    .split(/[^A-Za-z0-9]+/)
    .filter((p) => p !== '')
    .map((p) => p[0]!.toUpperCase() + p.slice(1))
    .join('');
}

/** An Ansible variable prefix for `key`: anything but letters, digits and `_` becomes `_`. */
export function varName(key: string): string {
  return key.replace(/[^A-Za-z0-9_]/g, '_');
}
