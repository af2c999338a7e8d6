/**
 * Reading a plain vars file the fast way: js-yaml for the data (no syntax tree), and the
 * lines of keys from the text itself, for the block-style maps these files are written in.
 * Gives exactly what the careful reader gives, or undefined whenever it cannot be sure (an
 * anchor, a tag, a merge key, a float, a YAML 1.1 boolean, a flow map with keys, a key the
 * line scan does not find in order...): the caller then reads the file the careful way.
 */
import { fastYaml } from '../../yaml/fast.js';
import type { Definition, RawValue } from './jinja.js';
import type { Download, DownloadField, VarsFile } from './vars-files.js';
import type { ImportInput } from './source.js';

/**
 * Text the fast reader leaves to the careful one: an anchor, alias or tag where a node starts
 * (a line's start, after `: `, `- `, `? `, or in a flow collection; Jinja's `!=` and `*` are
 * not there), merge keys, directives, document ends, hex and octal numbers.
 */
const NOT_PLAIN = /(?:^[ \t]*|[:?,[{-][ \t]+|[[{,])[&*!]|<<|^%|^\.\.\.|\b0[xXoO][0-9a-fA-F]/m;
/** Strings the careful reader turns into booleans when unquoted (YAML 1.1, as Ansible reads them). */
const YAML11_BOOL = /^(?:yes|on|no|off)$/i;
/** `key:` at the start of a line's content: a plain key, or a quoted one without escapes. */
const KEY = /^(?:"([^"\\]*)"|'([^']*)'|([^\s"'#\-?:,[\]{}&*!|>%@`][^:#]*?|-[^\s:#][^:#]*?))[ \t]*:(?:[ \t]|$)/;

/** A key and its 1-based line. */
interface KeyLine {
  key: string;
  line: number;
}

/** Thrown inside this module when the fast path must give up. */
class NotPlain extends Error {}

/** A line that holds part of the data: not blank, not a comment, not the `---` that starts the document. */
const isContent = (l: string) => {
  const t = l.trimStart();
  return t !== '' && !t.startsWith('#') && !/^---(?:\s|$)/.test(l);
};
const indentOf = (l: string) => l.length - l.trimStart().length;

/**
 * The keys of the block map whose entries are the lines [from, to) (0-based), at the
 * indentation of the first content line; none when the range has no content.
 */
function blockKeys(lines: string[], from: number, to: number): KeyLine[] {
  let first = from;
  while (first < to && !isContent(lines[first]!)) first++;
  if (first >= to) return [];
  const indent = indentOf(lines[first]!);
  const out: KeyLine[] = [];
  for (let i = first; i < to; i++) {
    const l = lines[i]!;
    if (!isContent(l)) continue;
    const at = indentOf(l);
    if (at > indent) continue;
    if (at < indent || l.includes('\t')) throw new NotPlain();
    const m = KEY.exec(l.slice(at));
    if (!m) throw new NotPlain();
    out.push({ key: (m[1] ?? m[2] ?? m[3]!).trimEnd(), line: i + 1 });
  }
  return out;
}

/** The keys of `map` with their lines, checked against the data's keys (same keys, same order). */
function placed(map: Record<string, unknown>, keys: KeyLine[]): KeyLine[] {
  const names = Object.keys(map);
  if (names.length !== keys.length || names.some((n, i) => n !== keys[i]!.key)) throw new NotPlain();
  return keys;
}

/** Where each key's block ends (0-based, exclusive): the next key's line, else `end`. */
const blockEnd = (keys: KeyLine[], i: number, end: number) => (i + 1 < keys.length ? keys[i + 1]!.line - 1 : end);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** js-yaml data as the careful reader's raw values (maps as Map), or NotPlain for what it reads differently. */
function raw(v: unknown, budget: { nodes: number; max: number }, depth: number, maxDepth: number): RawValue {
  if (++budget.nodes > budget.max || depth > maxDepth) throw new NotPlain();
  if (v === null || v === undefined) return null;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new NotPlain();
    return v;
  }
  if (typeof v === 'string') {
    if (YAML11_BOOL.test(v)) throw new NotPlain();
    return v;
  }
  if (Array.isArray(v)) return v.map((x) => raw(x, budget, depth + 1, maxDepth));
  if (isObject(v)) return new Map(Object.entries(v).map(([k, x]) => [k, raw(x, budget, depth + 1, maxDepth)]));
  throw new NotPlain();
}

/**
 * The vars file read the fast way, or undefined when the careful reader must read it (see
 * the module comment). `maxNodes` and `maxDepth` are the careful reader's limits: a file
 * over them is left to it, which fails with its message.
 */
export function readVarsFileFast(input: ImportInput, maxNodes: number, maxDepth: number): VarsFile | undefined {
  if (NOT_PLAIN.test(input.text)) return undefined;
  const fast = fastYaml(input.text);
  if (!fast) return undefined;
  const out: VarsFile = { file: input.file, text: input.text, defs: [], keyLines: new Map() };
  if (fast.data === null) return out;
  if (!isObject(fast.data)) return undefined;
  try {
    const lines = input.text.split('\n');
    const budget = { nodes: 0, max: maxNodes };
    const top = placed(fast.data, blockKeys(lines, 0, lines.length));
    top.forEach(({ key, line }, i) => {
      const value = fast.data as Record<string, unknown>;
      const def: Definition = { name: key, file: input.file, line, value: raw(value[key], budget, 0, maxDepth) };
      out.defs.push(def);
      const v = value[key];
      if (!isObject(v)) {
        if (key === 'downloads') throw new NotPlain();
        return;
      }
      const inner = placed(v, blockKeys(lines, line, blockEnd(top, i, lines.length)));
      out.keyLines.set(key, new Map(inner.map((k) => [k.key, k.line])));
      if (key === 'downloads') out.downloads = downloadsOf(v, inner, lines, blockEnd(top, i, lines.length), def.value as Map<string, RawValue>, input.file);
    });
    return out;
  } catch (err) {
    if (err instanceof NotPlain) return undefined;
    throw err;
  }
}

/** Kubespray's `downloads:` entries with each field's line. */
function downloadsOf(table: Record<string, unknown>, entries: KeyLine[], lines: string[], end: number, values: Map<string, RawValue>, file: string): Download[] {
  return entries.map(({ key, line }, i) => {
    const entry = table[key];
    if (!isObject(entry)) throw new NotPlain();
    const fields = new Map<string, DownloadField>();
    const value = values.get(key) as Map<string, RawValue>;
    for (const f of placed(entry, blockKeys(lines, line, blockEnd(entries, i, end)))) fields.set(f.key, { raw: value.get(f.key)!, line: f.line });
    return { name: key, file, line, fields };
  });
}
