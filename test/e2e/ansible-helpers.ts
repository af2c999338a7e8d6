/** What the Ansible round-trip tests share: a lock made from an imported set, and ansible-playbook run quietly. */
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { parseImageSet } from '../../src/imageset/load.js';
import { planImageSet } from '../../src/imageset/rules.js';
import type { PlannedImage } from '../../src/imageset/types.js';
import type { LockFile } from '../../src/lock/types.js';
import type { Digest } from '../../src/oci/digest.js';
import { formatReference } from '../../src/ref/reference.js';
import type { CliResult } from './cli.js';

/**
 * A lock of every image the set enables, pinned by its own digest when it has one, else by a
 * digest made from its reference, each mirrored to `destinationOf(image)`.
 */
export function lockOf(imagesYaml: string, destinationOf: (p: PlannedImage) => string): LockFile {
  const images: LockFile['images'] = {};
  for (const p of planImageSet(parseImageSet(imagesYaml))) {
    const { digest: pinned, ...unpinned } = p.source;
    const source = formatReference(unpinned);
    const digest = (pinned ?? `sha256:${createHash('sha256').update(source).digest('hex')}`) as Digest;
    images[p.key] = {
      source: `${source}@${digest}`,
      ...(p.source.tag ? { tag: p.source.tag } : {}),
      digest,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      size: 1000,
      destination: destinationOf(p),
      origin: { template: p.template, ...(p.imported ? { imported: p.imported } : {}) },
    };
  }
  return { version: 1, images };
}

/**
 * Runs ansible-playbook with `args` in `dir` (its ansible.cfg, a private HOME), quietly and
 * locally; resolves with its output. `env` is laid over the environment (a sandbox's PATH,
 * HOME and store).
 */
export function ansiblePlaybook(dir: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('ansible-playbook', args, {
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: join(dir, 'home'),
        ANSIBLE_CONFIG: join(dir, 'ansible.cfg'),
        ANSIBLE_LOCALHOST_WARNING: 'false',
        ANSIBLE_INVENTORY_UNPARSED_WARNING: 'false',
        ANSIBLE_NOCOLOR: '1',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** The JSON a play's `debug: msg: "{{ ... | to_json }}"` printed, or undefined when it printed none. */
export function debugJson(stdout: string): unknown {
  const line = /"msg": (".*")\n/.exec(stdout);
  return line ? JSON.parse(JSON.parse(line[1]!) as string) : undefined;
}
