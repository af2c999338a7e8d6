import { readFile, stat } from 'node:fs/promises';
import { isAlias, isMap, isScalar, isSeq, LineCounter, type Document, type Node } from 'yaml';
import { parseYamlDocument, parseYamlDocuments, yamlData } from '../../yaml/document.js';
import { AirlockError, clip, ErrorCodes } from '../../errors.js';

/** One file handed to an importer: its name (for messages) and its text. */
export interface ImportInput {
  file: string;
  text: string;
}

/** A parsed YAML document with what is needed to point at lines in it. */
export interface YamlSource {
  file: string;
  doc: Document.Parsed;
  lines: LineCounter;
}

/** Largest file an importer reads: far beyond any real image list, small enough to parse quickly. */
export const MAX_IMPORT_BYTES = 64 * 1024 * 1024;

/** What an import tells the operator without failing (printed on stderr by the CLI). */
export interface ImportNotes {
  warn(message: string): void;
}

/** Notes that go nowhere (library callers that do not ask for them). */
export const NO_NOTES: ImportNotes = { warn: () => undefined };

/** An IMPORT_INVALID error located at `file:line` (line omitted when unknown); the message is kept short. */
export function importError(file: string, line: number | undefined, message: string, details: Record<string, unknown> = {}): AirlockError {
  const where = line ? `${file}:${line}` : file;
  return new AirlockError(ErrorCodes.IMPORT_INVALID, `${where}: ${clip(message, 2000)}`, { file, ...(line ? { line } : {}), ...details });
}

/** The 1-based line where `node` starts, if it came from the source text. */
export function lineOf(src: YamlSource, node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range ? src.lines.linePos(range[0]).line : undefined;
}

/**
 * Parses `input` as YAML: one document, or every document with `multi`. The first syntax
 * error (duplicate keys included) is IMPORT_INVALID at its line.
 */
export function parseYaml(input: ImportInput, multi = false): YamlSource[] {
  const lines = new LineCounter();
  const opts = { lineCounter: lines, prettyErrors: true };
  const docs = multi ? parseYamlDocuments(input.text, opts) : [parseYamlDocument(input.text, opts)];
  for (const doc of docs) {
    const err = doc.errors[0];
    if (err) {
      const line = err.linePos?.[0].line;
      throw importError(input.file, line, `not valid YAML: ${err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`);
    }
  }
  return docs.map((doc) => ({ file: input.file, doc, lines }));
}

/**
 * A parsed document as plain data: merge keys followed, aliases expanded within the YAML
 * library's limit (an alias bomb is IMPORT_INVALID at once, not minutes and gigabytes).
 */
export function dataOf(src: YamlSource): unknown {
  return yamlData(src.doc, (why) => importError(src.file, undefined, `refused: ${why}`));
}

/**
 * The line of the value at `path` (map keys and list indexes) in the document, or of the
 * deepest part of the path that exists. For messages about data read with `dataOf`.
 */
export function lineAt(src: YamlSource, path: readonly (string | number)[]): number | undefined {
  let node: unknown = deref(src, src.doc.contents);
  let line = lineOf(src, node);
  for (const seg of path) {
    let next: unknown;
    if (isMap(node)) next = node.get(seg, true);
    else if (isSeq(node) && typeof seg === 'number') next = node.items[seg];
    if (next === undefined || next === null) break;
    node = deref(src, next);
    line = lineOf(src, next) ?? line;
  }
  return line;
}

/** `node` with an alias followed to its anchor. */
export function deref(src: YamlSource, node: unknown): unknown {
  return isAlias(node) ? node.resolve(src.doc) : node;
}

/** The value node of `key` in a map node (aliases followed); undefined otherwise. */
export function child(src: YamlSource, node: unknown, key: string): unknown {
  const m = deref(src, node);
  return isMap(m) ? deref(src, m.get(key, true)) : undefined;
}

/** The scalar's text as written (`1.10` stays `1.10`), or undefined for anything else. */
export function scalarText(node: unknown): string | undefined {
  if (!isScalar(node) || node.value === null || node.value === undefined) return undefined;
  if (typeof node.value === 'string') return node.value;
  return node.source ?? String(node.value);
}

/** Reads each file as UTF-8; an unreadable file is IMPORT_INVALID. */
export async function readImportInputs(files: string[]): Promise<ImportInput[]> {
  return Promise.all(
    files.map(async (file) => {
      let size: number;
      try {
        size = (await stat(file)).size;
      } catch (err) {
        throw importError(file, undefined, `cannot read: ${(err as Error).message}`);
      }
      if (size > MAX_IMPORT_BYTES) {
        throw importError(file, undefined, `is ${size} bytes; an image list is far smaller (limit ${MAX_IMPORT_BYTES})`);
      }
      try {
        return { file, text: await readFile(file, 'utf8') };
      } catch (err) {
        throw importError(file, undefined, `cannot read: ${(err as Error).message}`);
      }
    }),
  );
}
