import { createRequire } from 'node:module';
import type { Agent as UndiciAgent, Dispatcher } from 'undici';

/**
 * The two parts of undici the client uses — the keep-alive Agent and `request` — loaded
 * from undici's own modules rather than its index. The index also loads fetch, WebSocket,
 * caches and more, about 0.1 s of every CLI start; a no-op mirror is otherwise little more
 * than that start. Falls back to the index should a future undici move these files.
 */
const require = createRequire(import.meta.url);

type RequestFn = (this: Dispatcher, opts: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>;

function load(): { Agent: typeof UndiciAgent; apiRequest: RequestFn } {
  try {
    return {
      Agent: require('undici/lib/dispatcher/agent.js') as typeof UndiciAgent,
      apiRequest: require('undici/lib/api/api-request.js') as RequestFn,
    };
  } catch {
    const undici = require('undici') as typeof import('undici');
    return {
      Agent: undici.Agent,
      apiRequest(this: Dispatcher, opts: Dispatcher.RequestOptions) {
        return this.request(opts);
      },
    };
  }
}

const core = load();

/** undici's keep-alive connection pool per origin. */
export const Agent = core.Agent;
export type Agent = UndiciAgent;

/** Options of one request through an Agent. */
export interface CoreRequestOptions {
  dispatcher: Dispatcher;
  method: Dispatcher.HttpMethod;
  headers: Record<string, string>;
  body: Dispatcher.DispatchOptions['body'];
}

/** Sends one request to `url` through `opts.dispatcher`, as undici's `request(url, opts)` does. */
export function request(url: URL, opts: CoreRequestOptions): Promise<Dispatcher.ResponseData> {
  return core.apiRequest.call(opts.dispatcher, {
    origin: url.origin,
    path: `${url.pathname}${url.search}`,
    method: opts.method,
    headers: opts.headers,
    body: opts.body,
  });
}
