import { CredentialStore } from './credentials/store.js';
import { RegistryClient } from './client.js';
import type { RegistryOptions } from './options.js';
import { emptyStats, type RequestStats } from './stats.js';

/** Request counts for the whole pool and per host. */
export interface PoolStats extends RequestStats {
  hosts: Record<string, RequestStats>;
}

/**
 * One RegistryClient per registry host for a whole run, so every image shares connections,
 * credentials and tokens. Create one per run; `close()` it at the end.
 */
export class RegistryPool {
  private readonly clients = new Map<string, RegistryClient>();
  private readonly credentials: CredentialStore;
  private readonly total = emptyStats();

  constructor(readonly options: RegistryOptions = {}) {
    this.credentials = new CredentialStore(options);
  }

  /** The shared client for `host` (as in references: `docker.io`, `127.0.0.1:5000`). */
  client(host: string): RegistryClient {
    const key = host.toLowerCase();
    let c = this.clients.get(key);
    if (!c) {
      c = new RegistryClient(key, this.options, { credentials: this.credentials, globalStats: this.total });
      this.clients.set(key, c);
    }
    return c;
  }

  /** Request counts so far: totals and per host. */
  stats(): PoolStats {
    const hosts: Record<string, RequestStats> = {};
    for (const [h, c] of this.clients) hosts[h] = c.stats();
    return { ...this.total, hosts };
  }

  /** Closes every connection; the pool can still hand out clients afterwards (they reconnect). */
  async close(): Promise<void> {
    await Promise.all([...this.clients.values()].map((c) => c.close()));
  }
}

/**
 * The blob scope of every registry Source and Sink on `host`: equal scopes are what lets the
 * copy engine mount a blob from one repository into another instead of copying it.
 */
export function registryBlobScope(host: string): string {
  return `registry:${host}`;
}
