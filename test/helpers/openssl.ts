import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A PEM certificate and its PEM (PKCS#8) private key on disk. */
export interface CertFiles {
  certFile: string;
  keyFile: string;
}

// P-256 keys: generated in milliseconds, unlike RSA, and accepted by Go's TLS and JWT code.
const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await run('openssl', args, { cwd });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`openssl ${args[0]} failed: ${e.stderr ?? e.message}`);
  }
}

/** A self-signed P-256 certificate (`<name>.pem`, `<name>.key`) in `dir`, valid for two days. */
async function selfSigned(dir: string, name: string, keyUsage: string): Promise<CertFiles> {
  const certFile = join(dir, `${name}.pem`);
  const keyFile = join(dir, `${name}.key`);
  await openssl(
    [
      'req', '-x509', ...EC_KEY, '-keyout', keyFile, '-out', certFile, '-days', '2',
      '-subj', `/CN=airlock test ${name}`,
      '-addext', 'basicConstraints=critical,CA:TRUE',
      '-addext', `keyUsage=critical,${keyUsage}`,
    ],
    dir,
  );
  return { certFile, keyFile };
}

/** Creates a self-signed CA (`<name>.pem`, `<name>.key`) in `dir`, valid for two days. */
export function makeCa(dir: string, name = 'ca'): Promise<CertFiles> {
  return selfSigned(dir, name, 'keyCertSign,cRLSign,digitalSignature');
}

/**
 * Creates a server certificate signed by `ca` for IP 127.0.0.1, IP ::1 and DNS localhost.
 */
export async function makeServerCert(dir: string, ca: CertFiles, name = 'server'): Promise<CertFiles> {
  const certFile = join(dir, `${name}.pem`);
  const keyFile = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  await writeFile(
    ext,
    [
      'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost',
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      '',
    ].join('\n'),
  );
  await openssl(['req', '-new', ...EC_KEY, '-keyout', keyFile, '-out', csr, '-subj', '/CN=localhost'], dir);
  await openssl(
    [
      'x509', '-req', '-in', csr, '-CA', ca.certFile, '-CAkey', ca.keyFile,
      '-set_serial', `0x${Date.now().toString(16)}${Math.floor(Math.random() * 1e6).toString(16)}`,
      '-days', '2', '-sha256', '-extfile', ext, '-out', certFile,
    ],
    dir,
  );
  return { certFile, keyFile };
}

/** Creates a client certificate signed by `ca` with common name `cn` (a Kubernetes user, as kubeadm's admin.conf holds one). */
export async function makeClientCert(dir: string, ca: CertFiles, cn: string, name = 'client'): Promise<CertFiles> {
  const certFile = join(dir, `${name}.pem`);
  const keyFile = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  await writeFile(ext, ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=clientAuth', ''].join('\n'));
  await openssl(['req', '-new', ...EC_KEY, '-keyout', keyFile, '-out', csr, '-subj', `/O=system:masters/CN=${cn}`], dir);
  await openssl(['x509', '-req', '-in', csr, '-CA', ca.certFile, '-CAkey', ca.keyFile, '-set_serial', `0x${Date.now().toString(16)}1`, '-days', '2', '-sha256', '-extfile', ext, '-out', certFile], dir);
  return { certFile, keyFile };
}

/**
 * Creates a self-signed P-256 certificate for signing JWTs (it is its own trust root,
 * so a registry's `rootcertbundle` can name it directly).
 */
export function makeSigningCert(dir: string, name = 'token-signer'): Promise<CertFiles> {
  return selfSigned(dir, name, 'digitalSignature,keyCertSign');
}

/** The base64 (not base64url) DER bodies of the certificates in a PEM text, as JWS `x5c` wants them. */
export function pemToX5c(pem: string): string[] {
  const out: string[] = [];
  const re = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;
  for (let m = re.exec(pem); m; m = re.exec(pem)) out.push((m[1] ?? '').replace(/\s+/g, ''));
  return out;
}
