/**
 * A TCP proxy on loopback that counts the bytes crossing it, in each direction: what a client
 * really sends to a registry and gets back (HTTP headers and bodies, TLS-free), whatever the
 * client reports about itself. It forwards bytes untouched, so the registry sees the proxy's
 * address as its Host and every Location it returns points back through the proxy.
 */
import { createServer, connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/** Bytes counted so far. */
export interface ByteCounts {
  /** Client → registry (requests, uploads). */
  up: number;
  /** Registry → client (responses, downloads). */
  down: number;
  /** TCP connections opened through the proxy. */
  connections: number;
}

export interface ByteProxy {
  /** `127.0.0.1:PORT`, to use in place of the registry's host. */
  host: string;
  /** The counts so far; subtract two snapshots to get a run's. */
  snapshot(): ByteCounts;
  stop(): Promise<void>;
}

/** `b - a`, field by field. */
export function bytesBetween(a: ByteCounts, b: ByteCounts): ByteCounts {
  return { up: b.up - a.up, down: b.down - a.down, connections: b.connections - a.connections };
}

/** Starts a counting proxy in front of `upstream` (`HOST:PORT`). */
export async function startByteProxy(upstream: string): Promise<ByteProxy> {
  const colon = upstream.lastIndexOf(':');
  const upHost = upstream.slice(0, colon);
  const upPort = Number(upstream.slice(colon + 1));
  const counts: ByteCounts = { up: 0, down: 0, connections: 0 };
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    counts.connections++;
    const registry = connect({ host: upHost, port: upPort });
    // Small requests (HEADs, manifests) must not wait for Nagle: the proxy should add no delay of its own.
    client.setNoDelay(true);
    registry.setNoDelay(true);
    for (const s of [client, registry]) {
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
    }
    client.on('data', (chunk: Buffer) => {
      counts.up += chunk.length;
    });
    registry.on('data', (chunk: Buffer) => {
      counts.down += chunk.length;
    });
    client.pipe(registry);
    registry.pipe(client);
    const cut = (): void => {
      client.destroy();
      registry.destroy();
    };
    client.on('error', cut);
    registry.on('error', cut);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let stopped: Promise<void> | undefined;
  return {
    host: `127.0.0.1:${port}`,
    snapshot: () => ({ ...counts }),
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      });
      return stopped;
    },
  };
}
