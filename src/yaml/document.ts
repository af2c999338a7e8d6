import { isScalar, LineCounter, parseAllDocuments, parseDocument, visit, YAMLParseError, type Document } from 'yaml';

/**
 * What every airlock read shares: duplicate keys checked here (linear) rather than by the
 * library (quadratic), and `<<` merge keys followed, as kubectl and Ansible do.
 */
const PARSE = { uniqueKeys: false, merge: true } as const;

/** How a document is parsed: where lines are counted, and whether errors carry positions. */
export interface YamlParseOptions {
  lineCounter: LineCounter;
  prettyErrors?: boolean;
}

/**
 * Parses one YAML document as airlock reads every file: duplicate keys are errors (in
 * `doc.errors`, ordered by position, like syntax errors). The yaml library's own duplicate
 * check compares each key with every earlier one, which takes seconds on a map of 20,000
 * images; this one is linear.
 */
export function parseYamlDocument(text: string, opts: YamlParseOptions): Document.Parsed {
  const doc = parseDocument(text, { ...opts, ...PARSE });
  addDuplicateKeyErrors(doc, opts);
  return doc;
}

/** A YAML text parsed once: the document and where its lines start. */
export interface ParsedYaml {
  doc: Document.Parsed;
  lines: LineCounter;
}

/** Parses `text` as one document with positions on its errors (see `parseYamlDocument`). */
export function parseYaml(text: string): ParsedYaml {
  const lines = new LineCounter();
  return { doc: parseYamlDocument(text, { lineCounter: lines, prettyErrors: true }), lines };
}

/**
 * The document as plain data. Aliases are expanded at most 100 times in all (the yaml
 * library's guard against alias bombs); beyond that `refuse(why)` is thrown, so a hostile
 * file fails fast with the caller's own error code.
 */
export function yamlData(doc: Document.Parsed, refuse: (why: string) => Error): unknown {
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    // ReferenceError: the alias limit; other errors: a merge or alias the data cannot hold.
    if (err instanceof ReferenceError) throw refuse(`too many aliases (${err.message})`);
    throw refuse(err instanceof Error ? err.message : String(err));
  }
}

/** As `parseYamlDocument`, for every document of a multi-document stream. */
export function parseYamlDocuments(text: string, opts: YamlParseOptions): Document.Parsed[] {
  const docs = parseAllDocuments(text, { ...opts, ...PARSE });
  // An empty text gives an EmptyStream: an array with no documents and extra fields.
  const list = [...docs];
  for (const doc of list) addDuplicateKeyErrors(doc, opts);
  return list;
}

function addDuplicateKeyErrors(doc: Document.Parsed, opts: YamlParseOptions): void {
  const found: YAMLParseError[] = [];
  visit(doc, {
    Map(_key, map) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        // Complex keys (maps or sequences as keys) are compared by their text; merge keys may repeat.
        const key = isScalar(pair.key) ? `s:${String(pair.key.value)}` : `n:${String(pair.key)}`;
        if (key === 's:<<') continue;
        if (!seen.has(key)) {
          seen.add(key);
          continue;
        }
        const range = (pair.key as { range?: [number, number, number] } | null)?.range ?? [0, 0, 0];
        const err = new YAMLParseError([range[0], range[1]], 'DUPLICATE_KEY', 'Map keys must be unique');
        if (opts.prettyErrors) err.linePos = [opts.lineCounter.linePos(range[0])];
        found.push(err);
      }
    },
  });
  if (found.length === 0) return;
  doc.errors.push(...found);
  doc.errors.sort((a, b) => a.pos[0] - b.pos[0]);
}
