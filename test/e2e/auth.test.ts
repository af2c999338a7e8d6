/**
 * End to end: the `airlock` CLI against registries that want credentials (Basic, Bearer
 * token) or TLS with a private CA, credentials given on the command line, in Docker's
 * config.json, or by a real credential helper on PATH.
 */
import { chmod, copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeImage } from '../helpers/fixtures.js';
import { makeCa } from '../helpers/openssl.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { dockerRef, pushFixtureWithSkopeo, sideFor, skopeoManifestBytes } from '../helpers/skopeo.js';
import { validateRegistryImage, ValidationError } from '../helpers/validate.js';
import { imageResults, makeCliSandbox, show, type CliResult, type CliSandbox } from './cli.js';
import { catalog, manifestStatus } from './registry-probe.js';

const image = makeImage({ seed: 'e2e-auth', format: 'docker', layers: [3000, 1000] });
const DIGEST = image.manifestDesc.digest;

let A: TestRegistry; // plain, anonymous: the source
let basic: TestRegistry;
let token: TestRegistry;
let tls: TestRegistry;
const sandboxes: CliSandbox[] = [];

/** A fresh sandbox per test, so credentials written for one cannot help another. */
async function sandbox(): Promise<CliSandbox> {
  const sb = await makeCliSandbox();
  sandboxes.push(sb);
  return sb;
}

const SRC = () => `docker://${A.host}/auth/src:t`;

function creds(reg: TestRegistry): { username: string; password: string } {
  return { username: reg.username!, password: reg.password! };
}

/** The error code of the (single) failed image of a `--json` run. */
function failureCode(r: CliResult): string {
  const [result] = imageResults(r.stdout);
  expect(result?.status, show(r)).toBe('failed');
  return result.error.code as string;
}

beforeAll(async () => {
  [A, basic, token, tls] = await Promise.all([
    startRegistry(),
    startRegistry({ auth: 'basic' }),
    startRegistry({ auth: 'token' }),
    startRegistry({ tls: true }),
  ]);
  expect(await pushFixtureWithSkopeo(image, A, 'auth/src:t')).toBe(DIGEST);
});

afterEach(async () => {
  await Promise.all(sandboxes.splice(0).map((s) => s.remove()));
});

afterAll(async () => {
  await Promise.all([A?.stop(), basic?.stop(), token?.stop(), tls?.stop()]);
});

describe('a Basic-auth destination', () => {
  it('accepts --dest-creds USER:PASSWORD', async () => {
    const sb = await sandbox();
    const { username, password } = creds(basic);
    const r = await sb.run(['copy', '--json', '--dest-creds', `${username}:${password}`, SRC(), `docker://${basic.host}/auth/dest-creds:t`]);
    expect(r.code, show(r)).toBe(0);
    await validateRegistryImage({ url: basic.url, ...creds(basic), repository: 'auth/dest-creds', reference: 't', expectDigest: DIGEST, checkDiffIds: true });
    const raw = await skopeoManifestBytes(dockerRef(basic, 'auth/dest-creds:t'), sideFor(basic));
    expect(raw.equals(image.manifest)).toBe(true);
  });

  it('accepts --creds HOST=USER:PASSWORD (mirror)', async () => {
    const sb = await sandbox();
    const { username, password } = creds(basic);
    const list = join(sb.dir, 'list.txt');
    await writeFile(list, `${A.host}/auth/src:t\n`);
    const r = await sb.run(['mirror', list, '--to', `${basic.host}/m`, '--creds', `${basic.host}=${username}:${password}`]);
    expect(r.code, show(r)).toBe(0);
    await validateRegistryImage({ url: basic.url, ...creds(basic), repository: 'm/auth/src', reference: 't', expectDigest: DIGEST, checkDiffIds: true });
  });

  it('refuses a wrong password with exit 4 and REGISTRY_UNAUTHORIZED, writing nothing', async () => {
    const sb = await sandbox();
    const r = await sb.run(['copy', '--json', '--dest-creds', `${basic.username}:wrong`, SRC(), `docker://${basic.host}/auth/wrong:t`]);
    expect(r.code, show(r)).toBe(4);
    // Basic auth has no token endpoint: the registry's own 401 to the credentialed request.
    expect(failureCode(r)).toBe('REGISTRY_UNAUTHORIZED');
    expect(await manifestStatus(basic, 'auth/wrong', 't', creds(basic))).toBe(404);
    expect(await catalog(basic, creds(basic))).not.toContain('auth/wrong');
  });

  it('refuses a push without credentials with exit 4', async () => {
    const sb = await sandbox();
    const r = await sb.run(['copy', '--json', SRC(), `docker://${basic.host}/auth/anonymous:t`]);
    expect(r.code, show(r)).toBe(4);
    expect(failureCode(r)).toBe('REGISTRY_UNAUTHORIZED');
    expect(await manifestStatus(basic, 'auth/anonymous', 't', creds(basic))).toBe(404);
  });
});

describe('a token-auth destination', () => {
  it('uses credentials from DOCKER_CONFIG/config.json auths', async () => {
    const sb = await sandbox();
    const auth = Buffer.from(`${token.username}:${token.password}`).toString('base64');
    await writeFile(join(sb.dockerConfig, 'config.json'), JSON.stringify({ auths: { [token.host]: { auth } } }));
    const before = token.tokenServer!.tokenRequests;
    const r = await sb.run(['copy', '--json', SRC(), `docker://${token.host}/auth/config-json:t`]);
    expect(r.code, show(r)).toBe(0);
    expect(token.tokenServer!.tokenRequests).toBeGreaterThan(before);
    await validateRegistryImage({ url: token.url, ...creds(token), repository: 'auth/config-json', reference: 't', expectDigest: DIGEST, checkDiffIds: true });
  });

  it('runs a docker-credential-NAME helper named in credHelpers', async () => {
    const sb = await sandbox();
    const log = join(sb.dir, 'helper.log');
    const helper = join(sb.bin, 'docker-credential-xyz');
    // A real helper: reads the server on stdin, answers {Username, Secret} for our registry only.
    await writeFile(
      helper,
      [
        '#!/bin/sh',
        'read -r server',
        `printf '%s %s\\n' "$1" "$server" >> '${log}'`,
        '[ "$1" = get ] || exit 1',
        'case "$server" in',
        `  ${token.host}|http://${token.host}|https://${token.host}) ;;`,
        '  *) echo "credentials not found in native keychain"; exit 1 ;;',
        'esac',
        `printf '{"ServerURL":"%s","Username":"%s","Secret":"%s"}\\n' "$server" '${token.username}' '${token.password}'`,
        '',
      ].join('\n'),
    );
    await chmod(helper, 0o755);
    await writeFile(join(sb.dockerConfig, 'config.json'), JSON.stringify({ credHelpers: { [token.host]: 'xyz' } }));
    const r = await sb.run(['copy', '--json', SRC(), `docker://${token.host}/auth/cred-helper:t`]);
    expect(r.code, show(r)).toBe(0);
    expect((await readFile(log, 'utf8')).trim().split('\n')[0]).toMatch(new RegExp(`^get (https?://)?${token.host.replace(/\./g, '\\.')}$`));
    await validateRegistryImage({ url: token.url, ...creds(token), repository: 'auth/cred-helper', reference: 't', expectDigest: DIGEST, checkDiffIds: true });
  });

  it('refuses wrong config.json credentials with exit 4 and AUTH_FAILED, writing nothing', async () => {
    const sb = await sandbox();
    const auth = Buffer.from(`${token.username}:wrong`).toString('base64');
    await writeFile(join(sb.dockerConfig, 'config.json'), JSON.stringify({ auths: { [token.host]: { auth } } }));
    const r = await sb.run(['copy', '--json', SRC(), `docker://${token.host}/auth/token-wrong:t`]);
    expect(r.code, show(r)).toBe(4);
    // The token endpoint rejects the credentials (401): AUTH_FAILED, not the registry's own 401.
    expect(failureCode(r)).toBe('AUTH_FAILED');
    await expect(
      validateRegistryImage({ url: token.url, ...creds(token), repository: 'auth/token-wrong', reference: 't' }),
    ).rejects.toBeInstanceOf(ValidationError);
  });
});

describe('a TLS registry with a private CA', () => {
  it('works with --registry-ca HOST=ca.pem', async () => {
    const sb = await sandbox();
    const r = await sb.run(['copy', '--json', '--registry-ca', `${tls.host}=${tls.caFile}`, SRC(), `docker://${tls.host}/auth/tls:t`]);
    expect(r.code, show(r)).toBe(0);
    await validateRegistryImage({ url: tls.url, caFile: tls.caFile!, repository: 'auth/tls', reference: 't', expectDigest: DIGEST, checkDiffIds: true });
    // And back out of it, reading over TLS.
    const back = await sb.run(['copy', '--json', '--registry-ca', `${tls.host}=${tls.caFile}`, `docker://${tls.host}/auth/tls:t`, `docker://${A.host}/auth/from-tls:t`]);
    expect(back.code, show(back)).toBe(0);
    await validateRegistryImage({ url: A.url, repository: 'auth/from-tls', reference: 't', expectDigest: DIGEST });
  });

  it('fails with TLS_CONFIG_INVALID when the CA given did not sign the certificate, writing nothing', async () => {
    const sb = await sandbox();
    const other = await makeCa(sb.dir, 'other-ca');
    const r = await sb.run(['copy', '--json', '--registry-ca', `${tls.host}=${other.certFile}`, SRC(), `docker://${tls.host}/auth/tls-wrong-ca:t`]);
    expect(failureCode(r)).toBe('TLS_CONFIG_INVALID');
    expect(r.code).toBe(2); // the CLI counts a wrong or missing CA as invalid input
    expect(await manifestStatus(tls, 'auth/tls-wrong-ca', 't')).toBe(404);
  });

  it('finds the CA in a certs.d directory (HOST:PORT/ca.crt), as Docker and podman do', async () => {
    const sb = await sandbox();
    const certsDir = join(sb.dir, 'certs.d');
    await mkdir(join(certsDir, tls.host), { recursive: true });
    await copyFile(tls.caFile!, join(certsDir, tls.host, 'ca.crt'));
    const r = await sb.run(['copy', '--json', SRC(), `docker://${tls.host}/auth/tls-certsd:t`], { env: { AIRLOCK_CERTS_DIRS: certsDir } });
    expect(r.code, show(r)).toBe(0);
    await validateRegistryImage({ url: tls.url, caFile: tls.caFile!, repository: 'auth/tls-certsd', reference: 't', expectDigest: DIGEST });
  });

  it('fails without --registry-ca, writing nothing', async () => {
    const sb = await sandbox();
    const r = await sb.run(['copy', '--json', SRC(), `docker://${tls.host}/auth/tls-no-ca:t`]);
    // Loopback hosts are plain HTTP unless a CA is given; the TLS-only registry answers the
    // plain request with Go's bare 400, which airlock names as a TLS setup problem (exit 2).
    expect(r.code, show(r)).toBe(2);
    expect(failureCode(r)).toBe('TLS_CONFIG_INVALID');
    expect(r.stderr + r.stdout).toContain('--registry-ca');
    expect(await manifestStatus(tls, 'auth/tls-no-ca', 't')).toBe(404);
  });
});
