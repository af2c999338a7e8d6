import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashSync } from 'bcryptjs';
import { Agent, fetch } from 'undici';
import { makeCa, makeServerCert } from './openssl.js';
import { startTokenServer, type Authorizer, type TokenServer } from './token-server.js';
import { killOnExit } from './children.js';

export type RegistryAuth = 'none' | 'basic' | 'token';

export interface StartRegistryOptions {
  /** Default 'none'. */
  auth?: RegistryAuth;
  /** Serve HTTPS with a fresh CA (default false). */
  tls?: boolean;
  /** Token auth only: anonymous callers may pull. */
  anonymousPull?: boolean;
  /** Token auth only: custom grant policy. */
  authorize?: Authorizer;
  /** Token auth only: token lifetime in seconds. */
  tokenExpiresIn?: number;
  /** Start in read-only maintenance mode (pushes fail with 405). */
  readOnly?: boolean;
}

/** A running CNCF Distribution registry owned by the test. */
export interface TestRegistry {
  /** `127.0.0.1:PORT`. */
  host: string;
  /** `http://host` or `https://host`. */
  url: string;
  /** Filesystem storage root. */
  dataDir: string;
  /** Registry stdout+stderr. */
  logFile: string;
  /** PEM of the CA that signed the server certificate (TLS only). */
  caFile?: string;
  /** A directory holding the CA as `ca.crt` (the layout skopeo's --*-cert-dir expects). */
  certDir?: string;
  /** Credentials (basic and token auth). */
  username?: string;
  password?: string;
  /** The token endpoint (token auth only). */
  tokenServer?: TokenServer;
  pid: number;
  /** Kills the registry (SIGTERM, SIGKILL after 5 s) and removes its temp dirs. Idempotent. */
  stop(): Promise<void>;
}


/** A currently free loopback TCP port (another process may still take it: callers retry). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** The last `bytes` of a log file, or '' when it cannot be read. */
export async function logTail(file: string, bytes = 4000): Promise<string> {
  try {
    const text = await readFile(file, 'utf8');
    return text.slice(-bytes);
  } catch {
    return '';
  }
}

function cleanEnv(): NodeJS.ProcessEnv {
  // REGISTRY_* variables override the config file; none from the host may leak in.
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('REGISTRY_')) env[k] = v;
  return env;
}

function randomToken(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

async function waitReady(
  url: string,
  child: ChildProcess,
  caPem: string | undefined,
  logFile: string,
  timeoutMs = 20_000,
): Promise<void> {
  const dispatcher = new Agent(caPem ? { connect: { ca: caPem } } : {});
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(
          `docker-registry exited (${child.exitCode ?? child.signalCode}) before answering\n${await logTail(logFile)}`,
        );
      }
      try {
        const res = await fetch(`${url}/v2/`, { dispatcher, signal: AbortSignal.timeout(2000) });
        await res.arrayBuffer();
        if (res.status === 200 || res.status === 401) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        throw new Error(`docker-registry at ${url} not ready after ${timeoutMs} ms\n${await logTail(logFile)}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await dispatcher.close();
  }
}

async function killChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/**
 * Starts the real `docker-registry serve` (CNCF Distribution 2.8) on a free loopback port
 * with its own temp config and filesystem storage (deletes enabled), and resolves once
 * `GET /v2/` answers 200 or 401. Variants: plain HTTP, htpasswd Basic auth with random
 * credentials, TLS with a fresh CA (`caFile`), Docker token auth backed by a local token
 * server. Safe to call concurrently. Errors include the tail of the registry log.
 */
export async function startRegistry(opts: StartRegistryOptions = {}): Promise<TestRegistry> {
  const auth = opts.auth ?? 'none';
  const root = await mkdtemp(join(tmpdir(), 'airlock-registry-'));
  let tokenServer: TokenServer | undefined;
  try {
    const dataDir = join(root, 'data');
    const logFile = join(root, 'registry.log');
    await mkdir(dataDir);

    let caFile: string | undefined;
    let certDir: string | undefined;
    let tls: { certificate: string; key: string } | undefined;
    if (opts.tls) {
      const tlsDir = join(root, 'tls');
      await mkdir(tlsDir);
      const ca = await makeCa(tlsDir);
      const server = await makeServerCert(tlsDir, ca);
      caFile = ca.certFile;
      tls = { certificate: server.certFile, key: server.keyFile };
      certDir = join(root, 'certs.d');
      await mkdir(certDir);
      await writeFile(join(certDir, 'ca.crt'), await readFile(ca.certFile));
    }

    let username: string | undefined;
    let password: string | undefined;
    let authConfig: Record<string, unknown> | undefined;
    if (auth === 'basic' || auth === 'token') {
      username = `user-${randomToken(4)}`;
      password = randomToken(12);
    }
    if (auth === 'basic') {
      const htpasswd = join(root, 'htpasswd');
      // Distribution only accepts bcrypt entries; cost 5 keeps each login check fast.
      await writeFile(htpasswd, `${username}:${hashSync(password!, 5)}\n`);
      authConfig = { htpasswd: { realm: 'airlock-test', path: htpasswd } };
    } else if (auth === 'token') {
      const tokenDir = join(root, 'token');
      await mkdir(tokenDir);
      tokenServer = await startTokenServer({
        dir: tokenDir,
        users: { [username!]: password! },
        ...(opts.anonymousPull !== undefined ? { anonymousPull: opts.anonymousPull } : {}),
        ...(opts.authorize ? { authorize: opts.authorize } : {}),
        ...(opts.tokenExpiresIn !== undefined ? { expiresIn: opts.tokenExpiresIn } : {}),
      });
      authConfig = {
        token: {
          realm: tokenServer.realm,
          service: tokenServer.service,
          issuer: tokenServer.issuer,
          rootcertbundle: tokenServer.certFile,
        },
      };
    }

    const caPem = caFile ? await readFile(caFile, 'utf8') : undefined;

    // The port can be taken between probing and binding (parallel workers): retry.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const host = `127.0.0.1:${port}`;
      const url = `${opts.tls ? 'https' : 'http'}://${host}`;
      const config = {
        version: '0.1',
        log: { level: 'warn', formatter: 'text', accesslog: { disabled: true } },
        storage: {
          filesystem: { rootdirectory: dataDir },
          delete: { enabled: true },
          maintenance: {
            uploadpurging: { enabled: false },
            ...(opts.readOnly ? { readonly: { enabled: true } } : {}),
          },
        },
        http: {
          addr: host,
          secret: randomToken(16),
          headers: { 'X-Content-Type-Options': ['nosniff'] },
          ...(tls ? { tls } : {}),
        },
        ...(authConfig ? { auth: authConfig } : {}),
        health: { storagedriver: { enabled: false } },
      };
      const configFile = join(root, 'config.yml');
      // JSON is valid YAML, and needs no quoting rules.
      await writeFile(configFile, JSON.stringify(config, null, 2));
      const log = await open(logFile, 'w');
      const child = spawn('docker-registry', ['serve', configFile], {
        stdio: ['ignore', log.fd, log.fd],
        env: cleanEnv(),
      });
      await log.close();
      killOnExit(child);
      const spawnError = new Promise<never>((_, reject) => child.once('error', reject));
      try {
        await Promise.race([waitReady(url, child, caPem, logFile), spawnError]);
      } catch (err) {
        await killChild(child, 1000);
        const tail = await logTail(logFile);
        if (attempt < 5 && /address already in use/i.test(tail)) continue;
        throw err;
      }
      const pid = child.pid!;
      let stopped: Promise<void> | undefined;
      const ts = tokenServer;
      return {
        host,
        url,
        dataDir,
        logFile,
        ...(caFile ? { caFile, certDir } : {}),
        ...(username ? { username, password } : {}),
        ...(ts ? { tokenServer: ts } : {}),
        pid,
        stop() {
          stopped ??= (async () => {
            await killChild(child);
            if (ts) await ts.stop();
            await rm(root, { recursive: true, force: true });
          })();
          return stopped;
        },
      };
    }
  } catch (err) {
    if (tokenServer) await tokenServer.stop();
    await rm(root, { recursive: true, force: true });
    throw err;
  }
}
