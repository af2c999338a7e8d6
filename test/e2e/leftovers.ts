/**
 * Independent looks at what a run left behind: raw HTTP against a registry and plain file
 * hashing of a layout. No airlock code, so a bug there cannot hide itself here.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fetch } from 'undici';
import type { CliResult } from './cli.js';
import { imageResults } from './cli.js';
import { MANIFEST_ACCEPT_HEADER as ACCEPT } from '../helpers/validate.js';


/** Status of `HEAD {url}/v2/{repo}/blobs/{digest}` (200 present, 404 absent). */
export async function headBlobStatus(url: string, repo: string, digest: string): Promise<number> {
  const res = await fetch(`${url}/v2/${repo}/blobs/${digest}`, { method: 'HEAD' });
  return res.status;
}

/** Status of `HEAD {url}/v2/{repo}/manifests/{reference}` with the usual Accept list. */
export async function headManifestStatus(url: string, repo: string, reference: string): Promise<number> {
  const res = await fetch(`${url}/v2/${repo}/manifests/${reference}`, { method: 'HEAD', headers: { accept: ACCEPT } });
  return res.status;
}

/** Every regular file under `dir`, relative to it (empty when `dir` does not exist). */
export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)));
}

/** sha256 of a file, as `sha256:<hex>`. */
export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return `sha256:${h.digest('hex')}`;
}

/** Files under a layout's `blobs/` whose content does not hash to the name they carry (`blobs/<alg>/<hex>`). */
export async function blobsNotMatchingTheirName(layoutDir: string): Promise<string[]> {
  const blobs = join(layoutDir, 'blobs');
  const bad: string[] = [];
  for (const rel of await filesUnder(blobs)) {
    const [alg, hex, ...rest] = rel.split('/');
    const named = `${alg}:${hex}`;
    if (rest.length > 0 || alg !== 'sha256' || !/^[a-f0-9]{64}$/.test(hex ?? '') || (await sha256File(join(blobs, rel))) !== named) {
      bad.push(rel);
    }
  }
  return bad;
}

/**
 * The stable error code a failed run reports: from the `--json` image results when there
 * are any, else the `[CODE]` the CLI prints on stderr.
 */
export function failureCode(r: CliResult): string | undefined {
  try {
    const failed = imageResults(r.stdout).find((x: { status?: string }) => x.status === 'failed');
    if (failed?.error?.code) return failed.error.code as string;
  } catch {
    // Not JSON output: fall back to stderr.
  }
  return /\[([A-Z][A-Z0-9_]+)\]/.exec(r.stderr)?.[1];
}

/** The digest an upload PUT commits (`...?digest=sha256:...`), if any. */
export function uploadDigest(pathAndQuery: string): string | undefined {
  const q = pathAndQuery.indexOf('?');
  if (q < 0) return undefined;
  return new URLSearchParams(pathAndQuery.slice(q + 1)).get('digest') ?? undefined;
}
