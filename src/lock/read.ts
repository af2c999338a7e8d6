import { readFile } from 'node:fs/promises';
import jsyaml from 'js-yaml';
import { isMap, isNode, isScalar, isSeq, type Document, type LineCounter } from 'yaml';
import { parseYaml, yamlData, type ParsedYaml } from '../yaml/document.js';
// The small build of zod: reading a lock is on the path of every `mirror LOCK`, which
// should not pay for loading zod's full API. English messages, as full zod gives.
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';
import { AirlockError, ErrorCodes } from '../errors.js';
import { isDigest, type Digest } from '../oci/digest.js';
import { parseReference } from '../ref/reference.js';
import { LOCK_VERSION, type LockFile } from './types.js';

z.config(en());

const digest = z.custom<Digest>((v) => typeof v === 'string' && isDigest(v), {
  message: 'not a valid digest (sha256:<64 hex>)',
});
const count = () => z.int().check(z.minimum(0));
const text = () => z.string().check(z.minLength(1));

const platformSchema = z.object({
  platform: text(),
  digest,
  size: count(),
  mediaType: text(),
});

const originSchema = z.object({
  template: z.string(),
  rules: z.optional(z.array(z.object({ index: count(), name: z.optional(z.string()) }))),
  tag_from_label: z.optional(
    z.object({
      template: text(),
      from_tag: text(),
      labels: z.record(z.string(), z.string()),
      rule: z.optional(count()),
    }),
  ),
});

const imageSchema = z.object({
  source: text(),
  tag: z.optional(text()),
  digest,
  mediaType: text(),
  size: count(),
  platforms: z.optional(z.array(platformSchema)),
  keep_platforms: z.optional(z.array(text())),
  filtered_digest: z.optional(digest),
  destination: z.optional(text()),
  origin: originSchema,
});

const lockSchema = z.object({
  version: z.literal(LOCK_VERSION),
  images: z.record(text(), imageSchema),
});

type Fail = (path: (string | number)[], what: string) => AirlockError;

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

/** The lock when `text` is a plain, valid lock; undefined when it needs the careful path. */
export function fastLock(text: string): LockFile | undefined {
  let data: unknown;
  try {
    data = jsyaml.load(text, { schema: jsyaml.CORE_SCHEMA });
  } catch {
    return undefined;
  }
  if (sharesNodes(data)) return undefined;
  const giveUp = (): AirlockError => new AirlockError(ErrorCodes.LOCK_INVALID, 'not a plain lock');
  try {
    return validateLock(data, giveUp);
  } catch {
    return undefined;
  }
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

function validateLock(data: unknown, fail: Fail): LockFile {
  if (!data || typeof data !== 'object' || Array.isArray(data)) throw fail([], 'a lock file is a YAML map with version and images');
  const version = (data as { version?: unknown }).version;
  if (version !== LOCK_VERSION) {
    throw fail(['version'], `unsupported lock version ${JSON.stringify(version)}; this airlock reads version ${LOCK_VERSION}`);
  }
  const checked = lockSchema.safeParse(data);
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    const missing = issue.code === 'invalid_type' && /received undefined$/.test(issue.message);
    throw fail(path, missing ? `missing required field "${String(path.at(-1))}"` : issue.message);
  }
  const lock = checked.data as LockFile;
  for (const [key, image] of Object.entries(lock.images)) checkImage(key, image, fail);
  return lock;
}

/** True when some object is reachable twice (YAML aliases): such data goes the bounded path. */
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

/** Reads and validates a lock file (see parseLock). An unreadable file is LOCK_INVALID too. */
export async function readLock(file: string): Promise<LockFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new AirlockError(ErrorCodes.LOCK_INVALID, `cannot read lock file ${file}: ${why}`, { file }, { cause: err });
  }
  return parseLock(text, file);
}

/** Cross-field checks zod cannot express: references parse and agree with `tag` / `digest`. */
function checkImage(key: string, image: LockFile['images'][string], fail: Fail): void {
  const source = parseRef(image.source, ['images', key, 'source'], fail);
  if (source.digest && source.digest !== image.digest) {
    throw fail(['images', key, 'source'], `source digest ${source.digest} differs from digest ${image.digest}`);
  }
  if (image.tag && source.tag && source.tag !== image.tag) {
    throw fail(['images', key, 'source'], `source tag "${source.tag}" differs from tag "${image.tag}"`);
  }
  if (image.destination) parseRef(image.destination, ['images', key, 'destination'], fail);
}

function parseRef(text: string, path: (string | number)[], fail: Fail) {
  try {
    return parseReference(text, { defaultTag: false });
  } catch (err) {
    throw fail(path, err instanceof Error ? err.message : String(err));
  }
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
