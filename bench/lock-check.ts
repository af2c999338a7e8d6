/**
 * Checks a lock file written by `airlock resolve` against what the benchmark seeded: a run
 * that wrote a lock with a wrong, missing or extra image did not do the job, however fast.
 * Reads the lock with airlock's public readLock (the format's own validation), then compares
 * every entry with the seeded values.
 */

/** What one key of the lock must say. */
export interface ExpectedLockImage {
  key: string;
  digest: string;
  /** The tag that must be pinned (e.g. the versioned tag of tag_from_label). */
  tag?: string;
  /** `host/repo:tag` the image must be mirrored to. */
  destination?: string;
}

/** Problems with `file` (empty when every expected image is locked exactly as seeded). */
export async function lockProblems(file: string, expected: ExpectedLockImage[]): Promise<string[]> {
  let images;
  try {
    // Imported when needed: the library may be mid-change, and a lock that cannot be read
    // then fails the run that wrote it rather than the whole benchmark.
    const { readLock } = await import('../src/index.js');
    images = (await readLock(file)).images;
  } catch (err) {
    return [`lock unreadable: ${(err as Error).message}`];
  }
  const problems: string[] = [];
  const keys = new Set<string>();
  for (const e of expected) {
    keys.add(e.key);
    const got = images[e.key];
    if (!got) {
      problems.push(`${e.key}: missing from the lock`);
      continue;
    }
    if (got.digest !== e.digest) problems.push(`${e.key}: locked ${got.digest}, seeded ${e.digest}`);
    if (e.tag !== undefined && got.tag !== e.tag) problems.push(`${e.key}: locked tag ${got.tag ?? '(none)'}, expected ${e.tag}`);
    if (e.destination !== undefined && got.destination !== e.destination) {
      problems.push(`${e.key}: destination ${got.destination ?? '(none)'}, expected ${e.destination}`);
    }
  }
  for (const key of Object.keys(images)) if (!keys.has(key)) problems.push(`${key}: in the lock but not in the image set`);
  return problems;
}
