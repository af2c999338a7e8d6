/**
 * A quick-start TLS pair for `airlock serve --tls-self-signed DIR`: a CA and a server
 * certificate it signs (P-256, a year), made by the `openssl` command, kept in DIR and reused
 * on the next start, so nodes trust the CA once.
 */
import { execFile } from 'node:child_process';
import { access, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AirlockError, ErrorCodes } from '../errors.js';

const run = promisify(execFile);
const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** The files of a self-signed pair. */
export interface SelfSigned {
  caFile: string;
  certFile: string;
  keyFile: string;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await run('openssl', args, { cwd });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    throw new AirlockError(ErrorCodes.USAGE, e.code === 'ENOENT' ? '--tls-self-signed needs the openssl command' : `openssl ${args[0]}: ${e.stderr ?? e.message}`);
  }
}

/**
 * The CA and server certificate in `dir` for `names` (host names and IP addresses, with
 * localhost, 127.0.0.1 and ::1 always); made when absent, reused when present.
 */
export async function selfSignedPair(dir: string, names: string[]): Promise<SelfSigned> {
  const out = { caFile: join(dir, 'ca.pem'), certFile: join(dir, 'server.pem'), keyFile: join(dir, 'server.key') };
  const have = await Promise.all(Object.values(out).map((f) => access(f).then(() => true, () => false)));
  if (have.every(Boolean)) return out;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const caKey = join(dir, 'ca.key');
  await openssl(['req', '-x509', ...EC_KEY, '-keyout', caKey, '-out', out.caFile, '-days', '365', '-subj', '/CN=airlock serve CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature'], dir);
  const all = [...new Set(['localhost', '127.0.0.1', '::1', ...names])];
  const san = all.map((n) => (/^[0-9.]+$/.test(n) || n.includes(':') ? `IP:${n}` : `DNS:${n}`)).join(',');
  const ext = join(dir, 'server.ext');
  await writeFile(ext, `subjectAltName=${san}\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n`);
  const csr = join(dir, 'server.csr');
  await openssl(['req', '-new', ...EC_KEY, '-keyout', out.keyFile, '-out', csr, '-subj', '/CN=airlock serve'], dir);
  await openssl(['x509', '-req', '-in', csr, '-CA', out.caFile, '-CAkey', caKey, '-set_serial', `0x${Date.now().toString(16)}`, '-days', '365', '-sha256', '-extfile', ext, '-out', out.certFile], dir);
  return out;
}
