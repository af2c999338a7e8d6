import jsyaml from 'js-yaml';

// js-yaml 4 exports its built-in types; @types/js-yaml does not declare them.
const { merge } = (jsyaml as unknown as { types: { merge: jsyaml.Type } }).types;
// YAML 1.2's core schema, as the careful parser uses, with `<<` merge keys as kubectl follows them.
const SCHEMA = jsyaml.CORE_SCHEMA.extend({ implicit: [merge] });

/**
 * The data of every document of `text` when it is plain YAML, read the fast way (js-yaml:
 * no syntax tree, several times faster and smaller than the careful parser); null when it
 * is not: a syntax error, a duplicate key, or anchors and aliases (which the careful parser
 * expands within a limit). A null tells the caller to read the text with
 * `parseYamlDocument(s)`, which gives positions for every error.
 */
export function fastYamlDocuments(text: string): unknown[] | null {
  let docs: unknown[];
  try {
    docs = jsyaml.loadAll(text, null, { schema: SCHEMA });
  } catch {
    return null;
  }
  return docs.some(sharesNodes) ? null : docs;
}

/** As fastYamlDocuments for a single document; undefined when the careful parser must read it. */
export function fastYaml(text: string): { data: unknown } | undefined {
  const docs = fastYamlDocuments(text);
  if (!docs || docs.length > 1) return undefined;
  return { data: docs[0] ?? null };
}

/** True when some object is reachable twice (YAML aliases). */
function sharesNodes(data: unknown): boolean {
  const seen = new Set<object>();
  const stack: unknown[] = [data];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v === null || typeof v !== 'object') continue;
    if (seen.has(v)) return true;
    seen.add(v);
    for (const child of Object.values(v)) stack.push(child);
  }
  return false;
}
