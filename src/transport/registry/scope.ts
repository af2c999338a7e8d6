/** What a request needs to do in a repository. */
export type Access = 'pull' | 'push';

/** The token scope for reading (`pull`) or writing (`pull,push`) a repository. */
export function repositoryScope(repository: string, access: Access): string {
  return `repository:${repository}:${access === 'push' ? 'pull,push' : 'pull'}`;
}

/** Scopes for a cross-repository mount: push to `repository`, pull from `from`. */
export function mountScopes(repository: string, from: string): string[] {
  return [repositoryScope(repository, 'push'), repositoryScope(from, 'pull')];
}

interface ParsedScope {
  type: string;
  name: string;
  actions: Set<string>;
}

function parseScope(scope: string): ParsedScope | null {
  // Names may not contain ':' but `registry:catalog:*` style scopes exist; split from both ends.
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first < 0 || last === first) return null;
  return {
    type: scope.slice(0, first),
    name: scope.slice(first + 1, last),
    actions: new Set(scope.slice(last + 1).split(',').filter(Boolean)),
  };
}

/**
 * Merges scopes: one entry per resource with the union of its actions, sorted, so equal
 * needs give equal cache keys. Unparseable scopes are kept verbatim.
 */
export function normaliseScopes(scopes: Iterable<string>): string[] {
  const byResource = new Map<string, ParsedScope>();
  const raw = new Set<string>();
  for (const s of scopes) {
    for (const part of s.split(' ').filter(Boolean)) {
      const p = parseScope(part);
      if (!p) {
        raw.add(part);
        continue;
      }
      const key = `${p.type}:${p.name}`;
      const have = byResource.get(key);
      if (have) for (const a of p.actions) have.actions.add(a);
      else byResource.set(key, p);
    }
  }
  const out = [...raw];
  for (const p of byResource.values()) out.push(`${p.type}:${p.name}:${[...p.actions].sort().join(',')}`);
  return out.sort();
}

/** True when the scopes in `have` grant everything in `need`. */
export function scopesCover(have: readonly string[], need: readonly string[]): boolean {
  const granted = new Map<string, Set<string>>();
  for (const s of have) {
    const p = parseScope(s);
    if (p) granted.set(`${p.type}:${p.name}`, p.actions);
  }
  return need.every((s) => {
    const p = parseScope(s);
    if (!p) return have.includes(s);
    const g = granted.get(`${p.type}:${p.name}`);
    return g !== undefined && (g.has('*') || [...p.actions].every((a) => g.has(a)));
  });
}
