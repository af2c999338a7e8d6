/**
 * Writes one image as a docker-archive: one write session, one tar, streamed.
 *
 * - Blobs go into a temporary file beside the target in the order the engine sends them, as
 *   skopeo names them: the config as `<hex>.json`, each layer as `<hex>.tar`. At commit come
 *   `manifest.json` and `repositories`, then the file is synced and renamed over the target;
 *   `close` without commit removes it. A target is replaced whole or not at all.
 * - Layers keep their bytes, so their digests: a registry's gzip layers stay gzip. `docker
 *   load` accepts that (moby's tarexport decompresses every layer file, gzip or zstd, and
 *   checks the result against the config's diff_ids), and so do skopeo and airlock. Nothing
 *   is decompressed here; the names are the stored bytes' digests, which airlock checks on read.
 * - Only Docker v2 schema 2 manifests are accepted (the engine converts OCI images; configs
 *   and layers keep their bytes). An archive holds one image: a multi-arch index is
 *   refused (MEDIA_TYPE_UNSUPPORTED) unless `--platform` left a single platform in it.
 * - No legacy `<id>/json` layer directories: `docker load` has not needed them since
 *   Docker 1.10 (manifest.json) and skopeo reads manifest.json only.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { AirlockError, ErrorCodes } from '../../errors.js';
import type { Descriptor } from '../../oci/descriptor.js';
import { digestAlgorithm, digestHex, isDigest, verified, type Digest } from '../../oci/digest.js';
import { parseManifest, type ImageManifest } from '../../oci/manifest.js';
import { MediaTypes } from '../../oci/mediatypes.js';
import { formatPlatform } from '../../oci/platform.js';
import { removeQuietly, storeIo, syncDir, tempName } from '../layout/fsutil.js';
import type { ContentWriter, FetchedManifest, SinkCapabilities } from '../types.js';
import { ARCHIVE_MANIFEST, ARCHIVE_REPOSITORIES, archiveManifestBytes, CONFIG_TYPES, repositoriesBytes } from './docker-archive-format.js';
import type { DescribeArchive } from './docker-archive-reader.js';
import { TarAppender } from './docker-archive-tar-writer.js';

interface Open {
  tmp: string;
  handle: fs.FileHandle;
  tar: TarAppender;
}

/** A write session producing the docker-archive `file`. */
export class DockerArchiveWriter implements ContentWriter {
  readonly capabilities: SinkCapabilities = {
    crossRepoMount: false,
    serialBlobs: true,
    manifestTypes: [MediaTypes.dockerManifest, MediaTypes.dockerManifestList],
  };
  readonly blobScope: string;
  /** Blobs in the tar: digest -> entry name and size. */
  private readonly written = new Map<Digest, { name: string; size: number }>();
  /** Manifests received (not stored in the archive; the root's names the files). */
  private readonly manifests = new Map<Digest, FetchedManifest>();
  private root: { image: ImageManifest; tags: { repository: string; tag: string }[] } | undefined;
  private opened: Promise<Open> | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private done = false;

  constructor(
    readonly file: string,
    private readonly describe: DescribeArchive,
  ) {
    this.blobScope = `docker-archive:${path.resolve(file)}`;
  }

  /** Only what this session received, by digest: the archive is written anew, never compared. */
  async headManifest(_repository: string, reference?: string): Promise<Descriptor | null> {
    const m = reference !== undefined && isDigest(reference) ? this.manifests.get(reference) : undefined;
    return m ? { mediaType: m.mediaType, digest: m.digest, size: m.bytes.length } : null;
  }

  async getManifest(repository: string, reference: string): Promise<FetchedManifest> {
    const m = isDigest(reference) ? this.manifests.get(reference) : undefined;
    if (!m) throw this.notFound(repository, reference);
    return m;
  }

  async headBlob(_repository: string, digest: Digest): Promise<number | null> {
    return this.written.get(digest)?.size ?? null;
  }

  async getBlob(_repository: string, digest: Digest): Promise<Readable> {
    throw new AirlockError(ErrorCodes.INTERNAL, `${this.describe('')}: ${digest} cannot be read back while the archive is written`);
  }

  async listTags(): Promise<string[]> {
    return [];
  }

  async listRepositories(): Promise<string[]> {
    return [];
  }

  notFound(repository: string, reference: string): AirlockError {
    return new AirlockError(ErrorCodes.IMAGE_NOT_FOUND, `${this.describe(repository, reference)}: no such image`, { file: this.file });
  }

  async mountBlob(): Promise<boolean> {
    return false;
  }

  /** Streams the blob into the tar, verified; a failed attempt is cut off again (see TarAppender). */
  async putBlob(_repository: string, desc: Descriptor, data: Readable): Promise<void> {
    if (digestAlgorithm(desc.digest) !== 'sha256') {
      data.destroy();
      throw new AirlockError(ErrorCodes.MEDIA_TYPE_UNSUPPORTED, `${this.describe('')}: ${desc.digest} is not a sha256 digest`, { digest: desc.digest });
    }
    const checked = verified(data, desc.digest, desc.size, `blob ${desc.digest}`);
    if (this.written.has(desc.digest)) {
      for await (const _ of checked);
      return;
    }
    const name = `${digestHex(desc.digest)}.${CONFIG_TYPES.includes(desc.mediaType) ? 'json' : 'tar'}`;
    await this.serial(async () => {
      const { tar } = await this.open();
      await tar.add(name, desc.size, checked);
    });
    this.written.set(desc.digest, { name, size: desc.size });
  }

  /**
   * Keeps the manifest; the root (an image, or an index `--platform` left one image in)
   * decides what manifest.json will say. RepoTags: `repository:tag` when written by tag.
   */
  async putManifest(repository: string, reference: string, bytes: Buffer, desc: Descriptor, opts: { child?: boolean } = {}): Promise<void> {
    const parsed = parseManifest(bytes, desc.mediaType);
    this.manifests.set(desc.digest, { bytes, mediaType: parsed.mediaType, digest: desc.digest });
    if (opts.child) return;
    let image: ImageManifest;
    if (parsed.kind === 'image') image = parsed;
    else {
      if (parsed.manifests.length !== 1) {
        const platforms = parsed.manifests.map((m) => (m.platform ? formatPlatform(m.platform) : m.digest));
        throw new AirlockError(
          ErrorCodes.MEDIA_TYPE_UNSUPPORTED,
          `${this.describe(repository, reference)}: a docker-archive holds one image, and this is a multi-arch index of ${parsed.manifests.length} (${platforms.join(', ')}); choose one with --platform`,
          { mediaType: parsed.mediaType, platforms },
        );
      }
      const child = this.manifests.get(parsed.manifests[0]!.digest);
      if (!child) throw new AirlockError(ErrorCodes.INTERNAL, `${this.describe('')}: the index names ${parsed.manifests[0]!.digest}, which was not written first`);
      const inner = parseManifest(child.bytes, child.mediaType);
      if (inner.kind !== 'image') throw new AirlockError(ErrorCodes.MEDIA_TYPE_UNSUPPORTED, `${this.describe('')}: nested indexes cannot go into a docker-archive`, { mediaType: inner.mediaType });
      image = inner;
    }
    this.root = { image, tags: isDigest(reference) || reference === '' ? [] : [{ repository, tag: reference }] };
  }

  /** Writes manifest.json and repositories, ends the tar, and renames it over the target. */
  async commit(): Promise<void> {
    const root = this.root;
    if (!root) throw new AirlockError(ErrorCodes.INTERNAL, `${this.describe('')}: commit before the root manifest was written`);
    const nameOf = (d: Digest, what: string) => {
      const w = this.written.get(d);
      if (!w) throw new AirlockError(ErrorCodes.INTERNAL, `${this.describe('')}: ${what} ${d} was not written`);
      return w.name;
    };
    const config = nameOf(root.image.config.digest, 'config');
    const layers = root.image.layers.map((l) => nameOf(l.digest, 'layer'));
    const repoTags = root.tags.map((t) => `${t.repository}:${t.tag}`);
    await this.serial(async () => {
      const { tar, handle, tmp } = await this.open();
      await tar.addBytes(ARCHIVE_MANIFEST, archiveManifestBytes({ config, repoTags, layers }));
      const top = root.image.layers.at(-1);
      const repositories = top ? repositoriesBytes(root.tags, digestHex(top.digest)) : undefined;
      if (repositories) await tar.addBytes(ARCHIVE_REPOSITORIES, repositories);
      await tar.finish();
      await handle.close();
      await fs.rename(tmp, this.file);
      this.done = true;
      await syncDir(path.dirname(path.resolve(this.file)));
    }).catch((err: unknown) => {
      throw storeIo(err, 'writing', this.file);
    });
  }

  /** Removes the temporary file unless committed. */
  async close(): Promise<void> {
    await this.chain;
    const opened = this.opened;
    this.opened = undefined;
    if (!opened || this.done) return;
    const o = await opened.catch(() => undefined);
    if (!o) return;
    await o.handle.close().catch(() => undefined);
    await removeQuietly(o.tmp);
  }

  /** The temporary file, created on first write (a dry run creates nothing). */
  private open(): Promise<Open> {
    this.opened ??= (async () => {
      const dir = path.dirname(path.resolve(this.file));
      const tmp = path.join(dir, tempName(`.${path.basename(this.file)}`));
      try {
        await fs.mkdir(dir, { recursive: true });
        const handle = await fs.open(tmp, 'wx');
        return { tmp, handle, tar: new TarAppender(handle, tmp) };
      } catch (err) {
        throw storeIo(err, 'creating', tmp);
      }
    })();
    return this.opened;
  }

  /** Runs `fn` after every earlier tar write: one entry at a time. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }
}
