/**
 * The referrers of a layout: the manifests whose `subject` is a given digest (signatures,
 * SBOMs), as the referrers API lists them. A manifest with a subject is kept as an index
 * entry of the layout (unnamed when pushed into serve, named `repo@digest` when copied), so
 * prune keeps it and this finds it; what each entry's manifest says is read once and
 * remembered, manifests being immutable.
 */
import type { Descriptor } from '../../oci/descriptor.js';
import type { Digest } from '../../oci/digest.js';
import type { LayoutContent } from './content.js';

/** What the referrers answer needs of one manifest. */
interface Facts {
  subject?: string;
  artifactType?: string;
  annotations?: Record<string, string>;
}

/** Referrers of a layout, with each manifest's facts remembered. */
export class Referrers {
  private readonly facts = new Map<string, Facts>();

  constructor(private readonly layout: LayoutContent) {}

  private async factsOf(d: Descriptor): Promise<Facts> {
    let f = this.facts.get(d.digest);
    if (!f) {
      f = {};
      try {
        const m = JSON.parse((await this.layout.readBytes(d.digest as Digest, d.size)).toString('utf8')) as {
          subject?: { digest?: string };
          artifactType?: string;
          config?: { mediaType?: string };
          annotations?: Record<string, string>;
        };
        if (typeof m.subject?.digest === 'string') f.subject = m.subject.digest;
        // The spec: artifactType, else the config's media type.
        const type = m.artifactType ?? m.config?.mediaType;
        if (type) f.artifactType = type;
        if (m.annotations) f.annotations = m.annotations;
      } catch {
        // Not readable as a manifest: refers to nothing.
      }
      this.facts.set(d.digest, f);
    }
    return f;
  }

  /**
   * The descriptors of every manifest whose subject is `digest` (only `artifactType` ones when
   * given) among the index entries `inRepository` accepts (the spec: in the same repository).
   */
  async of(digest: string, artifactType: string | undefined, inRepository: (entry: Descriptor) => Promise<boolean>): Promise<Descriptor[]> {
    const out: Descriptor[] = [];
    const seen = new Set<string>();
    for (const entry of (await this.layout.readIndex()).manifests) {
      if (seen.has(entry.digest)) continue;
      seen.add(entry.digest);
      const f = await this.factsOf(entry);
      if (f.subject !== digest || (artifactType !== undefined && f.artifactType !== artifactType) || !(await inRepository(entry))) continue;
      out.push({
        mediaType: entry.mediaType,
        digest: entry.digest,
        size: entry.size,
        ...(f.artifactType ? { artifactType: f.artifactType } : {}),
        ...(f.annotations ? { annotations: f.annotations } : {}),
      } as Descriptor);
    }
    return out;
  }
}

const shared = new WeakMap<LayoutContent, Referrers>();

/** The one Referrers of a layout (its facts cache shared by every reader of it). */
export function referrersOf(layout: LayoutContent): Referrers {
  let r = shared.get(layout);
  if (!r) shared.set(layout, (r = new Referrers(layout)));
  return r;
}
