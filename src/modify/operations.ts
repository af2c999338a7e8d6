/**
 * The modifications `airlock modify` (and an image set's `modify:`) applies to an image, in
 * the order given: files appended as a new layer, paths removed by whiteouts, and changes to
 * the image config. Parsed from the command line's flag values.
 */
import { AirlockError, ErrorCodes } from '../errors.js';

/** One modification. */
export type ModifyOperation =
  /** A directory or tar (plain or gzip) becomes one new layer under `dest` (an absolute path in the image). */
  | { op: 'append'; path: string; dest: string }
  /** A path removed from the image (a whiteout in a new layer; consecutive removals share one). */
  | { op: 'remove'; path: string }
  | { op: 'label'; key: string; value: string }
  | { op: 'env'; key: string; value: string }
  | { op: 'user'; value: string }
  | { op: 'workdir'; value: string }
  | { op: 'entrypoint'; value: string[] }
  | { op: 'cmd'; value: string[] }
  /** A command run inside the image (through buildah); what it changes becomes one new layer. */
  | { op: 'run'; command: string[] }
  /** RPM packages (every `*.rpm` directly in `dir`) installed as root with the image's own package manager (through buildah), as TripleO's rpms_path. */
  | { op: 'rpms'; dir: string }
  /** A build of `dir`'s Containerfile (or Dockerfile) over the image, its last FROM replaced by it (buildah bud), as TripleO's modify_image.yml. */
  | { op: 'containerfile'; dir: string }
  /** The image's own `dnf -y update` (else yum) as root, the repo files of `dir` mounted at /etc/yum.repos.d, as TripleO's yum_update.yml. */
  | { op: 'update'; dir: string };

/** The operation kinds, as the command line's flag names. */
export type OperationKind = ModifyOperation['op'];

function invalid(message: string): AirlockError {
  return new AirlockError(ErrorCodes.MODIFY_INPUT_INVALID, message);
}

/** `K=V` split at the first `=`; MODIFY_INPUT_INVALID without one or with an empty key. */
function keyValue(flag: string, text: string): { key: string; value: string } {
  const eq = text.indexOf('=');
  if (eq <= 0) throw invalid(`--${flag} takes KEY=VALUE, got "${text}"`);
  return { key: text.slice(0, eq), value: text.slice(eq + 1) };
}

/** An image path: absolute, normalised, never climbing above `/`. */
export function imagePath(flag: string, text: string): string {
  if (!text.startsWith('/')) throw invalid(`--${flag}: "${text}" is not an absolute path in the image`);
  const parts: string[] = [];
  for (const p of text.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') throw invalid(`--${flag}: "${text}" climbs with ..`);
    parts.push(p);
  }
  return `/${parts.join('/')}`;
}

/** A command as the config holds it: a JSON array of strings, or a shell line (`/bin/sh -c LINE`, as a Dockerfile's shell form). */
function command(flag: string, text: string): string[] {
  if (!text.trimStart().startsWith('[')) return ['/bin/sh', '-c', text];
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw invalid(`--${flag}: not a JSON array of strings: ${text}`);
  }
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw invalid(`--${flag}: not a JSON array of strings: ${text}`);
  return v as string[];
}

/** Parses one flag's value into an operation; MODIFY_INPUT_INVALID for a malformed one. */
export function parseOperation(kind: OperationKind, text: string): ModifyOperation {
  switch (kind) {
    case 'append': {
      // PATH[:DEST]: the last ':' followed by an absolute path splits them.
      const m = /^(.*):(\/[^:]*)$/.exec(text);
      const path = m ? m[1]! : text;
      if (path === '') throw invalid('--append needs a file or directory');
      return { op: 'append', path, dest: imagePath('append', m ? m[2]! : '/') };
    }
    case 'remove':
      if (imagePath('remove', text) === '/') throw invalid('--remove cannot remove /');
      return { op: 'remove', path: imagePath('remove', text) };
    case 'label':
    case 'env':
      return { op: kind, ...keyValue(kind, text) };
    case 'user':
    case 'workdir':
      if (text === '') throw invalid(`--${kind} needs a value`);
      return { op: kind, value: kind === 'workdir' ? imagePath('workdir', text) : text };
    case 'entrypoint':
    case 'cmd':
      return { op: kind, value: command(kind, text) };
    case 'run':
      if (text.trim() === '') throw invalid('--run needs a command');
      return { op: 'run', command: command('run', text) };
    case 'rpms':
    case 'containerfile':
    case 'update':
      if (text === '') throw invalid(`--${kind} needs a directory`);
      return { op: kind, dir: text };
  }
}
