/** Images resolved at once unless told otherwise. */
export const DEFAULT_RESOLVE_CONCURRENCY = 16;
