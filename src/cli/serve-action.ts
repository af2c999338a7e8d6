import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { AirlockError, ErrorCodes } from '../errors.js';
import { basicAccess, htpasswdUsers, type AccessPolicy } from '../serve/access.js';
import { createRegistryServer } from '../serve/registry-server.js';
import { parseNamespace, type ServedNamespace } from '../serve/names.js';
import { storeLinksDir } from '../serve/repositories.js';
import { selfSignedPair } from '../serve/self-signed.js';
import { TokenAuthority } from '../serve/token.js';
import { Uploads } from '../serve/uploads.js';
import { ArchiveLayout } from '../transport/archive/archive-layout.js';
import type { LayoutContent } from '../transport/layout/content.js';
import { interruptSignal } from './interrupt.js';
import { OciLayout } from '../transport/layout/layout.js';
import { defaultStoreDir } from '../transport/layout/store.js';

/** How long requests in flight may take to finish after Ctrl-C or SIGTERM (within the one second a command has to stop). */
const DRAIN_MS = 800;

/** Flags of `airlock serve`. */
export interface ServeFlags {
  store?: string;
  bundle?: string;
  listen: string;
  accessLog?: boolean;
  readOnly?: boolean;
  /** commander's --no-delete. */
  delete?: boolean;
  htpasswd?: string;
  pushUser: string[];
  anonymousPull?: boolean;
  tokenAuth?: boolean;
  tokenSecret?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsSelfSigned?: string;
  tlsName: string[];
  registryName: string[];
}

/** The TLS pair to serve with, if any, and the CA clients should trust for a self-signed one. */
async function tlsOf(flags: ServeFlags): Promise<{ tls?: { cert: Buffer; key: Buffer }; ca?: string }> {
  if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined)) throw new AirlockError(ErrorCodes.USAGE, '--tls-cert and --tls-key go together');
  if (flags.tlsCert && flags.tlsSelfSigned) throw new AirlockError(ErrorCodes.USAGE, 'give --tls-cert/--tls-key or --tls-self-signed, not both');
  const read = (f: string) => readFile(f).catch((err: unknown) => {
    throw new AirlockError(ErrorCodes.USAGE, `cannot read ${f}: ${(err as Error).message}`);
  });
  if (flags.tlsCert) return { tls: { cert: await read(flags.tlsCert), key: await read(flags.tlsKey!) } };
  if (!flags.tlsSelfSigned) return {};
  const pair = await selfSignedPair(flags.tlsSelfSigned, flags.tlsName);
  return { tls: { cert: await read(pair.certFile), key: await read(pair.keyFile) }, ca: pair.caFile };
}

/** Who may do what: nobody checked, HTTP Basic against --htpasswd, or Docker's token flow on top of it. */
async function accessOf(flags: ServeFlags): Promise<{ access?: AccessPolicy; tokens?: TokenAuthority }> {
  if (!flags.htpasswd) {
    if (flags.pushUser.length > 0 || flags.anonymousPull || flags.tokenAuth || flags.tokenSecret) {
      throw new AirlockError(ErrorCodes.USAGE, '--push-user, --anonymous-pull, --token-auth and --token-secret go with --htpasswd');
    }
    return {};
  }
  if (flags.tokenSecret && !flags.tokenAuth) throw new AirlockError(ErrorCodes.USAGE, '--token-secret goes with --token-auth');
  const users = await htpasswdUsers(flags.htpasswd, { pushUsers: flags.pushUser, anonymousPull: Boolean(flags.anonymousPull) });
  if (!flags.tokenAuth) return { access: basicAccess(users) };
  const tokens = await TokenAuthority.create(users, flags.tokenSecret);
  return { access: tokens.policy(), tokens };
}

/** `ADDR:PORT` (`[::1]:5000` for IPv6) -> host and port; USAGE when malformed. */
function listenAddress(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new AirlockError(ErrorCodes.USAGE, `--listen takes ADDR:PORT (127.0.0.1:5000, [::1]:5000), got "${text}"`);
  return { host: m[1] ?? m[2]!, port };
}

/** `airlock serve`: serves until interrupted. */
export async function run(flags: ServeFlags): Promise<void> {
  if (flags.store && flags.bundle) throw new AirlockError(ErrorCodes.USAGE, 'give --store or --bundle, not both');
  const { host, port } = listenAddress(flags.listen);
  // A registry starts empty: the store is made when missing.
  const store = flags.bundle ? undefined : await OciLayout.open(flags.store ?? defaultStoreDir(), { create: true });
  const layout: LayoutContent = store ?? (await ArchiveLayout.open(flags.bundle!));
  // A bundle is read only; the store takes pushes unless --read-only.
  const writable = store && !flags.readOnly ? store : undefined;
  const { access, tokens } = await accessOf(flags);
  const namespaces = flags.registryName.map((text): ServedNamespace => {
    const ns = parseNamespace(text);
    if (!ns) throw new AirlockError(ErrorCodes.USAGE, `--registry-name takes HOST[:PORT][/PREFIX] (registry.local:5000, registry.local:5000/mirror), got "${text}"`);
    return ns;
  });
  const { tls, ca } = await tlsOf(flags);
  const server = createRegistryServer({
    layout,
    ...(tls ? { tls } : {}),
    ...(access ? { access } : {}),
    ...(tokens ? { tokens } : {}),
    namespaces,
    title: flags.bundle ? `bundle ${flags.bundle}` : `store ${layout.dir}`,
    ...(store ? { linksDir: storeLinksDir(store) } : {}),
    ...(writable ? { push: { layout: writable, uploads: new Uploads(writable) }, deletes: flags.delete !== false } : {}),
    ...(flags.accessLog ? { onRequest: (e) => void process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...e })}\n`) } : {}),
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new AirlockError(ErrorCodes.USAGE, `cannot listen on ${flags.listen}: ${err.code === 'EADDRINUSE' ? 'the address is in use' : err.message}`)),
    );
    server.listen(port, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const shown = addr.family === 'IPv6' ? `[${addr.address}]:${addr.port}` : `${addr.address}:${addr.port}`;
  process.stderr.write(`serving ${flags.bundle ? `bundle ${flags.bundle}` : `store ${layout.dir}`} (${writable ? 'pull and push' : 'read-only'}) on ${tls ? 'https' : 'http'}://${shown}\n`);
  if (ca) {
    process.stderr.write(
      `clients trust the CA ${ca}; for containerd, /etc/containerd/certs.d/<registry>/hosts.toml:\n` +
        `  server = "https://${shown}"\n  [host."https://${shown}"]\n    capabilities = ["pull", "resolve"]\n    ca = "${ca}"\n`,
    );
  }
  const signal = interruptSignal();
  await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  // No new connections; requests in flight may finish within the drain time, then the rest is cut.
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // Keep-alive connections go as soon as their request is answered.
  const idle = setInterval(() => server.closeIdleConnections(), 20);
  server.closeIdleConnections();
  const drained = await Promise.race([closed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), DRAIN_MS).unref())]);
  clearInterval(idle);
  server.closeAllConnections();
  process.stderr.write(drained ? 'stopped\n' : 'stopped (requests still in flight were cut)\n');
}
