/**
 * The docker-archive format (`docker save`, `skopeo copy ... docker-archive:`), as moby's
 * image/tarexport and containers/image's docker/internal/tarfile read and write it:
 *
 * - `manifest.json`: `[{"Config":"<path>","RepoTags":["repo:tag"],"Layers":["<path>",...]}]`,
 *   one item per image, paths inside the tar. The config's `rootfs.diff_ids` name the layers
 *   uncompressed, in the same order.
 * - Where the files are: `<hex>.json` and `<diffid>.tar` (skopeo, with legacy `<id>/layer.tar`
 *   links to them), `<hex>.json` and `<id>/layer.tar` (`docker save` before Docker 25),
 *   `blobs/sha256/<hex>` beside an OCI `index.json` (Docker 25 and later).
 * - `repositories`: `{"repo":{"tag":"<top layer id>"}}`, read only by loaders of the format
 *   before `manifest.json` existed (Docker before 1.10); informational here.
 */
import { AirlockError, clip, ErrorCodes } from '../../errors.js';
import type { Digest } from '../../oci/digest.js';
import { MediaTypes } from '../../oci/mediatypes.js';

export const ARCHIVE_MANIFEST = 'manifest.json';
export const ARCHIVE_REPOSITORIES = 'repositories';

/** Layer media types of the Docker v2 schema 2 manifests synthesised for an archive's images. */
export const ArchiveLayerTypes = {
  /** An uncompressed layer tar (what `docker save` and skopeo write): its digest is its diff_id. */
  tar: 'application/vnd.docker.image.rootfs.diff.tar',
  gzip: MediaTypes.dockerLayerGzip,
  /** The name containerd and moby give zstd layers in Docker manifests. */
  zstd: 'application/vnd.docker.image.rootfs.diff.tar.zstd',
} as const;

/** Config media types: a blob of one of these is stored as `<hex>.json`, anything else as `<hex>.tar`. */
export const CONFIG_TYPES: readonly string[] = [MediaTypes.dockerConfig, MediaTypes.ociConfig];

/** One image of an archive, as manifest.json lists it. */
export interface ArchiveItem {
  config: string;
  repoTags: string[];
  layers: string[];
}

function invalid(file: string, message: string): AirlockError {
  return new AirlockError(ErrorCodes.ARCHIVE_INVALID, `${file}: ${message}`, { file });
}

/** manifest.json's items; ARCHIVE_INVALID naming what is wrong. */
export function parseArchiveManifest(bytes: Buffer, file: string): ArchiveItem[] {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw invalid(file, `${ARCHIVE_MANIFEST} is not JSON`);
  }
  if (!Array.isArray(json)) throw invalid(file, `${ARCHIVE_MANIFEST} is not a list of images`);
  return json.map((raw: unknown, i): ArchiveItem => {
    const where = `${ARCHIVE_MANIFEST}[${i}]`;
    const item = raw as { Config?: unknown; RepoTags?: unknown; Layers?: unknown } | null;
    if (typeof item !== 'object' || item === null) throw invalid(file, `${where} is not an object`);
    if (typeof item.Config !== 'string' || item.Config === '') throw invalid(file, `${where} has no Config`);
    const strings = (v: unknown, what: string): string[] => {
      if (v === undefined || v === null) return [];
      if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) throw invalid(file, `${where}.${what} is not a list of strings`);
      return v as string[];
    };
    return { config: item.Config, repoTags: strings(item.RepoTags, 'RepoTags'), layers: strings(item.Layers, 'Layers') };
  });
}

/** manifest.json for one image, as skopeo writes it (compact, no trailing newline). */
export function archiveManifestBytes(item: ArchiveItem): Buffer {
  return Buffer.from(JSON.stringify([{ Config: item.config, RepoTags: item.repoTags, Layers: item.layers }]));
}

/** The legacy `repositories` file naming `topLayer` under each `repo:tag`; undefined without tags. */
export function repositoriesBytes(tags: ReadonlyArray<{ repository: string; tag: string }>, topLayer: string): Buffer | undefined {
  if (tags.length === 0) return undefined;
  const repos: Record<string, Record<string, string>> = {};
  for (const { repository, tag } of tags) (repos[repository] ??= {})[tag] = topLayer;
  return Buffer.from(JSON.stringify(repos));
}

const HEX_NAME = /^([a-f0-9]{64})\.(?:json|tar)$/;
const BLOB_NAME = /^blobs\/sha256\/([a-f0-9]{64})$/;

/** The digest a file's name claims for its content (`<hex>.json`, `<hex>.tar`, `blobs/sha256/<hex>`), if any. */
export function digestNamed(name: string): Digest | undefined {
  const m = HEX_NAME.exec(name) ?? BLOB_NAME.exec(name);
  return m ? (`sha256:${m[1]}` as Digest) : undefined;
}

/** The compression a layer's first bytes show (gzip or zstd magic), or undefined for a plain tar. */
export function compressionOf(head: Buffer): 'gzip' | 'zstd' | undefined {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return undefined;
}

/** A quoted archive path for messages. */
export function quoted(name: string): string {
  return JSON.stringify(clip(name, 120));
}
