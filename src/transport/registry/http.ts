import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { Agent, request } from './undici-core.js';
import { AirlockError, ErrorCodes } from '../../errors.js';
import { connectionError } from './errors.js';
import { RegistryDefaults, type HostEndpoint, type RegistryOptions } from './options.js';
import { retryPolicy, type RetryPolicy } from '../../retry/index.js';
import type { RequestStats } from './stats.js';

/** One HTTP request. A Buffer/absent body can be replayed (retried); a stream cannot. */
export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: URL;
  headers?: Record<string, string>;
  body?: Buffer | Readable | null;
  /** Counted as a token request in the stats. */
  token?: boolean;
}

export type HttpResponse = Dispatcher.ResponseData;

/** The first value of a response header. */
export function header(res: HttpResponse, name: string): string | undefined {
  const v = res.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** Reads at most `limit` bytes of a body as text and discards the rest. */
export async function readText(res: HttpResponse, limit = 64 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body) {
      const b = chunk as Buffer;
      chunks.push(b);
      size += b.length;
      if (size >= limit) break;
    }
  } catch {
    // A broken error body is not worth failing over; the status says enough.
  } finally {
    if (!res.body.destroyed) res.body.destroy();
  }
  return Buffer.concat(chunks).subarray(0, limit).toString('utf8');
}

/** Discards a response body so its connection goes back to the pool. */
export async function discard(res: HttpResponse): Promise<void> {
  try {
    await res.body.dump({ limit: 256 * 1024 });
  } catch {
    // Nothing to do: the socket is closed instead of reused.
  }
}

/**
 * The HTTP layer for one registry host: a keep-alive undici Agent (per-origin pools of at
 * most `maxConnections` sockets, so redirects to other hosts get their own pool), the host's
 * TLS settings, the run's abort signal and request counting. One call is one request:
 * retrying is the caller's job (see `retrying`), once per operation. Knows nothing about
 * authentication.
 */
export class HostHttp {
  private agent: Agent | undefined;
  readonly policy: RetryPolicy;
  readonly signal: AbortSignal | undefined;
  private readonly userAgent: string;

  constructor(
    readonly endpoint: HostEndpoint,
    options: RegistryOptions,
    private readonly stats: RequestStats,
    private readonly globalStats?: RequestStats,
  ) {
    this.policy = retryPolicy({
      retries: options.retries ?? RegistryDefaults.retries,
      baseMs: options.retryBaseMs ?? RegistryDefaults.retryBaseMs,
      maxDelayMs: options.retryMaxDelayMs ?? RegistryDefaults.retryMaxDelayMs,
    });
    this.signal = options.signal;
    this.userAgent = options.userAgent ?? RegistryDefaults.userAgent;
  }

  /** The undici dispatcher, created on first use (so a bad caFile surfaces as a request error). */
  dispatcher(): Agent {
    if (this.agent) return this.agent;
    const e = this.endpoint;
    let ca: string[] | undefined;
    if (e.caFile !== undefined) {
      let pem: string;
      try {
        pem = readFileSync(e.caFile, 'utf8');
      } catch (err) {
        throw new AirlockError(
          ErrorCodes.TLS_CONFIG_INVALID,
          `cannot read CA file ${e.caFile} for ${e.host}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
          { host: e.host, caFile: e.caFile },
        );
      }
      if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
        throw new AirlockError(ErrorCodes.TLS_CONFIG_INVALID, `CA file ${e.caFile} for ${e.host} holds no PEM certificate`, {
          host: e.host,
          caFile: e.caFile,
        });
      }
      // `ca` replaces the default trust store, so keep the built-in roots next to the extra CA.
      ca = [...rootCertificates, pem];
    }
    this.agent = new Agent({
      connections: e.maxConnections,
      keepAliveTimeout: 30_000,
      connect: {
        rejectUnauthorized: !e.skipTlsVerify,
        ...(ca ? { ca } : {}),
      },
    });
    return this.agent;
  }

  private count(token: boolean | undefined): void {
    for (const s of this.globalStats ? [this.stats, this.globalStats] : [this.stats]) {
      s.requests++;
      if (token) s.tokenRequests++;
    }
  }

  /** Counts one retry of an operation on this host (for the stats). */
  countRetry(): void {
    for (const s of this.globalStats ? [this.stats, this.globalStats] : [this.stats]) s.retries++;
  }

  /**
   * Sends one request and returns the response, whatever its status. When no response
   * comes, throws TLS_CONFIG_INVALID for certificate problems, else REGISTRY_UNREACHABLE
   * (`attempt` is the 0-based attempt number, for the message). An error of the request
   * body (e.g. a digest check) is thrown as it is. The run's abort signal cancels it.
   */
  async send(req: HttpRequest, attempt = 0): Promise<HttpResponse> {
    const dispatcher = this.dispatcher();
    const headers: Record<string, string> = { 'user-agent': this.userAgent, ...req.headers };
    this.count(req.token);
    try {
      return await request(req.url, {
        dispatcher,
        method: req.method,
        headers,
        body: req.body ?? null,
        ...(this.signal ? { signal: this.signal } : {}),
        // undici closes the connection after every HEAD, in case a server sends a body anyway;
        // registries answer HEAD by the spec, and a no-op mirror is mostly HEADs: keep it open.
        ...(req.method === 'HEAD' ? { reset: false } : {}),
      });
    } catch (err) {
      if (this.signal?.aborted) throw this.signal.reason;
      // A failing request body (e.g. a digest check) is the caller's error, not the network's.
      if (err instanceof AirlockError) throw err;
      throw connectionError(this.endpoint.host, req.method, req.url, err, attempt + 1);
    }
  }

  /** Closes every connection of this host. */
  async close(): Promise<void> {
    const a = this.agent;
    this.agent = undefined;
    if (a) await a.close();
  }
}
