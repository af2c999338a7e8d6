/**
 * What each repository holds, over the one blob store all repositories share. The spec asks
 * for repositories to be separate: a blob or a manifest is found in `<name>` only when that
 * repository holds it, and a token for one repository must not read another's content
 * through its own path. A repository holds what its tagged images reach, plus what was
 * pushed or mounted into it and not yet named by a tag (a link: an empty file per digest
 * under the store's work folder, shared by every serve process over the store, as
 * Distribution keeps its repository links).
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Descriptor } from '../oci/descriptor.js';
import type { Digest } from '../oci/digest.js';
import { imageContent } from '../store/content.js';
import type { LayoutContent } from '../transport/layout/content.js';
import { entryName, type LayoutIndex } from '../transport/layout/index-file.js';
import { LAYOUT_WORK_DIR, type OciLayout } from '../transport/layout/layout.js';
import { splitName } from '../transport/layout/names.js';

/** Where the store `layout` keeps its repository links. */
export function storeLinksDir(layout: OciLayout): string {
  return path.join(layout.dir, LAYOUT_WORK_DIR, 'links');
}

/** Membership of content in repositories. */
export class Repositories {
  /** Digests each image root reaches (images are immutable: computed once). */
  private readonly reach = new Map<string, Set<Digest>>();
  /** Per repository, what its tagged images reach, for one version of index.json. */
  private byRepository?: { index: LayoutIndex; reach: Map<string, Promise<Set<Digest>>> };

  /** `linksDir`: where links are kept (the store's); absent for a bundle (tagged content only). */
  constructor(
    private readonly layout: LayoutContent,
    private readonly linksDir?: string,
  ) {}

  private dirOf(name: string): string {
    return path.join(this.linksDir!, createHash('sha256').update(name).digest('hex').slice(0, 32));
  }

  private linkOf(name: string, digest: Digest): string {
    return path.join(this.dirOf(name), digest.replace(':', '-'));
  }

  /** Records that `name` holds `digest` (pushed or mounted into it). */
  async link(name: string, digest: Digest): Promise<void> {
    if (!this.linksDir) return;
    const file = this.linkOf(name, digest);
    // The repository's folder is made only the first time (one write per link after that).
    await fs.writeFile(file, '').catch(async (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
      await fs.mkdir(path.dirname(file), { recursive: true });
      await fs.writeFile(file, '');
    });
  }

  /** Forgets that `name` holds `digest` by link (what its tags reach it still holds). */
  async unlink(name: string, digest: Digest): Promise<void> {
    if (this.linksDir) await fs.rm(this.linkOf(name, digest), { force: true });
  }

  private async linked(name: string, digest: Digest): Promise<boolean> {
    if (!this.linksDir) return false;
    return fs.access(this.linkOf(name, digest)).then(() => true, () => false);
  }

  /** True when another repository than `except` links `digest`. */
  async linkedElsewhere(digest: Digest, except: string): Promise<boolean> {
    if (!this.linksDir) return false;
    const own = path.basename(this.dirOf(except));
    for (const dir of await fs.readdir(this.linksDir).catch(() => [] as string[])) {
      if (dir === own) continue;
      if (await fs.access(path.join(this.linksDir, dir, digest.replace(':', '-'))).then(() => true, () => false)) return true;
    }
    return false;
  }

  /** Every digest `root` reaches, remembered. */
  async reachOf(root: Descriptor): Promise<Set<Digest>> {
    let r = this.reach.get(root.digest);
    if (!r) {
      r = new Set((await imageContent(this.layout, root)).blobs.keys());
      this.reach.set(root.digest, r);
    }
    return r;
  }

  /** The roots of the images named in `name`: by tag, or by digest (a referrer copied in as `name@digest`). */
  private async tagged(name: string): Promise<Descriptor[]> {
    return (await this.layout.listRefs()).filter((r) => splitName(r.name).repository === name).map((r) => r.descriptor);
  }

  /**
   * Every digest the images tagged in `name` reach, worked out once per version of the
   * index (every blob and manifest GET asks, so it must not walk the refs each time).
   */
  private repositoryReach(name: string, index: LayoutIndex): Promise<Set<Digest>> {
    if (this.byRepository?.index !== index) this.byRepository = { index, reach: new Map() };
    const cache = this.byRepository.reach;
    let reach = cache.get(name);
    if (!reach) {
      reach = (async () => {
        const out = new Set<Digest>();
        for (const root of await this.tagged(name)) for (const d of await this.reachOf(root)) out.add(d);
        return out;
      })();
      // A failed walk (a damaged manifest) is tried again next time.
      reach.catch(() => cache.delete(name));
      cache.set(name, reach);
    }
    return reach;
  }

  /** True when the images tagged in `name` reach `digest`. */
  async reached(name: string, digest: Digest): Promise<boolean> {
    return (await this.repositoryReach(name, await this.layout.readIndex())).has(digest);
  }

  /** True when `name` holds `digest`: reached by its tagged images (in memory), or linked to it (a file). */
  async holds(name: string, digest: Digest): Promise<boolean> {
    return (await this.reached(name, digest)) || (await this.linked(name, digest));
  }

  /** True when the repository exists: it has tags, or content pushed into it. */
  async exists(name: string): Promise<boolean> {
    if ((await this.layout.refs.tags(name)).length > 0) return true;
    if (!this.linksDir) return false;
    const links = await fs.readdir(this.dirOf(name)).catch(() => [] as string[]);
    return links.length > 0;
  }

  /** True when an image anywhere in the layout (named or kept unnamed) reaches `digest`. */
  async reachedAnywhere(digest: Digest): Promise<boolean> {
    for (const root of (await this.layout.readIndex()).manifests) if ((await this.reachOf(root)).has(digest)) return true;
    return false;
  }

  /** True when an index entry belongs to `name`: named in it, or unnamed and linked to it. */
  async entryIn(name: string, entry: Descriptor): Promise<boolean> {
    const n = entryName(entry);
    if (n !== undefined) return splitName(n).repository === name;
    return this.linked(name, entry.digest as Digest);
  }
}
