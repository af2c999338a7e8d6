import { readFile } from 'node:fs/promises';
import { isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import { parseYaml, yamlData, type ParsedYaml } from '../yaml/document.js';
import { invalidImageSet, type ImageSetProblem, type Locate } from './problems.js';
import type { ImageSet } from './types.js';
import { validateImageSet } from './validate.js';

/** Position lookup of value paths in a parsed YAML document. */
function locator(doc: Document, lines: LineCounter): Locate {
  const at = (node: Node | undefined | null) => (node?.range ? lines.linePos(node.range[0]) : undefined);
  return (path, key) => {
    let node: unknown = doc.contents;
    let keyNode: Node | undefined;
    let found = 0;
    for (const seg of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => String(isScalar(p.key) ? p.key.value : p.key) === String(seg));
        if (!pair) break;
        keyNode = pair.key as Node;
        node = pair.value;
      } else if (isSeq(node) && typeof seg === 'number' && node.items[seg] !== undefined) {
        keyNode = undefined;
        node = node.items[seg];
      } else break;
      found++;
    }
    // A missing entry is reported at the key of its parent (`nova_api:` for a missing `ref`),
    // a problem with a whole mapping or list at its key.
    const whole = found === path.length;
    if ((key || !whole || !node || isMap(node) || isSeq(node)) && keyNode) return at(keyNode);
    return at(node as Node) ?? at(keyNode) ?? { line: 1, col: 1 };
  };
}

/** `tag: 2024.10` must stay "2024.10", not become the number 2024.1. */
function keepNumbersAsWritten(doc: Document): void {
  const rules = doc.get('rules', true);
  const maps = [doc.get('parameters', true), ...(isSeq(rules) ? rules.items.map((r) => (isMap(r) ? r.get('set', true) : undefined)) : [])];
  for (const m of maps) {
    if (!isMap(m)) continue;
    for (const p of m.items) {
      if (isScalar(p.value) && typeof p.value.value === 'number' && p.value.source !== undefined) p.value.value = p.value.source;
    }
  }
}

/**
 * Parses and validates `images.yaml` text. Every problem (YAML syntax, schema) is reported
 * at once as IMAGESET_INVALID whose message lines read `file:line:col: what is wrong`;
 * details are {file, line (of the first problem), problems}.
 */
export function parseImageSet(text: string, file = 'images.yaml'): ImageSet {
  return imageSetFromYaml(parseYaml(text), file);
}

/** Validates an image set already parsed as YAML (see `parseImageSet`). */
export function imageSetFromYaml(parsed: ParsedYaml, file = 'images.yaml'): ImageSet {
  const { doc, lines } = parsed;
  if (doc.errors.length > 0) {
    const problems: ImageSetProblem[] = doc.errors.map((e) => ({
      path: '',
      ...(e.linePos ? { line: e.linePos[0].line, col: e.linePos[0].col } : {}),
      // yaml appends " at line N, column M:" and a code frame; the position is ours to print.
      message: `YAML: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`,
    }));
    throw invalidImageSet(file, problems);
  }
  keepNumbersAsWritten(doc);
  const data = yamlData(doc, (why) => invalidImageSet(file, [{ path: '', message: `YAML: ${why}` }]));
  return validateImageSet(data, file, locator(doc, lines));
}

/** Reads and parses an image set file; an unreadable file is IMAGESET_INVALID too. */
export async function loadImageSet(file: string): Promise<ImageSet> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw invalidImageSet(file, [{ path: '', message: `cannot read the file (${why})` }]);
  }
  return parseImageSet(text, file);
}
