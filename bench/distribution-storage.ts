/**
 * Writes CNCF Distribution's filesystem storage layout directly, before the registry starts,
 * so tens of thousands of images can be seeded in seconds and without any registry client
 * (neither airlock, which is under test, nor the HTTP API, which would take minutes):
 *
 *   <root>/docker/registry/v2/blobs/sha256/<2 hex>/<hex>/data
 *   <root>/docker/registry/v2/repositories/<repo>/_layers/sha256/<hex>/link
 *   <root>/docker/registry/v2/repositories/<repo>/_manifests/revisions/sha256/<hex>/link
 *   <root>/docker/registry/v2/repositories/<repo>/_manifests/tags/<tag>/current/link
 *   <root>/docker/registry/v2/repositories/<repo>/_manifests/tags/<tag>/index/sha256/<hex>/link
 *
 * Each link file holds `sha256:<hex>` with no newline. Synchronous calls on purpose: for
 * many tiny files they are faster than promises and keep the writer trivially ordered.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export class DistributionStorage {
  private readonly v2: string;
  private readonly blobs = new Set<string>();
  private readonly dirs = new Set<string>();
  /** Files written so far (blobs and links). */
  files = 0;

  constructor(rootDirectory: string) {
    this.v2 = join(rootDirectory, 'docker', 'registry', 'v2');
  }

  private write(dir: string, name: string, data: string | Buffer): void {
    if (!this.dirs.has(dir)) {
      mkdirSync(dir, { recursive: true });
      this.dirs.add(dir);
    }
    writeFileSync(join(dir, name), data);
    this.files++;
  }

  private link(dir: string, digest: string): void {
    this.write(dir, 'link', digest);
  }

  /** Stores `bytes` as a blob (once per digest) and returns its digest. */
  putBlob(bytes: Buffer): string {
    const hex = createHash('sha256').update(bytes).digest('hex');
    if (!this.blobs.has(hex)) {
      this.write(join(this.v2, 'blobs', 'sha256', hex.slice(0, 2), hex), 'data', bytes);
      this.blobs.add(hex);
    }
    return `sha256:${hex}`;
  }

  /** Makes a stored blob (layer or config) readable from `repo`, as a push or mount would. */
  linkBlob(repo: string, digest: string): void {
    this.link(join(this.v2, 'repositories', repo, '_layers', 'sha256', hexOf(digest)), digest);
  }

  /**
   * Stores a manifest in `repo` under `tag`. Its config and layers must be linked in `repo`
   * (linkBlob), as Distribution itself requires on a push.
   */
  putManifest(repo: string, tag: string, bytes: Buffer): string {
    const digest = this.putBlob(bytes);
    const hex = hexOf(digest);
    const manifests = join(this.v2, 'repositories', repo, '_manifests');
    this.link(join(manifests, 'revisions', 'sha256', hex), digest);
    this.link(join(manifests, 'tags', tag, 'current'), digest);
    this.link(join(manifests, 'tags', tag, 'index', 'sha256', hex), digest);
    return digest;
  }
}

function hexOf(digest: string): string {
  if (!/^sha256:[0-9a-f]{64}$/.test(digest)) throw new Error(`not a sha256 digest: ${digest}`);
  return digest.slice('sha256:'.length);
}
