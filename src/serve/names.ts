/**
 * Which store repository a requested name means. The store keys images by full reference
 * (`quay.io/ceph/ceph`), while clients ask by the name the lock's destinations give them on
 * this registry (`registry.local:5000/ceph/ceph`, or under a prefix,
 * `registry.local:5000/mirror/ceph/ceph`: the path arrives without the host).
 */
import type { LayoutContent } from '../transport/layout/content.js';

/** A namespace this registry is known by: `HOST[:PORT][/PREFIX]`, as `airlock mirror --to` takes it. */
export interface ServedNamespace {
  host: string;
  prefix?: string;
}

/** Parses `HOST[:PORT][/PREFIX]`; undefined when it is not one. */
export function parseNamespace(text: string): ServedNamespace | undefined {
  const m = /^([a-z0-9.-]+(?::\d{1,5})?|\[[0-9a-f:]+\](?::\d{1,5})?)(?:\/([a-z0-9._/-]+))?$/i.exec(text.replace(/\/+$/, ''));
  if (!m) return undefined;
  return { host: m[1]!.toLowerCase(), ...(m[2] ? { prefix: m[2] } : {}) };
}

/** True for a first path component that names a registry (`quay.io`, `host:5000`, `localhost`). */
function isRegistryHost(component: string): boolean {
  return /[.:]/.test(component) || component === 'localhost';
}

/**
 * The store repository `name` means, or `name` itself (answered as unknown) when none:
 * 1. `name` when the store has it;
 * 2. for each namespace (host and prefix) the registry is known by: `host/name` when the store
 *    has it (images kept under their destination names); else, `name` stripped of the prefix
 *    being `path`, the one store repository `REGISTRY/path` (an image mirrored to
 *    `host/prefix` keeps its source registry in the store);
 * 3. with no namespace given, the one store repository `REGISTRY/name`.
 */
export async function storeRepository(layout: LayoutContent, name: string, namespaces: ServedNamespace[]): Promise<string> {
  const all = await layout.refs.repositories();
  if (all.includes(name)) return name;
  const bySourcePath = (path: string) => {
    const found = all.filter((r) => {
      const slash = r.indexOf('/');
      return slash > 0 && r.slice(slash + 1) === path && isRegistryHost(r.slice(0, slash));
    });
    return found.length === 1 ? found[0] : undefined;
  };
  for (const ns of namespaces.length > 0 ? namespaces : [{ host: '' }]) {
    // A containerd mirror request for this very name (ns=HOST) puts the host in front.
    const local = ns.host !== '' && name.startsWith(`${ns.host}/`) ? name.slice(ns.host.length + 1) : name;
    if (ns.host !== '' && all.includes(`${ns.host}/${local}`)) return `${ns.host}/${local}`;
    const path = ns.prefix === undefined ? local : local.startsWith(`${ns.prefix}/`) ? local.slice(ns.prefix.length + 1) : undefined;
    const found = path === undefined ? undefined : bySourcePath(path);
    if (found) return found;
  }
  return name;
}
