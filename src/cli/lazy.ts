/**
 * A commander action that loads its implementation when the command runs, so each command
 * loads only the modules it needs (`--help` and `--version` load none of them).
 */
export function lazyAction<A extends unknown[]>(load: () => Promise<{ run: (...args: A) => Promise<void> }>): (...args: A) => Promise<void> {
  return async (...args: A) => (await load()).run(...args);
}
