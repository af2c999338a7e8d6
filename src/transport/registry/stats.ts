/** HTTP request counts, for benchmarks and for tests that check caching. */
export interface RequestStats {
  /** Every HTTP request sent, token requests and retries included. */
  requests: number;
  /** Requests to token endpoints. */
  tokenRequests: number;
  /** Requests sent again after a connection error, 5xx or 429. */
  retries: number;
}

/** A zeroed counter. */
export function emptyStats(): RequestStats {
  return { requests: 0, tokenRequests: 0, retries: 0 };
}

/** `a` plus `b`. */
export function addStats(a: RequestStats, b: RequestStats): RequestStats {
  return { requests: a.requests + b.requests, tokenRequests: a.tokenRequests + b.tokenRequests, retries: a.retries + b.retries };
}
