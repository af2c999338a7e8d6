import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DOCKER_HUB, DOCKER_HUB_API } from '../../ref/reference.js';
import { AirlockError, ErrorCodes } from '../../errors.js';
import { DEFAULT_RETRY_POLICY } from '../../retry/index.js';

/** Per-registry settings, keyed by `host[:port]` as it appears in image references. */
export interface RegistryHostOptions {
  /** Talk plain HTTP to this host. */
  insecure?: boolean;
  /** Accept any TLS certificate (still HTTPS). */
  skipTlsVerify?: boolean;
  /** PEM file with extra CA certificates trusted for this host (on top of the built-in ones). */
  caFile?: string;
  /** Explicit credentials; they win over every credential file. */
  username?: string;
  password?: string;
  /** Most connections kept open to this host at once (default 8). */
  maxConnections?: number;
}

/** Settings for every registry a run talks to. */
export interface RegistryOptions {
  hosts?: Record<string, RegistryHostOptions>;
  /** Hosts (`host[:port]`) reached over plain HTTP. */
  insecureHosts?: string[];
  /** Default connection limit per host when the host sets none (default 8). */
  maxConnections?: number;
  /** Retries after the first attempt for connection errors, 5xx and 429 (default 4). */
  retries?: number;
  /** Base of the exponential backoff in milliseconds (default 250). */
  retryBaseMs?: number;
  /** Longest single wait between retries, also the cap on `Retry-After` (default 30 000). */
  retryMaxDelayMs?: number;
  userAgent?: string;
  /** Docker `config.json` to read instead of `$DOCKER_CONFIG/config.json` / `~/.docker/config.json`. */
  dockerConfigPath?: string;
  /** containers `auth.json` to read instead of `$REGISTRY_AUTH_FILE` / `$XDG_RUNTIME_DIR/containers/auth.json`. */
  authFilePath?: string;
  /**
   * Directories holding `HOST[:PORT]/ca.crt`, as Docker's and containers' `certs.d` do
   * (default `$AIRLOCK_CERTS_DIRS`, colon-separated, else /etc/containers/certs.d and /etc/docker/certs.d).
   * Used for hosts given no caFile.
   */
  certsDirs?: string[];
  /** Environment used for credential lookup and credential helpers (default `process.env`). */
  env?: Record<string, string | undefined>;
  /** Aborts every request and every retry wait of the run (Ctrl-C). */
  signal?: AbortSignal;
}

/** Defaults applied when an option is absent. */
export const RegistryDefaults = {
  retries: DEFAULT_RETRY_POLICY.retries,
  retryBaseMs: DEFAULT_RETRY_POLICY.baseMs,
  retryMaxDelayMs: DEFAULT_RETRY_POLICY.maxDelayMs,
  maxConnections: 8,
  userAgent: 'airlock/0.1',
} as const;

/** How one registry host is reached. */
export interface HostEndpoint {
  /** The name used in references and credential lookup (`docker.io`, `127.0.0.1:5000`). */
  host: string;
  /** Origin requests go to, e.g. `https://registry-1.docker.io`. */
  origin: string;
  scheme: 'http' | 'https';
  skipTlsVerify: boolean;
  caFile?: string;
  maxConnections: number;
}

/** Splits `host[:port]` (with `[v6]` brackets) into host name and port. */
export function splitHostPort(hostport: string): { hostname: string; port?: string } {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(hostport);
  if (v6) return v6[2] ? { hostname: v6[1]!, port: v6[2] } : { hostname: v6[1]! };
  const i = hostport.lastIndexOf(':');
  if (i > 0 && /^\d+$/.test(hostport.slice(i + 1))) return { hostname: hostport.slice(0, i), port: hostport.slice(i + 1) };
  return { hostname: hostport };
}

/** True for `localhost`, `127.0.0.0/8` and `::1`: Docker talks plain HTTP to these by default. */
export function isLoopbackHost(hostport: string): boolean {
  const { hostname } = splitHostPort(hostport.toLowerCase());
  if (hostname === 'localhost' || hostname === '::1' || hostname === '0:0:0:0:0:0:0:1') return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/**
 * `options` with `USER:PASSWORD` credentials for `host` (they win over every credential file).
 * USAGE when `userPass` has no colon.
 */
export function withHostCredentials(options: RegistryOptions, host: string, userPass: string): RegistryOptions {
  const i = userPass.indexOf(':');
  if (i <= 0 || i === userPass.length - 1) throw new AirlockError(ErrorCodes.USAGE, `credentials for ${host} must be USER:PASSWORD`, { host });
  const key = host.toLowerCase();
  const hosts = { ...(options.hosts ?? {}) };
  hosts[key] = {
    ...hosts[key],
    username: userPass.slice(0, i),
    password: userPass.slice(i + 1),
    ...(hosts[key]?.maxConnections === undefined && options.maxConnections !== undefined ? { maxConnections: options.maxConnections } : {}),
  };
  return { ...options, hosts };
}

/** Settings given for `host` (exact `host:port` key first, then the bare host name). */
export function hostOptions(options: RegistryOptions, host: string): RegistryHostOptions {
  const hosts = options.hosts ?? {};
  return hosts[host] ?? hosts[splitHostPort(host).hostname] ?? {};
}

/**
 * Works out scheme, API origin and TLS settings for a reference registry. Plain HTTP for
 * hosts marked insecure and for loopback hosts without a TLS setting; HTTPS otherwise.
 * Docker Hub (`docker.io`) is contacted at `registry-1.docker.io`.
 */
export function resolveEndpoint(options: RegistryOptions, host: string): HostEndpoint {
  const given = hostOptions(options, host);
  const certsDirCa = given.caFile === undefined ? findCertsDirCa(options, host) : undefined;
  const h = certsDirCa ? { ...given, caFile: certsDirCa } : given;
  const listed = (options.insecureHosts ?? []).some((x) => x.toLowerCase() === host.toLowerCase());
  // A loopback host configured with a CA or skip-verify is clearly served over TLS.
  const tlsHinted = h.caFile !== undefined || h.skipTlsVerify === true;
  const insecure = h.insecure ?? (listed || (isLoopbackHost(host) && !tlsHinted));
  const scheme = insecure ? 'http' : 'https';
  const apiHost = host === DOCKER_HUB ? DOCKER_HUB_API : host;
  return {
    host,
    origin: `${scheme}://${apiHost}`,
    scheme,
    skipTlsVerify: h.skipTlsVerify ?? false,
    ...(h.caFile !== undefined ? { caFile: h.caFile } : {}),
    maxConnections: h.maxConnections ?? options.maxConnections ?? RegistryDefaults.maxConnections,
  };
}

/** Default `certs.d` directories, the ones containers' tools and Docker read. */
export const DEFAULT_CERTS_DIRS: readonly string[] = ['/etc/containers/certs.d', '/etc/docker/certs.d'];

/** The first `DIR/HOST[:PORT]/ca.crt` that exists among the certs.d directories, if any. */
export function findCertsDirCa(options: RegistryOptions, host: string): string | undefined {
  const env = options.env ?? process.env;
  const dirs = options.certsDirs ?? (env.AIRLOCK_CERTS_DIRS ? env.AIRLOCK_CERTS_DIRS.split(':').filter(Boolean) : DEFAULT_CERTS_DIRS);
  for (const dir of dirs) {
    const file = join(dir, host, 'ca.crt');
    if (existsSync(file)) return file;
  }
  return undefined;
}
