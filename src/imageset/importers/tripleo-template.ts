/**
 * Reads TripleO's image list, `tripleo_containers.yaml.j2` from tripleo-common: YAML under
 * `container_images_template:` with `{{ name }}` placeholders in the image names and
 * `{% if %}` / `{% elif %}` / `{% else %}` / `{% endif %}` lines around groups of entries.
 * The conditions are kept (each entry carries the one it is under), not rendered.
 */
import { isMap, isScalar, isSeq } from 'yaml';
import { allOf, negate, parseCondition, type Condition } from './tripleo-condition.js';
import { deref, importError, lineOf, parseYaml, scalarText, type ImportInput, type YamlSource } from './source.js';

/** One entry of the image list. */
export interface TemplateEntry {
  /** The image name as written (`{{namespace}}/{{name_prefix}}haproxy{{name_suffix}}:{{tag}}`). */
  imagename: string;
  /** The same as an airlock reference template (`{namespace}/{name_prefix}haproxy{name_suffix}:{tag}`). */
  ref: string;
  /** Every Heat parameter the entry sets, in order (may be empty). */
  params: string[];
  /** Where the image comes from (`tripleo`, `kolla`, `ceph`, ...), what modify_only_with_source filters on. */
  imageSource?: string;
  /** 1-based line of the entry. */
  line: number;
  /** The `{% if %}` conditions it is under, combined; absent outside any. */
  condition?: Condition;
  /** Line of the innermost `{% if %}`/`{% elif %}`/`{% else %}` the entry is under, for notes. */
  conditionLine?: number;
}

/** The parsed image list. */
export interface ImageTemplate {
  file: string;
  entries: TemplateEntry[];
}

/** Largest image list read (tripleo-common's is about 30 KB). */
export const MAX_TEMPLATE_BYTES = 4 * 1024 * 1024;
/** Most entries (tripleo-common's has about 130). */
export const MAX_TEMPLATE_ENTRIES = 5000;
/** Most parameters of one entry (the most in tripleo-common is 5). */
export const MAX_ENTRY_PARAMS = 64;
/** Deepest nesting of `{% if %}`. */
const MAX_IF_DEPTH = 16;

/** True when `text` looks like TripleO's image list rather than a Heat environment. */
export function isImageTemplate(text: string): boolean {
  return /^container_images_template\s*:/m.test(text);
}

/** One open `{% if %}`: the conditions of its earlier branches, and of the one being read. */
interface Branch {
  line: number;
  earlier: Condition[];
  current: Condition | undefined;
  sawElse: boolean;
  /** Line of the `{% if %}`/`{% elif %}`/`{% else %}` opening the current branch. */
  branchLine: number;
}

const STATEMENT_RE = /^\s*\{%-?\s*(.*?)\s*-?%\}\s*$/;
const COMMENT_RE = /^\s*\{#.*#\}\s*$/;
/** Longest line with a `{% %}` or `{# #}` read (the patterns above are only run on lines this short). */
const MAX_STATEMENT_LINE = 1024;
/** Longest image name read (a reference is far shorter). */
const MAX_IMAGENAME_LENGTH = 1024;

/** The condition each line is under, and the text with statement lines blanked (lines keep their numbers). */
function readStatements(input: ImportInput): { yaml: string; conditionAt: (Condition | undefined)[]; branchLineAt: number[]; statements: number[] } {
  const lines = input.text.split('\n');
  const stack: Branch[] = [];
  const conditionAt: (Condition | undefined)[] = [];
  const branchLineAt: number[] = [];
  const statements: number[] = [];
  const current = () => allOf(stack.flatMap((b) => [...b.earlier.map(negate), ...(b.current ? [b.current] : [])]));
  const fail = (line: number, message: string) => importError(input.file, line, message);
  const condition = (text: string, line: number) => {
    try {
      return parseCondition(text);
    } catch (err) {
      throw fail(line, `{% ${text.slice(0, 80)} %}: ${(err as Error).message}`);
    }
  };
  let active: Condition | undefined;
  lines.forEach((raw, i) => {
    const line = i + 1;
    const jinja = raw.includes('{%') || raw.includes('{#');
    if (jinja && raw.length > MAX_STATEMENT_LINE) throw fail(line, `a line with {% %} or {# #} is longer than ${MAX_STATEMENT_LINE} characters`);
    const m = jinja ? STATEMENT_RE.exec(raw) : null;
    if (!m) {
      if (jinja && COMMENT_RE.test(raw)) {
        lines[i] = '';
      } else if (jinja) {
        throw fail(line, 'a {% %} statement or {# #} comment must stand on a line of its own');
      }
      conditionAt[line] = active;
      branchLineAt[line] = stack.at(-1)?.branchLine ?? 0;
      return;
    }
    statements.push(line);
    lines[i] = '';
    const body = m[1]!;
    const [word = '', ...rest] = body.split(/\s+/);
    const arg = rest.join(' ');
    const top = stack.at(-1);
    if (word === 'if') {
      if (stack.length >= MAX_IF_DEPTH) throw fail(line, `{% if %} nested more than ${MAX_IF_DEPTH} deep`);
      stack.push({ line, earlier: [], current: condition(arg, line), sawElse: false, branchLine: line });
    } else if (word === 'elif' || word === 'else') {
      if (!top) throw fail(line, `{% ${word} %} without {% if %}`);
      if (top.sawElse) throw fail(line, `{% ${word} %} after {% else %}`);
      if (word === 'else' && arg !== '') throw fail(line, '{% else %} takes no condition');
      top.earlier.push(top.current!);
      top.current = word === 'elif' ? condition(arg, line) : undefined;
      top.sawElse = word === 'else';
      top.branchLine = line;
    } else if (word === 'endif') {
      if (!top) throw fail(line, '{% endif %} without {% if %}');
      stack.pop();
    } else {
      throw fail(line, `{% ${body.slice(0, 80)} %} is not supported: only if, elif, else and endif`);
    }
    active = current();
  });
  if (stack.length > 0) throw fail(stack.at(-1)!.line, '{% if %} is never closed with {% endif %}');
  return { yaml: lines.join('\n'), conditionAt, branchLineAt, statements };
}

const PLACEHOLDER_RE = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** `{{ name }}` -> `{name}`; any other expression, or a brace left over, is IMPORT_INVALID. */
function refTemplate(imagename: string, file: string, line: number | undefined): string {
  const ref = imagename.replace(PLACEHOLDER_RE, (whole, expr: string) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(expr)) {
      throw importError(file, line, `image name "${imagename}": only {{ variable }} placeholders are supported, not ${whole}`);
    }
    return `{${expr}}`;
  });
  // What an image set accepts as a reference template: braces only around a parameter name.
  if (!/^(?:[^{}]|\{[A-Za-z0-9_]+\})+$/.test(ref)) {
    throw importError(file, line, `image name "${imagename}" has braces that are not {{ variable }} placeholders`);
  }
  return ref;
}

function entryOf(src: YamlSource, item: unknown, conditionAt: (Condition | undefined)[], branchLineAt: number[], statements: number[]): TemplateEntry {
  const node = deref(src, item);
  const line = lineOf(src, node);
  if (!isMap(node)) throw importError(src.file, line, 'each entry of container_images_template is a mapping with imagename and params');
  const imagenameNode = deref(src, node.get('imagename', true));
  const imagename = isScalar(imagenameNode) && typeof imagenameNode.value === 'string' ? imagenameNode.value : undefined;
  if (!imagename) throw importError(src.file, line, 'the entry has no imagename');
  if (imagename.length > MAX_IMAGENAME_LENGTH) throw importError(src.file, line, `the imagename is longer than ${MAX_IMAGENAME_LENGTH} characters`);
  const start = line ?? 1;
  const range = (node as { range?: [number, number, number] }).range;
  const end = range ? src.lines.linePos(Math.max(range[0], range[1] - 1)).line : start;
  const inside = statements.find((s) => s > start && s <= end);
  if (inside !== undefined) throw importError(src.file, inside, 'a {% %} statement inside an entry is not supported; put it between entries');

  const paramsNode = deref(src, node.get('params', true));
  const params: string[] = [];
  if (paramsNode !== undefined && paramsNode !== null && !(isScalar(paramsNode) && paramsNode.value === null)) {
    if (!isSeq(paramsNode)) throw importError(src.file, lineOf(src, paramsNode), `${imagename}: params is a list of Heat parameter names`);
    for (const p of paramsNode.items) {
      const name = scalarText(deref(src, p));
      if (name === undefined || !/^[A-Za-z][A-Za-z0-9_]*$/.test(name)) {
        throw importError(src.file, lineOf(src, p), `${imagename}: "${String(name ?? '').slice(0, 80)}" is not a Heat parameter name`);
      }
      params.push(name);
    }
    if (params.length > MAX_ENTRY_PARAMS) throw importError(src.file, line, `${imagename}: more than ${MAX_ENTRY_PARAMS} params`);
  }
  const entry: TemplateEntry = { imagename, ref: refTemplate(imagename, src.file, line), params, line: start };
  const source = scalarText(deref(src, node.get('image_source', true)));
  if (source) entry.imageSource = source;
  const condition = conditionAt[start];
  if (condition) {
    entry.condition = condition;
    entry.conditionLine = branchLineAt[start]!;
  }
  return entry;
}

/**
 * Parses the image list. Every entry keeps its line, its parameters in order and the
 * conditions it is under (nested `{% if %}`s and earlier `{% elif %}` branches combined).
 * IMPORT_INVALID at file:line for: a file over MAX_TEMPLATE_BYTES or with more than
 * MAX_TEMPLATE_ENTRIES entries, a statement other than if/elif/else/endif or not on its own
 * line, unbalanced blocks, a condition it cannot read (see parseCondition), a statement
 * inside an entry, YAML that does not parse once the statements are set aside, no
 * `container_images_template` list, an entry without imagename, and placeholders other
 * than `{{ variable }}`.
 */
export function parseImageTemplate(input: ImportInput): ImageTemplate {
  if (Buffer.byteLength(input.text, 'utf8') > MAX_TEMPLATE_BYTES) {
    throw importError(input.file, undefined, `the image list is larger than ${MAX_TEMPLATE_BYTES} bytes`);
  }
  const { yaml, conditionAt, branchLineAt, statements } = readStatements(input);
  const [src] = parseYaml({ file: input.file, text: yaml });
  const list = deref(src!, isMap(src!.doc.contents) ? src!.doc.contents.get('container_images_template', true) : undefined);
  if (!isSeq(list)) throw importError(input.file, lineOf(src!, list), 'no container_images_template list: is this tripleo_containers.yaml.j2?');
  if (list.items.length > MAX_TEMPLATE_ENTRIES) {
    throw importError(input.file, undefined, `more than ${MAX_TEMPLATE_ENTRIES} entries in container_images_template`);
  }
  return { file: input.file, entries: list.items.map((item) => entryOf(src!, item, conditionAt, branchLineAt, statements)) };
}
