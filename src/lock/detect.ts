import { parse } from 'yaml';

/** What `airlock mirror FILE` was given. */
export type MirrorInputKind = 'lock' | 'imageset' | 'list';

/**
 * Tells a lock file, an image set and a plain list apart. Files not named `.yaml`/`.yml`
 * are lists. A YAML file whose `images` entries all carry a `digest` is a lock; any other
 * YAML file (also one that does not parse, so its loader reports where) is an image set.
 */
export function mirrorInputKind(file: string, text: string): MirrorInputKind {
  if (!/\.ya?ml$/i.test(file)) return 'list';
  let data: unknown;
  try {
    data = parse(text);
  } catch {
    return 'imageset';
  }
  return yamlInputKind(data);
}

/** `mirrorInputKind` of a YAML file's parsed data: a lock when every image carries a digest, else an image set. */
export function yamlInputKind(data: unknown): 'lock' | 'imageset' {
  const images = (data as { images?: unknown } | null)?.images;
  if (!images || typeof images !== 'object' || Array.isArray(images)) return 'imageset';
  const entries = Object.values(images);
  const pinned = (v: unknown) => typeof v === 'object' && v !== null && typeof (v as { digest?: unknown }).digest === 'string';
  return entries.length > 0 && entries.every(pinned) ? 'lock' : 'imageset';
}
