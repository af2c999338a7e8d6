/**
 * Steps run in one working container through buildah (Debian's `buildah`, as root,
 * `--storage-driver vfs`, `--isolation chroot`, its storage in a temporary folder of its
 * own): `--run` commands, `--rpms` installs and `--update`. The image goes in as an OCI
 * layout and comes out as one, so no registry and no daemon are involved; only the layer the
 * steps made is taken from it (see buildah-cli.ts), and the image's config keeps every field
 * it had (buildah's own labels and history, which name temporary paths, are left out).
 * `--timestamp 0` makes the layer's times fixed, so steps that write the same files give
 * the same digest.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { AirlockError, ErrorCodes } from '../errors.js';
import { buildah, committedLayers, createdOf, diffIdsOf, spliceLayers, withWorkDir, writeLayout, type RunInput } from './buildah-cli.js';
import type { MadeContent } from './image.js';
import type { ModifyOperation } from './operations.js';
import { updateContainer } from './update.js';

export type { RunInput } from './buildah-cli.js';

/** A step run in the working container: a command, RPM packages installed, or the image's packages updated. */
export type RunStep = Extract<ModifyOperation, { op: 'run' | 'rpms' | 'update' }>;

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

/** How a step reads in the history: the flag and what it names (a directory by its name only). */
function describe(step: RunStep): string {
  return step.op === 'run' ? `--run ${JSON.stringify(step.command)}` : `--${step.op} ${path.basename(step.dir)}`;
}

/**
 * Runs `steps` in the image, in order, in one working container, and returns the modified
 * image's manifest and config: the same layers plus the one the steps made (gzipped,
 * recorded in `made`), the same config with that layer's diff ID and a history entry.
 * BUILD_FAILED when a step fails (its output's last lines in the message) or buildah is
 * missing; MODIFY_INPUT_INVALID for a step's missing input; nothing is written.
 */
export async function runSteps(input: RunInput, steps: readonly RunStep[], made: MadeContent, signal?: AbortSignal): Promise<{ manifest: Buffer; config: Buffer }> {
  return withWorkDir(async (dir) => {
    const base = await writeLayout(path.join(dir, 'in'), input);
    const ctr = (await buildah(dir, ['from', '--pull-never', '--quiet', '--isolation', 'chroot', base], signal)).trim().split('\n').at(-1)!;
    for (const step of steps) {
      if (step.op === 'run') {
        await buildah(dir, ['run', '--isolation', 'chroot', ctr, '--', ...step.command], signal);
      } else if (step.op === 'rpms') {
        await buildah(dir, ['copy', '--quiet', ctr, ...(await rpmFiles(step.dir)), `${RPMS_IN_IMAGE}/`], signal);
        await buildah(dir, ['run', '--isolation', 'chroot', '--user', '0:0', ctr, '--', '/bin/sh', '-c', RPM_INSTALL], signal);
      } else {
        await updateContainer(dir, ctr, step.dir, signal);
      }
    }
    await buildah(dir, ['commit', '--quiet', '--format', 'oci', '--timestamp', '0', ctr, `oci:${path.join(dir, 'out')}:result`], signal);
    const { tars } = await committedLayers(path.join(dir, 'out'), diffIdsOf(input.config));
    const created = createdOf(input.config);
    const by = `airlock modify ${steps.map(describe).join(' ')}`;
    return spliceLayers(input, tars, tars.map(() => ({ created, created_by: by, comment: 'airlock modify' })), made);
  });
}
