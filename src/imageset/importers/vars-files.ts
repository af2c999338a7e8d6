/**
 * Reads Ansible vars files (Kubespray's and Atmosphere's role defaults and vars, an
 * inventory's group_vars, an operator's overrides) into variable definitions with their
 * lines, and Kubespray's `downloads:` table into its entries with the fields as written.
 */
import { isMap, isScalar, isSeq, type Scalar } from 'yaml';
import type { Definition, RawValue } from './jinja.js';
import { readVarsFileFast } from './vars-files-fast.js';
import { deref, importError, lineOf, parseYaml, scalarText, type ImportInput, type YamlSource } from './source.js';

/** One field of a download entry, as written (`repo: "{{ cilium_operator_image_repo }}-generic"`). */
export interface DownloadField {
  raw: RawValue;
  line?: number;
}

/** One entry of `downloads:`. */
export interface Download {
  /** Its key (`cilium_operator`). */
  name: string;
  file: string;
  line?: number;
  fields: Map<string, DownloadField>;
}

/** A vars file: its variables in file order, and its `downloads:` entries when it has the table. */
export interface VarsFile {
  file: string;
  text: string;
  defs: Definition[];
  downloads?: Download[];
  /** For each variable written as a map: the line of each of its keys (`_atmosphere_images.keystone_api`). */
  keyLines: Map<string, Map<string, number>>;
}

/** YAML nodes one file may expand to (aliases included), so an alias bomb fails fast. */
const MAX_NODES = 2_000_000;
/** Deepest YAML nesting read. */
const MAX_NESTING = 64;
/** YAML 1.1 booleans that YAML 1.2 reads as text; Ansible (PyYAML) reads them as booleans. */
const YAML11_BOOL = /^(?:yes|Yes|YES|on|On|ON|no|No|NO|off|Off|OFF)$/;

class RawReader {
  private nodes = 0;

  constructor(private readonly src: YamlSource) {}

  /** The plain value of a node: aliases followed, `<<` merged, numbers kept as written unless integers. */
  read(node: unknown, depth = 0): RawValue {
    if (++this.nodes > MAX_NODES) throw importError(this.src.file, lineOf(this.src, node), `more than ${MAX_NODES} YAML values (aliases expanding?)`);
    if (depth > MAX_NESTING) throw importError(this.src.file, lineOf(this.src, node), `YAML nested deeper than ${MAX_NESTING} levels`);
    const n = deref(this.src, node);
    if (n === null || n === undefined) return null;
    if (isScalar(n)) return scalar(n);
    if (isSeq(n)) return n.items.map((item) => this.read(item, depth + 1));
    if (isMap(n)) {
      const out = new Map<string, RawValue>();
      const merges: unknown[] = [];
      for (const pair of n.items) {
        const key = scalarText(pair.key) ?? String(pair.key);
        if (key === '<<') merges.push(pair.value);
        else out.set(key, this.read(pair.value, depth + 1));
      }
      // Explicit keys win over merged ones, whatever their order.
      for (const m of merges) {
        const merged = this.read(m, depth + 1);
        for (const src of Array.isArray(merged) ? merged : [merged]) {
          if (!(src instanceof Map)) throw importError(this.src.file, lineOf(this.src, m), '<< must merge a map or a list of maps');
          for (const [k, v] of src) if (!out.has(k)) out.set(k, v);
        }
      }
      return out;
    }
    return null;
  }
}

function scalar(s: Scalar): RawValue {
  const v = s.value;
  if (v === null || v === undefined) return null;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') {
    // Integers as numbers; anything else as written: an unquoted `3.10` stays "3.10", not 3.1.
    const source = s.source ?? String(v);
    return /^[-+]?[0-9]+$/.test(source) ? v : source;
  }
  if (typeof v === 'string') {
    if (s.type === 'PLAIN' && YAML11_BOOL.test(v)) return /^(?:yes|on)$/i.test(v);
    return v;
  }
  return String(v);
}

/**
 * Reads one vars file: the fast way when it is plain (vars-files-fast.ts), else carefully,
 * with the same result. An empty file has no variables; anything but a map at the top, bad
 * YAML, or a `downloads:` that is not a map of maps is IMPORT_INVALID at its line.
 */
export function readVarsFile(input: ImportInput): VarsFile {
  return readVarsFileFast(input, MAX_NODES, MAX_NESTING) ?? readVarsFileCarefully(input);
}

/** readVarsFile with the careful parser alone (a syntax tree, every position known). */
export function readVarsFileCarefully(input: ImportInput): VarsFile {
  const [src] = parseYaml(input);
  const root = src!.doc.contents;
  const out: VarsFile = { file: input.file, text: input.text, defs: [], keyLines: new Map() };
  if (root === null || (isScalar(root) && root.value === null)) return out;
  if (!isMap(root)) throw importError(input.file, lineOf(src!, root), 'a vars file must be a map of variable names to values');
  const reader = new RawReader(src!);
  for (const pair of root.items) {
    const name = scalarText(pair.key);
    if (name === undefined) continue;
    const line = lineOf(src!, pair.key);
    out.defs.push({ name, file: input.file, ...(line ? { line } : {}), value: reader.read(pair.value) });
    if (name === 'downloads') out.downloads = readDownloads(src!, pair.value, reader);
    const lines = keyLinesOf(src!, pair.value);
    if (lines) out.keyLines.set(name, lines);
  }
  return out;
}

/** The line of each key of a map value (its first level), when the value is a map. */
function keyLinesOf(src: YamlSource, node: unknown): Map<string, number> | undefined {
  const map = deref(src, node);
  if (!isMap(map)) return undefined;
  const lines = new Map<string, number>();
  for (const pair of map.items) {
    const key = scalarText(pair.key);
    const line = lineOf(src, pair.key);
    if (key !== undefined && line !== undefined) lines.set(key, line);
  }
  return lines;
}

function readDownloads(src: YamlSource, node: unknown, reader: RawReader): Download[] {
  const table = deref(src, node);
  if (!isMap(table)) throw importError(src.file, lineOf(src, node), 'downloads must be a map of download names to their settings');
  const downloads: Download[] = [];
  for (const pair of table.items) {
    const name = scalarText(pair.key);
    if (name === undefined) continue;
    const entry = deref(src, pair.value);
    const line = lineOf(src, pair.key);
    if (!isMap(entry)) throw importError(src.file, line, `downloads.${name} must be a map (container, repo, tag, ...)`, { download: name });
    const fields = new Map<string, DownloadField>();
    const raw = reader.read(entry);
    for (const p of entry.items) {
      const key = scalarText(p.key);
      if (key === undefined || !(raw instanceof Map) || !raw.has(key)) continue;
      const at = lineOf(src, p.key);
      fields.set(key, { raw: raw.get(key)!, ...(at ? { line: at } : {}) });
    }
    // Merged (`<<`) fields have no line of their own.
    if (raw instanceof Map) for (const [k, v] of raw) if (!fields.has(k)) fields.set(k, { raw: v });
    downloads.push({ name, file: src.file, ...(line ? { line } : {}), fields });
  }
  return downloads;
}
