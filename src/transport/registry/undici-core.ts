import type { Dispatcher } from 'undici';
import AgentClass from 'undici/lib/dispatcher/agent.js';
import apiRequest from 'undici/lib/api/api-request.js';

/**
 * The two parts of undici the client uses — the keep-alive Agent and `request` — imported
 * from undici's own modules rather than its index. The index also loads fetch, WebSocket,
 * caches and more: about 0.1 s of every CLI start, and a no-op mirror is little more than
 * its start. package.json pins undici's major version, whose file layout this relies on.
 */

/** undici's keep-alive connection pool per origin. */
export const Agent = AgentClass;
export type Agent = InstanceType<typeof AgentClass>;

/** Options of one request through an Agent. */
export interface CoreRequestOptions {
  dispatcher: Dispatcher;
  method: Dispatcher.HttpMethod;
  headers: Record<string, string>;
  body: Dispatcher.DispatchOptions['body'];
  /** Aborts the request (and its response body) when it fires. */
  signal?: AbortSignal;
  /** false: keep the connection for the next request even after a HEAD (undici closes it by default). */
  reset?: boolean;
}

/** Sends one request to `url` through `opts.dispatcher`, as undici's `request(url, opts)` does. */
export function request(url: URL, opts: CoreRequestOptions): Promise<Dispatcher.ResponseData> {
  return apiRequest.call(opts.dispatcher, {
    origin: url.origin,
    path: `${url.pathname}${url.search}`,
    method: opts.method,
    headers: opts.headers,
    body: opts.body,
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.reset !== undefined ? { reset: opts.reset } : {}),
  });
}
