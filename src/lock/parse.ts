import { isMap, isNode, isScalar, isSeq, type Document, type LineCounter } from 'yaml';
import { AirlockError, ErrorCodes } from '../errors.js';
import { parseYaml, yamlData, type ParsedYaml } from '../yaml/document.js';
import { fastLock } from './read.js';
import { validateLock, type Fail } from './schema.js';
import type { LockFile } from './types.js';

/**
 * Parses and validates a lock file's text; `file` is only used in messages. Throws
 * LOCK_INVALID with `file:line`. A lock has an entry per image and is read by every mirror,
 * render and diff, so a plain one takes a fast path (js-yaml: no syntax tree, several times
 * faster and smaller at 20,000 images). Whatever that path cannot vouch for (a syntax error,
 * anchors and aliases, any problem at all) is parsed again with positions, so every error
 * names its line and aliases stay bounded.
 */
export function parseLock(text: string, file: string): LockFile {
  return fastLock(text) ?? lockFromYaml(parseYaml(text), file);
}

/** Validates a lock already parsed as YAML (see `parseLock`). */
export function lockFromYaml(parsed: ParsedYaml, file: string): LockFile {
  const { doc, lines: lineCounter } = parsed;
  const fail: Fail = (path, what) => {
    const line = lineOf(doc, lineCounter, path);
    const where = line ? `${file}:${line}` : file;
    const at = path.length ? ` (${path.join('.')})` : '';
    return new AirlockError(ErrorCodes.LOCK_INVALID, `${where}: ${what}${at}`, { file, line, path });
  };
  const syntax = doc.errors[0];
  if (syntax) {
    const line = lineCounter.linePos(syntax.pos[0]).line;
    throw new AirlockError(ErrorCodes.LOCK_INVALID, `${file}:${line}: invalid YAML: ${firstLine(syntax.message)}`, {
      file,
      line,
    });
  }
  return validateLock(yamlData(doc, (why) => fail([], why)), fail);
}

/** 1-based line of the key (or list item) at `path`, or of its nearest existing parent. */
function lineOf(doc: Document, counter: LineCounter, path: (string | number)[]): number | undefined {
  const lineAt = (n: unknown) => (isNode(n) && n.range ? counter.linePos(n.range[0]).line : undefined);
  let node: unknown = doc.contents;
  let line = lineAt(node);
  for (const seg of path) {
    let next: unknown;
    if (isMap(node)) {
      const pair = node.items.find((p) => String(isScalar(p.key) ? p.key.value : p.key) === String(seg));
      if (!pair) break;
      line = lineAt(pair.key) ?? line;
      next = pair.value;
    } else if (isSeq(node) && typeof seg === 'number' && node.items[seg] !== undefined) {
      next = node.items[seg];
      line = lineAt(next) ?? line;
    } else break;
    node = next;
  }
  return line;
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}
