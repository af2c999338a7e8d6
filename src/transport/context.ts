import { defaultStoreDir } from './layout/store.js';
import { retryPolicy, type RetryPolicy } from '../retry/index.js';
import type { RegistryOptions } from './registry/options.js';

/** Settings of a transport context. */
export interface TransportOptions {
  /** Registry connections, TLS, credentials, retries. */
  registries?: RegistryOptions;
  /** The store directory (default `defaultStoreDir()`). */
  storeDir?: string;
  /** Aborts every request and retry wait of the run (Ctrl-C). */
  signal?: AbortSignal;
}

interface Resource {
  value: unknown;
  dispose?: (value: never) => void | Promise<void>;
}

/**
 * What opening locations shares over one run: settings, and resources each transport
 * keeps for the whole run (a registry host's connections and tokens, an opened layout and
 * its in-memory index). Create one per run and `close()` it at the end.
 */
export class TransportContext {
  readonly storeDir: string;
  readonly registryOptions: RegistryOptions;
  readonly signal: AbortSignal | undefined;
  /** The run's retry policy (from the registry options: `--retries`). */
  readonly retry: RetryPolicy;
  private readonly resources = new Map<string, Resource>();

  constructor(options: TransportOptions = {}) {
    this.storeDir = options.storeDir ?? defaultStoreDir();
    this.signal = options.signal;
    const registries = options.registries ?? {};
    this.registryOptions = options.signal && !registries.signal ? { ...registries, signal: options.signal } : registries;
    this.retry = retryPolicy({
      ...(registries.retries !== undefined ? { retries: registries.retries } : {}),
      ...(registries.retryBaseMs !== undefined ? { baseMs: registries.retryBaseMs } : {}),
      ...(registries.retryMaxDelayMs !== undefined ? { maxDelayMs: registries.retryMaxDelayMs } : {}),
    });
  }

  /**
   * The resource stored under `key`, made by `create` on first use. `dispose` runs when the
   * context closes. Transports pick keys starting with their scheme.
   */
  shared<T>(key: string, create: () => T, dispose?: (value: T) => void | Promise<void>): T {
    const found = this.resources.get(key);
    if (found) return found.value as T;
    const value = create();
    this.resources.set(key, { value, ...(dispose ? { dispose: dispose as Resource['dispose'] } : {}) });
    return value;
  }

  /** As `shared`, for an asynchronous open: a failed open is not remembered, so a later use tries again. */
  sharedOpen<T>(key: string, open: () => Promise<T>): Promise<T> {
    return this.shared(key, () =>
      open().catch((err: unknown) => {
        this.forget(key);
        throw err;
      }),
    );
  }

  /** Drops the resource under `key` without disposing of it (e.g. a failed open, so a later use tries again). */
  forget(key: string): void {
    this.resources.delete(key);
  }

  /** Releases every shared resource (closes connections). The context can be used again after. */
  async close(): Promise<void> {
    const all = [...this.resources.values()];
    this.resources.clear();
    await Promise.all(all.map(async (r) => r.dispose?.(r.value as never)));
  }
}

/** Creates a context; close it with `closeTransportContext` (or `ctx.close()`) when the run ends. */
export function createTransportContext(options: TransportOptions = {}): TransportContext {
  return new TransportContext(options);
}

/** Closes a context's shared resources. */
export function closeTransportContext(ctx: TransportContext): Promise<void> {
  return ctx.close();
}
