import type { AirlockError } from '../errors.js';
import { isDigest, type Digest } from '../oci/digest.js';
import { parseReference } from '../ref/reference.js';
// The small build of zod: reading a lock is on the path of every `mirror LOCK`, which
// should not pay for loading zod's full API.
import * as z from 'zod/mini';
import '../zod-messages.js';
import { LOCK_VERSION, type LockFile } from './types.js';

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
  imported: z.optional(
    z.object({
      tool: text(),
      file: text(),
      line: z.optional(count()),
      name: z.optional(text()),
      expression: z.optional(text()),
      parameters: z.optional(z.array(text())),
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
  modify: z.optional(
    z.object({
      steps: z.array(z.object({ kind: z.enum(['append', 'remove', 'label', 'env', 'user', 'workdir', 'entrypoint', 'cmd', 'run', 'rpms', 'containerfile', 'update']), value: text() })),
      tag_suffix: z.optional(z.string()),
      modification: digest,
      result: digest,
    }),
  ),
  referrers: z.optional(
    z.array(
      z.object({
        digest,
        mediaType: text(),
        size: count(),
        artifactType: z.optional(text()),
        tag: z.optional(text()),
        predicateType: z.optional(text()),
      }),
    ),
  ),
  origin: originSchema,
});

const lockSchema = z.object({
  version: z.literal(LOCK_VERSION),
  images: z.record(text(), imageSchema),
});

/** Builds the error for a problem at `path` (with its line, when the caller knows lines). */
export type Fail = (path: (string | number)[], what: string) => AirlockError;

/** Validates parsed lock data: the schema, then what it cannot express. Errors come from `fail`. */
export function validateLock(data: unknown, fail: Fail): LockFile {
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

