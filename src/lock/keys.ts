/** Key order of lock files: plain code-unit order, the same on every machine and locale. */
export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The keys of `record` in lock order. */
export function sortedKeys(record: Record<string, unknown>): string[] {
  return Object.keys(record).sort(compareKeys);
}
