/**
 * `--run` steps: commands run inside the image, through buildah (Debian's `buildah`, as
 * root, `--storage-driver vfs`, `--isolation chroot`, its storage in a temporary folder of
 * its own). The image goes in as an OCI layout and comes out as one, so no registry and no
 * daemon are involved; only the layer the commands made is taken from it, gzipped the same
 * way airlock's own layers are, and the image's config keeps every field it had (buildah's
 * own labels and history, which name temporary paths, are left out). `--timestamp 0` makes
 * the layer's times fixed, so a command that writes the same files gives the same digest.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { AirlockError, ErrorCodes } from '../errors.js';
import type { Descriptor } from '../oci/descriptor.js';
import { digestOf, type Digest } from '../oci/digest.js';
import { MediaTypes } from '../oci/mediatypes.js';
import type { MadeContent } from './image.js';
import type { ModifyOperation } from './operations.js';

/** The image a run step starts from: its manifest and config bytes, and a reader for its layers. */
export interface RunInput {
  manifest: Buffer;
  config: Buffer;
  /** A layer's verified bytes (made earlier, or the base's). */
  blob: (desc: Descriptor) => Promise<Buffer>;
}

/** A step buildah runs: a command, or RPM packages installed. */
export type RunStep = Extract<ModifyOperation, { op: 'run' | 'rpms' }>;

/** Where packages are copied in the image while they are installed (removed afterwards). */
const RPMS_IN_IMAGE = '/tmp/airlock-rpms';

/**
 * Installs what is in RPMS_IN_IMAGE with the image's own package manager, as root, then
 * removes the packages: dnf, else yum, else rpm (-U, or -i where that is all it has, as
 * busybox's applet).
 */
const RPM_INSTALL = [
  'set -e',
  `cd ${RPMS_IN_IMAGE}`,
  'if command -v dnf >/dev/null 2>&1; then dnf -y install ./*.rpm; dnf clean all',
  'elif command -v yum >/dev/null 2>&1; then yum -y localinstall ./*.rpm; yum clean all',
  'else rpm -Uvh ./*.rpm 2>/dev/null || for p in ./*.rpm; do rpm -i "$p"; done; fi',
  `cd / && rm -rf ${RPMS_IN_IMAGE}`,
].join('\n');

/** The `*.rpm` files directly in `dir`, sorted; MODIFY_INPUT_INVALID when there are none or it cannot be read. */
export async function rpmFiles(dir: string): Promise<string[]> {
  const names = await fs.readdir(dir).catch((err: NodeJS.ErrnoException) => {
    throw new AirlockError(ErrorCodes.MODIFY_INPUT_INVALID, `--rpms ${dir}: ${err.code === 'ENOENT' ? 'no such directory' : err.message}`);
  });
  const rpms = names.filter((n) => n.endsWith('.rpm')).sort();
  if (rpms.length === 0) throw new AirlockError(ErrorCodes.MODIFY_INPUT_INVALID, `--rpms ${dir}: no .rpm file in it`);
  return rpms.map((n) => path.join(dir, n));
}

/** How long buildah may take for one call (a package install can be slow). */
const BUILDAH_TIMEOUT_MS = 30 * 60 * 1000;

function buildahFailed(message: string): AirlockError {
  return new AirlockError(ErrorCodes.BUILD_FAILED, message);
}

/** Runs buildah with `args` under its own storage in `dir`; its stdout. BUILD_FAILED when it is missing or fails. */
function buildah(dir: string, args: string[], signal?: AbortSignal): Promise<string> {
  const all = ['--root', path.join(dir, 'root'), '--runroot', path.join(dir, 'run'), '--storage-driver', 'vfs', ...args];
  return new Promise((resolve, reject) => {
    // buildah pulls nothing (the image comes as a layout): registry credentials are none of its business.
    const env = { ...process.env };
    delete env.REGISTRY_AUTH_FILE;
    delete env.DOCKER_CONFIG;
    execFile('buildah', all, { env, maxBuffer: 64 * 1024 * 1024, timeout: BUILDAH_TIMEOUT_MS, ...(signal ? { signal } : {}) }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return reject(buildahFailed('--run needs buildah (Debian: apt-get install buildah), which is not on PATH'));
      reject(buildahFailed(`buildah ${args[0]} failed: ${(stderr || err.message).trim().split('\n').slice(-5).join('\n')}`));
    });
  });
}

type Json = Record<string, unknown>;

/** Writes the image as an OCI layout named `base` in `dir`. */
async function writeLayout(dir: string, input: RunInput): Promise<void> {
  const blobs = path.join(dir, 'blobs', 'sha256');
  await fs.mkdir(blobs, { recursive: true });
  const put = (bytes: Buffer) => fs.writeFile(path.join(blobs, digestOf(bytes).slice('sha256:'.length)), bytes);
  const m = JSON.parse(input.manifest.toString('utf8')) as { mediaType?: string; layers: Descriptor[] };
  for (const layer of m.layers) await put(await input.blob(layer));
  await put(input.config);
  await put(input.manifest);
  await fs.writeFile(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const entry = { mediaType: m.mediaType ?? MediaTypes.ociManifest, digest: digestOf(input.manifest), size: input.manifest.length, annotations: { 'org.opencontainers.image.ref.name': 'base' } };
  await fs.writeFile(path.join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [entry] }));
}

/** The layers' uncompressed tars buildah committed beyond the first `keep`, checked against the input's diff IDs. */
async function committedLayers(dir: string, before: string[]): Promise<Buffer[]> {
  const blob = (d: string) => fs.readFile(path.join(dir, 'blobs', 'sha256', d.slice('sha256:'.length)));
  const index = JSON.parse(await fs.readFile(path.join(dir, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
  const m = JSON.parse((await blob(index.manifests[0]!.digest)).toString('utf8')) as { config: Descriptor; layers: Descriptor[] };
  const cfg = JSON.parse((await blob(m.config.digest)).toString('utf8')) as { rootfs: { diff_ids: string[] } };
  const ids = cfg.rootfs.diff_ids;
  if (before.some((d, i) => ids[i] !== d)) throw buildahFailed('buildah changed the layers it started from; nothing was written');
  const out: Buffer[] = [];
  for (const [i, desc] of m.layers.entries()) {
    if (i < before.length) continue;
    const tar = await blob(desc.digest);
    // buildah commits uncompressed layers (--disable-compression is its default): the tar is the diff.
    if (digestOf(tar) !== ids[i]) throw buildahFailed(`buildah's layer ${desc.digest} is not the tar its config names`);
    out.push(tar);
  }
  return out;
}

/**
 * Runs `commands` in the image, in order, and returns the modified image's manifest and
 * config: the same layers plus the one the commands made (gzipped, recorded in `made`), the
 * same config with that layer's diff ID and a history entry. BUILD_FAILED when a command
 * fails (its output's last lines in the message) or buildah is missing; nothing is written.
 */
export async function runSteps(input: RunInput, steps: readonly RunStep[], made: MadeContent, signal?: AbortSignal): Promise<{ manifest: Buffer; config: Buffer }> {
  // Lower case only: buildah names the image after the layout's path, and names are lower case.
  const dir = path.join(tmpdir(), `airlock-run-${randomBytes(8).toString('hex')}`);
  await fs.mkdir(dir, { recursive: true });
  try {
    await writeLayout(path.join(dir, 'in'), input);
    const ctr = (await buildah(dir, ['from', '--pull-never', '--quiet', '--isolation', 'chroot', `oci:${path.join(dir, 'in')}:base`], signal)).trim().split('\n').at(-1)!;
    for (const step of steps) {
      if (step.op === 'run') {
        await buildah(dir, ['run', '--isolation', 'chroot', ctr, '--', ...step.command], signal);
        continue;
      }
      await buildah(dir, ['copy', '--quiet', ctr, ...(await rpmFiles(step.dir)), `${RPMS_IN_IMAGE}/`], signal);
      await buildah(dir, ['run', '--isolation', 'chroot', '--user', '0:0', ctr, '--', '/bin/sh', '-c', RPM_INSTALL], signal);
    }
    await buildah(dir, ['commit', '--quiet', '--format', 'oci', '--timestamp', '0', ctr, `oci:${path.join(dir, 'out')}:result`], signal);
    const cfg = JSON.parse(input.config.toString('utf8')) as Json;
    const rootfs = (cfg.rootfs as { type?: string; diff_ids?: string[] } | undefined) ?? {};
    const before = rootfs.diff_ids ?? [];
    const tars = await committedLayers(path.join(dir, 'out'), before);
    const m = JSON.parse(input.manifest.toString('utf8')) as Json & { mediaType?: string; config: Descriptor; layers: Descriptor[] };
    const layerType = m.mediaType === MediaTypes.dockerManifest ? MediaTypes.dockerLayerGzip : MediaTypes.ociLayerGzip;
    const created = typeof cfg.created === 'string' ? cfg.created : '1970-01-01T00:00:00Z';
    const layers = tars.map((tar) => {
      const gz = gzipSync(tar, { level: 6 });
      const digest = digestOf(gz);
      made.set(digest, { bytes: gz, mediaType: layerType });
      return { mediaType: layerType, digest, size: gz.length };
    });
    cfg.rootfs = { ...rootfs, type: rootfs.type ?? 'layers', diff_ids: [...before, ...tars.map((t) => digestOf(t))] };
    if (tars.length > 0) {
      const by = `airlock modify ${steps.map((s) => (s.op === 'run' ? `--run ${JSON.stringify(s.command)}` : `--rpms ${path.basename(s.dir)}`)).join(' ')}`;
      cfg.history = [...((cfg.history as unknown[] | undefined) ?? []), ...tars.map(() => ({ created, created_by: by, comment: 'airlock modify' }))];
    }
    const config = Buffer.from(JSON.stringify(cfg));
    const configDigest: Digest = digestOf(config);
    made.set(configDigest, { bytes: config, mediaType: m.config.mediaType });
    m.config = { ...m.config, digest: configDigest, size: config.length };
    m.layers = [...m.layers, ...layers];
    return { manifest: Buffer.from(JSON.stringify(m)), config };
  } finally {
    await fs.rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}
