/**
 * Store lookups at scale: NOT MEASURED YET. This is the placeholder the store's owner fills in
 * (the store's internals are being redesigned); the scale benchmark calls it once per size
 * and shows its result in the table, or "-" while it returns null.
 *
 * `workDir` holds, for that size: `images.yaml` (the image set), `images.txt` (one
 * `HOST/scale/rNNN:tNNNN` reference per line) and `lock.yaml` (every image pinned by digest),
 * all naming the size's seeded registry, which is still running when this is called (its
 * `HOST` is in `images.txt`). Anything written under `workDir` is kept with the logs.
 */

/** What one size's store lookups cost (wall seconds for all of them, and how many there were). */
export interface StoreLookups {
  wallS: number;
  lookups: number;
}

/** Returns null (and says so) until store lookups are measured. */
export async function storeLookups(size: number, workDir: string): Promise<StoreLookups | null> {
  void workDir;
  process.stderr.write(`store lookups: not measured yet (${size} images)\n`);
  return null;
}
