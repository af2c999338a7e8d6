/**
 * A copy engine Source that is a modified image: it reads the base through the base's
 * source, makes the new layers, configs and manifests in memory, and answers with them; every
 * blob it did not make is the base's, read (or mounted by the engine) as for any copy. So
 * `airlock modify` is one more route through the one copy engine, and the result's digest is
 * known before anything is written: a destination already naming it is left alone.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { AirlockError, ErrorCodes } from '../errors.js';
import type { Descriptor } from '../oci/descriptor.js';
import { digestOf, verifyBytes, type Digest } from '../oci/digest.js';
import { parseManifest } from '../oci/manifest.js';
import type { FetchedManifest, Source } from '../transport/types.js';
import { modifyImageManifest, modifyIndex, type AddedLayer, type MadeContent } from './image.js';
import { rpmFiles, runSteps, type RunStep } from './buildah.js';
import { buildContainerfile, checkContainerfile } from './containerfile.js';
import { inputTree } from './inputs.js';
import { repoFiles } from './update.js';
import { appendLayer, whiteoutLayer } from './layer.js';
import type { ModifyOperation } from './operations.js';

/** The new layers of `ops`, in order: one per append, one per run of consecutive removals. */
export async function addedLayers(ops: readonly ModifyOperation[]): Promise<AddedLayer[]> {
  const out: AddedLayer[] = [];
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    if (op.op === 'append') out.push({ layer: await appendLayer(op.path, op.dest), createdBy: `airlock modify --append ${op.dest}` });
    else if (op.op === 'remove') {
      const paths: string[] = [];
      while (i < ops.length && ops[i]!.op === 'remove') paths.push((ops[i++] as { path: string }).path);
      i--;
      out.push({ layer: await whiteoutLayer(paths), createdBy: `airlock modify --remove ${paths.join(' ')}` });
    }
  }
  return out;
}

/** What a modification of one image made. */
interface Made {
  root: Descriptor;
  content: MadeContent;
  /** Digest of the operations and the layers their inputs made. */
  modification: Digest;
}

/**
 * Digest of a modification: its operations (appended inputs by where they go, packages by
 * their names and digests, a Containerfile's and an update's directory by every file in it)
 * and the diff IDs of the layers made from inputs. Reading the inputs checks them too:
 * MODIFY_INPUT_INVALID for a directory without packages, Containerfile (with a FROM line) or
 * repo files.
 */
async function modificationDigest(ops: readonly ModifyOperation[], added: readonly AddedLayer[]): Promise<Digest> {
  const operations = [];
  for (const o of ops) {
    if (o.op === 'append') operations.push({ op: 'append', dest: o.dest });
    else if (o.op === 'rpms') {
      const files = await rpmFiles(o.dir);
      operations.push({ op: 'rpms', packages: await Promise.all(files.map(async (f) => ({ name: path.basename(f), digest: digestOf(await fs.readFile(f)) }))) });
    } else if (o.op === 'containerfile') {
      await checkContainerfile(o.dir);
      operations.push({ op: 'containerfile', files: await inputTree(o.dir, 'containerfile') });
    } else if (o.op === 'update') {
      await repoFiles(o.dir);
      operations.push({ op: 'update', files: await inputTree(o.dir, 'update') });
    } else operations.push(o);
  }
  return digestOf(JSON.stringify({ operations, layers: added.map((a) => digestOf(a.layer.tar)) }));
}

/**
 * A run of operations airlock applies itself, of steps run in one buildah container
 * (`--run`, `--rpms`, `--update`), or one Containerfile build.
 */
type Segment = { kind: 'native'; ops: ModifyOperation[] } | { kind: 'run'; steps: RunStep[] } | { kind: 'build'; dir: string };

/** `ops` cut into runs of native operations and of buildah steps, in order; each Containerfile is a segment of its own. */
function segmentsOf(ops: readonly ModifyOperation[]): Segment[] {
  const out: Segment[] = [];
  for (const op of ops) {
    const last = out.at(-1);
    if (op.op === 'containerfile') out.push({ kind: 'build', dir: op.dir });
    else if (op.op === 'run' || op.op === 'rpms' || op.op === 'update') {
      if (last?.kind === 'run') last.steps.push(op);
      else out.push({ kind: 'run', steps: [op] });
    } else if (last?.kind === 'native') last.ops.push(op);
    else out.push({ kind: 'native', ops: [op] });
  }
  return out;
}

/** The base image (`base`), modified by `ops`. */
export class ModifiedSource implements Source {
  readonly description: string;
  readonly blobScope?: string;
  readonly repository?: string;
  private made?: Promise<Made>;

  constructor(
    private readonly base: Source,
    private readonly ops: readonly ModifyOperation[],
    /** Stops buildah steps (buildah is ended with it). */
    private readonly signal?: AbortSignal,
  ) {
    this.description = `${base.description} (modified)`;
    if (base.blobScope !== undefined) this.blobScope = base.blobScope;
    if (base.repository !== undefined) this.repository = base.repository;
  }

  private async make(): Promise<Made> {
    const baseRoot = await this.base.resolve();
    const segments = segmentsOf(this.ops);
    // Native layers are built once and shared by every platform.
    const built = await Promise.all(segments.map((seg) => (seg.kind === 'native' ? addedLayers(seg.ops) : Promise.resolve([]))));
    // Every input is read (and checked) before buildah starts.
    const modification = await modificationDigest(this.ops, built.flat());
    const content: MadeContent = new Map();
    const modifyOne = async (manifest: FetchedManifest): Promise<{ digest: Digest; size: number; mediaType: string }> => {
      const m = parseManifest(manifest.bytes, manifest.mediaType);
      if (m.kind !== 'image') throw new AirlockError(ErrorCodes.MEDIA_TYPE_UNSUPPORTED, `${this.base.description}: an index inside an index is not modified`);
      let state = { manifest: manifest.bytes, config: await this.readBlob(m.config) };
      for (const [i, seg] of segments.entries()) {
        const input = { ...state, blob: (d: Descriptor) => this.layerBytes(d, content) };
        if (seg.kind === 'native') state = modifyImageManifest(state.manifest, state.config, seg.ops, built[i]!, content);
        else if (seg.kind === 'run') state = await runSteps(input, seg.steps, content, this.signal);
        else state = await buildContainerfile(input, seg.dir, content, this.signal);
      }
      const digest = digestOf(state.manifest);
      content.set(digest, { bytes: state.manifest, mediaType: manifest.mediaType });
      return { digest, size: state.manifest.length, mediaType: manifest.mediaType };
    };
    const top = await this.base.getManifest(baseRoot.digest as Digest);
    const parsed = parseManifest(top.bytes, top.mediaType);
    if (parsed.kind === 'image') {
      const r = await modifyOne(top);
      return { root: { mediaType: r.mediaType, digest: r.digest, size: r.size }, content, modification };
    }
    if (segments.some((seg) => seg.kind !== 'native')) {
      throw new AirlockError(
        ErrorCodes.MODIFY_INPUT_INVALID,
        `${this.base.description} is multi-arch: --run, --rpms, --update and --containerfile run one platform here; copy the platform you need first (airlock copy --platform)`,
      );
    }
    // Each platform image is modified; entries that are not platform images (attestations) stay as they are.
    const replaced = new Map<string, { digest: Digest; size: number }>();
    for (const child of parsed.manifests) {
      if (child.platform?.os === 'unknown') continue;
      replaced.set(child.digest, await modifyOne(await this.base.getManifest(child.digest as Digest)));
    }
    const bytes = modifyIndex(top.bytes, replaced);
    const digest = digestOf(bytes);
    content.set(digest, { bytes, mediaType: top.mediaType });
    return { root: { mediaType: top.mediaType, digest, size: bytes.length }, content, modification };
  }

  /** A layer's verified bytes: made here, or the base's. */
  private async layerBytes(desc: Descriptor, content: MadeContent): Promise<Buffer> {
    return content.get(desc.digest as Digest)?.bytes ?? this.readBlob(desc);
  }

  private async readBlob(desc: Descriptor): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const c of await this.base.getBlob(desc)) chunks.push(c as Buffer);
    const bytes = Buffer.concat(chunks);
    verifyBytes(bytes, desc.digest as Digest, desc.size, `${this.base.description}: blob`);
    return bytes;
  }

  private content(): Promise<Made> {
    this.made ??= this.make();
    return this.made;
  }

  /** Digest of the modification (operations and the layers their inputs make). */
  async modification(): Promise<Digest> {
    return (await this.content()).modification;
  }

  /** The modified image's root: its digest is known before anything is written. */
  async resolve(): Promise<Descriptor> {
    return (await this.content()).root;
  }

  async getManifest(digest: Digest): Promise<FetchedManifest> {
    const own = (await this.content()).content.get(digest);
    return own ? { bytes: own.bytes, mediaType: own.mediaType, digest } : this.base.getManifest(digest);
  }

  async getBlob(desc: Descriptor): Promise<Readable> {
    const own = (await this.content()).content.get(desc.digest as Digest);
    return own ? Readable.from([own.bytes]) : this.base.getBlob(desc);
  }

  close(): Promise<void> {
    return this.base.close();
  }
}
