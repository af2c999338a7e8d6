import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixtureBlobs, type Fixture } from './fixtures.js';

/** How skopeo should reach one side of a copy (or the image being inspected). */
export interface SkopeoSide {
  /** Default true. Use false for plain-HTTP registries. */
  tlsVerify?: boolean;
  /** Directory with `*.crt` CA files. */
  certDir?: string;
  /** A CA PEM file (copied into a private cert dir). */
  caFile?: string;
  creds?: { username: string; password: string };
  /** Access the registry anonymously. */
  noCreds?: boolean;
}

/** The registry fields skopeo needs; a TestRegistry fits. */
export interface RegistryEndpoint {
  host: string;
  url: string;
  caFile?: string;
  certDir?: string;
  username?: string;
  password?: string;
}

export interface SkopeoCopyOptions {
  src?: SkopeoSide;
  dest?: SkopeoSide;
  /** Copy every image of a list/index (`--all`). */
  all?: boolean;
  /** Fail instead of converting manifests (`--preserve-digests`). Default true. */
  preserveDigests?: boolean;
  /** Destination manifest format (`--format`). */
  format?: 'oci' | 'v2s2';
  /** Extra raw arguments before the two references. */
  extraArgs?: string[];
  timeoutMs?: number;
}

export interface SkopeoResult {
  stdout: string;
  stderr: string;
}

/** A skopeo run that exited non-zero. */
export class SkopeoError extends Error {
  constructor(
    message: string,
    readonly exitCode: number | null,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'SkopeoError';
  }
}

/** skopeo side options for reaching `registry` (plain HTTP, TLS with its CA, its credentials). */
export function sideFor(registry: RegistryEndpoint, withCreds = true): SkopeoSide {
  const https = registry.url.startsWith('https:');
  return {
    tlsVerify: https,
    ...(registry.certDir ? { certDir: registry.certDir } : registry.caFile ? { caFile: registry.caFile } : {}),
    ...(withCreds && registry.username && registry.password
      ? { creds: { username: registry.username, password: registry.password } }
      : {}),
  };
}

/** `docker://HOST/REPO:TAG` (or `@digest`) for a registry. */
export function dockerRef(registry: { host: string }, repoRef: string): string {
  return `docker://${registry.host}/${repoRef}`;
}

/** A private HOME for one skopeo (or airlock) run, and skopeo's flags pointing into it. */
export interface Sandbox {
  dir: string;
  env: NodeJS.ProcessEnv;
  /** skopeo's global flags: policy, registries.d, tmpdir inside the sandbox. */
  globalArgs: string[];
  authfile: string;
  remove(): Promise<void>;
}

/**
 * skopeo reads the user's registries.conf, policy.json, auth files and docker config; a
 * private HOME/XDG tree and explicit flags keep the host's files out of tests and benchmarks.
 */
export async function makeSandbox(prefix = 'airlock-skopeo-'): Promise<Sandbox> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const policy = join(dir, 'policy.json');
  const registriesConf = join(dir, 'registries.conf');
  const registriesD = join(dir, 'registries.d');
  const authfile = join(dir, 'auth.json');
  const tmp = join(dir, 'tmp');
  await Promise.all([mkdir(registriesD), mkdir(tmp), mkdir(join(dir, 'run')), mkdir(join(dir, 'config'))]);
  await writeFile(policy, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
  await writeFile(registriesConf, 'unqualified-search-registries = []\n');
  await writeFile(authfile, '{"auths":{}}');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: dir,
    XDG_RUNTIME_DIR: join(dir, 'run'),
    XDG_CONFIG_HOME: join(dir, 'config'),
    DOCKER_CONFIG: join(dir, 'docker'),
    REGISTRY_AUTH_FILE: authfile,
    CONTAINERS_REGISTRIES_CONF: registriesConf,
    CONTAINERS_CONF: join(dir, 'containers.conf'),
    TMPDIR: tmp,
  };
  return {
    dir,
    env,
    authfile,
    globalArgs: ['--policy', policy, '--registries.d', registriesD, '--tmpdir', tmp],
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

async function sideArgs(sb: Sandbox, side: SkopeoSide | undefined, prefix: string): Promise<string[]> {
  const s = side ?? {};
  const args = [`--${prefix}tls-verify=${s.tlsVerify ?? true}`];
  let certDir = s.certDir;
  if (!certDir && s.caFile) {
    certDir = join(sb.dir, `certs-${prefix || 'x'}`);
    await mkdir(certDir, { recursive: true });
    await copyFile(s.caFile, join(certDir, 'ca.crt'));
  }
  if (certDir) args.push(`--${prefix}cert-dir`, certDir);
  if (s.creds) args.push(`--${prefix}creds`, `${s.creds.username}:${s.creds.password}`);
  if (s.noCreds) args.push(`--${prefix}no-creds`);
  return args;
}

function run(args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<SkopeoResult> {
  return new Promise((resolve, reject) => {
    execFile('skopeo', args, { env, timeout: timeoutMs, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) {
        const code = typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : null;
        reject(new SkopeoError(`skopeo ${args.join(' ')} failed: ${stderr || err.message}`, code, stdout, stderr));
      } else {
        resolve({ stdout, stderr });
      }
    });
  });
}

async function withSandbox<T>(fn: (sb: Sandbox) => Promise<T>): Promise<T> {
  const sb = await makeSandbox();
  try {
    return await fn(sb);
  } finally {
    await sb.remove();
  }
}

/**
 * Runs `skopeo copy SRC DST` in a sandbox that reads nothing from the host user
 * (temp HOME, policy.json accepting anything, empty registries.conf and authfile).
 * Throws SkopeoError (with stderr) on failure.
 */
export async function skopeoCopy(src: string, dst: string, opts: SkopeoCopyOptions = {}): Promise<SkopeoResult> {
  return withSandbox(async (sb) => {
    const args = [
      ...sb.globalArgs,
      'copy',
      '--authfile', sb.authfile,
      ...(await sideArgs(sb, opts.src, 'src-')),
      ...(await sideArgs(sb, opts.dest, 'dest-')),
      ...(opts.all ? ['--all'] : []),
      ...(opts.preserveDigests ?? true ? ['--preserve-digests'] : []),
      ...(opts.format ? ['--format', opts.format] : []),
      ...(opts.extraArgs ?? []),
      src,
      dst,
    ];
    return run(args, sb.env, opts.timeoutMs ?? 120_000);
  });
}

/** The exact manifest bytes `skopeo inspect --raw` prints for `ref`. */
export async function skopeoManifestBytes(ref: string, side: SkopeoSide = {}, timeoutMs = 60_000): Promise<Buffer> {
  return withSandbox(async (sb) => {
    const args = [...sb.globalArgs, 'inspect', '--raw', '--authfile', sb.authfile, ...(await sideArgs(sb, side, '')), ref];
    const { stdout } = await run(args, sb.env, timeoutMs);
    return Buffer.from(stdout, 'utf8');
  });
}

/**
 * `skopeo inspect` parsed as JSON. `raw` gives the manifest itself, `config` the image
 * config (both together: the raw config blob).
 */
export async function skopeoInspect(
  ref: string,
  opts: SkopeoSide & { raw?: boolean; config?: boolean; timeoutMs?: number } = {},
): Promise<any> {
  return withSandbox(async (sb) => {
    const args = [
      ...sb.globalArgs,
      'inspect',
      '--authfile', sb.authfile,
      ...(opts.raw ? ['--raw'] : []),
      ...(opts.config ? ['--config'] : []),
      ...(await sideArgs(sb, opts, '')),
      ref,
    ];
    const { stdout } = await run(args, sb.env, opts.timeoutMs ?? 60_000);
    return JSON.parse(stdout) as unknown;
  });
}

/**
 * Pushes image `name` of the OCI layout at `layoutDir` to `registry` as `repoRef`
 * (`repo:tag`) with every platform and digests preserved. Returns the pushed manifest digest.
 */
export async function pushLayoutWithSkopeo(
  layoutDir: string,
  name: string,
  registry: RegistryEndpoint,
  repoRef: string,
  opts: Omit<SkopeoCopyOptions, 'dest'> = {},
): Promise<string> {
  const digestDir = await mkdtemp(join(tmpdir(), 'airlock-skopeo-digest-'));
  try {
    return await pushReportingDigest(`oci:${layoutDir}:${name}`, registry, repoRef, opts, digestDir);
  } finally {
    await rm(digestDir, { recursive: true, force: true });
  }
}

/** `skopeo copy --all SRC` to `registry` as `repoRef`; returns the digest skopeo wrote into `workDir`. */
async function pushReportingDigest(
  src: string,
  registry: RegistryEndpoint,
  repoRef: string,
  opts: Omit<SkopeoCopyOptions, 'dest'>,
  workDir: string,
): Promise<string> {
  const digestFile = join(workDir, 'digest');
  await skopeoCopy(src, dockerRef(registry, repoRef), {
    all: true,
    ...opts,
    dest: sideFor(registry),
    extraArgs: [...(opts.extraArgs ?? []), '--digestfile', digestFile],
  });
  return (await readFile(digestFile, 'utf8')).trim();
}

/**
 * Writes `fixture` as a skopeo `dir:` image (manifest.json, `<hex>.manifest.json` for
 * index children, `<hex>` blobs). Unlike an OCI layout this carries Docker media types,
 * which skopeo's `oci:` transport skips. In-memory blobs are verified before writing;
 * on-disk layers are symlinked.
 */
export async function writeSkopeoDir(dir: string, fixture: Fixture): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'version'), 'Directory Transport Version: 1.1\n');
  const manifestDigests = new Set(
    fixture.kind === 'index' ? fixture.images.map((i) => i.manifestDesc.digest as string) : [],
  );
  for (const blob of fixtureBlobs(fixture)) {
    const hex = blob.desc.digest.slice(blob.desc.digest.indexOf(':') + 1);
    const name =
      blob.desc.digest === fixture.manifestDesc.digest
        ? 'manifest.json'
        : manifestDigests.has(blob.desc.digest)
          ? `${hex}.manifest.json`
          : hex;
    if (blob.bytes) {
      const actual = `sha256:${createHash('sha256').update(blob.bytes).digest('hex')}`;
      if (actual !== blob.desc.digest || blob.bytes.length !== blob.desc.size) {
        throw new Error(`fixture blob ${blob.desc.digest} does not match its bytes`);
      }
      await writeFile(join(dir, name), blob.bytes);
    } else if (blob.path) {
      await symlink(blob.path, join(dir, name));
    }
  }
}

/**
 * Pushes a generated fixture (any format, single or multi-arch) to `registry` as
 * `repoRef` through skopeo's `dir:` transport, digests preserved. Returns the digest.
 */
export async function pushFixtureWithSkopeo(
  fixture: Fixture,
  registry: RegistryEndpoint,
  repoRef: string,
  opts: Omit<SkopeoCopyOptions, 'dest'> = {},
): Promise<string> {
  const work = await mkdtemp(join(tmpdir(), 'airlock-skopeo-dir-'));
  try {
    const image = join(work, 'image');
    await writeSkopeoDir(image, fixture);
    return await pushReportingDigest(`dir:${image}`, registry, repoRef, opts, work);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
