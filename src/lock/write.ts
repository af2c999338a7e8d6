import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { AirlockError, ErrorCodes } from '../errors.js';
import { sortedKeys } from './keys.js';
import type { LockedImage, LockedPlatform, LockFile, LockOrigin } from './types.js';

/** The comment every lock file starts with. */
export const LOCK_HEADER =
  '# Written by `airlock resolve`: every image pinned by digest.\n' +
  '# Do not edit: change the image set and resolve again (`airlock resolve --check` tells when this is stale).\n';

/**
 * The lock as YAML: header comment, `version`, images sorted by key, each with its fields
 * in a fixed order and absent fields left out. The same lock always gives the same bytes,
 * so re-resolving an unchanged set leaves the file byte-identical.
 */
export function formatLock(lock: LockFile): string {
  const keys = sortedKeys(lock.images);
  const head = stringify({ version: lock.version }, YAML_OPTIONS);
  if (keys.length === 0) return `${LOCK_HEADER}${head}images: {}\n`;
  // One image at a time, indented under `images:`: the same bytes as the whole document
  // through the YAML writer, without holding a syntax tree of every image (at 20,000 images
  // that tree took two seconds and a hundred megabytes).
  const parts = [LOCK_HEADER, head, 'images:\n'];
  for (const key of keys) parts.push(indent(stringify({ [key]: orderedImage(lock.images[key]!) }, YAML_OPTIONS)));
  return parts.join('');
}

const YAML_OPTIONS = { lineWidth: 0, indent: 2, aliasDuplicateObjects: false } as const;

/** Every line of `text` two spaces deeper. */
function indent(text: string): string {
  return text.replace(/^(?=.)/gm, '  ');
}

/** Writes the lock atomically: a temp file beside it, then a rename over it. */
export async function writeLock(file: string, lock: LockFile): Promise<void> {
  await writeTextAtomic(file, formatLock(lock));
}

/** Writes `text` to `file` through a temp file and a rename, so readers never see half a file. */
export async function writeTextAtomic(file: string, text: string): Promise<void> {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, text, { flag: 'wx' });
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw new AirlockError(ErrorCodes.STORE_IO, `cannot write ${file}: ${(err as Error).message}`, { file }, { cause: err });
  }
}

function orderedImage(i: LockedImage): Record<string, unknown> {
  return pick({
    source: i.source,
    tag: i.tag,
    digest: i.digest,
    mediaType: i.mediaType,
    size: i.size,
    platforms: i.platforms?.map(orderedPlatform),
    keep_platforms: i.keep_platforms ? [...i.keep_platforms] : undefined,
    filtered_digest: i.filtered_digest,
    destination: i.destination,
    modify: i.modify
      ? pick({ steps: i.modify.steps.map((s) => ({ kind: s.kind, value: s.value })), tag_suffix: i.modify.tag_suffix, modification: i.modify.modification, result: i.modify.result })
      : undefined,
    referrers: i.referrers?.map((r) => pick({ digest: r.digest, mediaType: r.mediaType, size: r.size, artifactType: r.artifactType, tag: r.tag, predicateType: r.predicateType })),
    origin: orderedOrigin(i.origin),
  });
}

function orderedPlatform(p: LockedPlatform): Record<string, unknown> {
  return { platform: p.platform, digest: p.digest, size: p.size, mediaType: p.mediaType };
}

function orderedOrigin(o: LockOrigin): Record<string, unknown> {
  const t = o.tag_from_label;
  const im = o.imported;
  return pick({
    template: o.template,
    rules: o.rules?.map((r) => pick({ index: r.index, name: r.name })),
    tag_from_label: t
      ? pick({
          template: t.template,
          from_tag: t.from_tag,
          labels: Object.fromEntries(sortedKeys(t.labels).map((k) => [k, t.labels[k]])),
          rule: t.rule,
        })
      : undefined,
    imported: im
      ? pick({ tool: im.tool, file: im.file, line: im.line, name: im.name, expression: im.expression, parameters: im.parameters ? [...im.parameters] : undefined })
      : undefined,
  });
}

/** Drops undefined fields, keeping the order given. */
function pick(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}
