/**
 * Image keys are `[a-z0-9_]+` and start with a letter or `_`, because renderers turn them
 * into Ansible variables (`<key>_image_repo`) and Heat parameter names.
 */

/**
 * Normalises any name to a key: lower-case, every run of other characters becomes one `_`,
 * no `_` at either end; a key that would start with a digit gets an `image_` prefix, and an
 * empty one becomes `image`.
 */
export function normaliseKey(name: string): string {
  const key = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (key === '') return 'image';
  return /^[0-9]/.test(key) ? `image_${key}` : key;
}

/**
 * Hands out unique keys in call order: the first `nginx` is `nginx`, the next ones
 * `nginx_2`, `nginx_3`, ... (skipping any suffix already taken).
 */
export class KeyAllocator {
  private readonly taken = new Set<string>();

  /** A unique key derived from `name` (normalised first). */
  allocate(name: string): string {
    const base = normaliseKey(name);
    let key = base;
    for (let n = 2; this.taken.has(key); n++) key = `${base}_${n}`;
    this.taken.add(key);
    return key;
  }
}
