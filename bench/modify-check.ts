/**
 * Reads a modified image back from the registry, with clients other than airlock (skopeo for
 * the manifests, plain HTTP GETs for blobs, tar-stream for the layer), and checks it against
 * the base: the same platforms, each platform's manifest = the base's layers + one new layer
 * whose tar holds exactly the appended files, and the config's diff IDs to match.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gunzipSync } from 'node:zlib';
import tar from 'tar-stream';
import type { FixtureImage, FixtureIndex } from '../test/helpers/fixtures.js';
import type { Sandbox } from './measure.js';
import type { InputFile } from './modify-data.js';
import { skopeoRawDigest } from './skopeo-cli.js';

export interface ResultCheck {
  problems: string[];
  /** The index digest the tag resolves to. */
  digest?: string;
  /** Bytes of the distinct blobs the result has and the base has not: new layers, configs, platform manifests, the index. */
  newBytes: number;
  /** Of those, the distinct new layers. */
  newLayerBytes: number;
  newLayers: number;
  /** Every platform's base layers kept under their own digests (not recompressed). */
  baseDigestsKept: boolean;
}

interface Descriptor {
  mediaType?: string;
  digest: string;
  size: number;
  platform?: { os: string; architecture: string; variant?: string };
}

const sha256 = (b: Buffer | Uint8Array): string => createHash('sha256').update(b).digest('hex');

function platformOf(p: Descriptor['platform']): string {
  return p ? [p.os, p.architecture, p.variant].filter(Boolean).join('/') : '?';
}

async function blob(url: string, repo: string, d: Descriptor): Promise<Buffer> {
  const res = await fetch(`${url}/v2/${repo}/blobs/${d.digest}`);
  if (res.status !== 200) throw new Error(`GET blob ${d.digest}: HTTP ${res.status}`);
  const bytes = Buffer.from(await res.arrayBuffer());
  if (bytes.length !== d.size || `sha256:${sha256(bytes)}` !== d.digest) throw new Error(`blob ${d.digest}: bytes do not match the descriptor`);
  return bytes;
}

/** Regular files of a tar: normalised path → sha256 hex. */
async function tarFiles(tarBytes: Buffer): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const extract = tar.extract();
  extract.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: unknown) => void chunks.push(c as Buffer));
    stream.on('end', () => {
      if (header.type === 'file') files.set(header.name.replace(/^(\.\/|\/)+/, ''), sha256(Buffer.concat(chunks)));
      next();
    });
    stream.resume();
  });
  await pipeline(Readable.from([tarBytes]), extract);
  return files;
}

/** Problems with the files of a layer against the appended directory under `dest` (no leading /). */
function compareFiles(got: Map<string, string>, input: InputFile[], dest: string): string[] {
  const problems: string[] = [];
  const want = new Map(input.map((f) => [`${dest}/${f.path}`, f.sha256]));
  for (const [path, hash] of want) {
    const g = got.get(path);
    if (g === undefined) problems.push(`${path} missing`);
    else if (g !== hash) problems.push(`${path} has other content`);
  }
  for (const path of got.keys()) if (!want.has(path)) problems.push(`unexpected file ${path}`);
  return problems.length > 5 ? [...problems.slice(0, 5), `and ${problems.length - 5} more`] : problems;
}

/**
 * Checks `repo:tag` on the registry at `url`/`host` (no proxy: reading back is not part of
 * any run) against `base`, with `input` appended under `dest`. `requireBaseDigests`: base
 * layers must keep their digests (airlock's promise), otherwise this is only reported.
 */
export async function checkModified(opts: {
  url: string;
  host: string;
  repo: string;
  tag: string;
  base: FixtureIndex;
  input: InputFile[];
  dest: string;
  sandbox: Sandbox;
  requireBaseDigests: boolean;
}): Promise<ResultCheck> {
  const out: ResultCheck = { problems: [], newBytes: 0, newLayerBytes: 0, newLayers: 0, baseDigestsKept: true };
  const dest = opts.dest.replace(/^\/+|\/+$/g, '');
  const baseDigests = new Set<string>([opts.base.manifestDesc.digest]);
  for (const i of opts.base.images) {
    baseDigests.add(i.manifestDesc.digest);
    baseDigests.add(i.configDesc.digest);
    for (const l of i.layers) baseDigests.add(l.desc.digest);
  }
  const fresh = new Map<string, number>();
  const freshLayers = new Map<string, number>();
  const addNew = (d: Descriptor, layer = false): void => {
    if (baseDigests.has(d.digest)) return;
    fresh.set(d.digest, d.size);
    if (layer) freshLayers.set(d.digest, d.size);
  };
  try {
    const index = await skopeoRawDigest(`docker://${opts.host}/${opts.repo}:${opts.tag}`, opts.sandbox);
    out.digest = index.digest;
    const json = JSON.parse(index.bytes.toString('utf8')) as { mediaType?: string; manifests?: Descriptor[] };
    if (!Array.isArray(json.manifests)) throw new Error(`${opts.tag} is not an index (${json.mediaType ?? 'no media type'})`);
    addNew({ digest: index.digest, size: index.bytes.length });
    const byPlatform = new Map<string, FixtureImage>(opts.base.images.map((i) => [platformOf(i.manifestDesc.platform as Descriptor['platform']), i]));
    const seen = new Set<string>();
    for (const entry of json.manifests) {
      const p = platformOf(entry.platform);
      const baseImage = byPlatform.get(p);
      if (!baseImage) {
        out.problems.push(`index has ${p}, which the base has not`);
        continue;
      }
      seen.add(p);
      const m = await skopeoRawDigest(`docker://${opts.host}/${opts.repo}@${entry.digest}`, opts.sandbox);
      if (m.digest !== entry.digest || m.bytes.length !== entry.size) {
        out.problems.push(`${p}: manifest read back is not ${entry.digest}`);
        continue;
      }
      addNew(entry);
      const manifest = JSON.parse(m.bytes.toString('utf8')) as { config: Descriptor; layers: Descriptor[] };
      const n = baseImage.layers.length;
      if (manifest.layers.length !== n + 1) {
        out.problems.push(`${p}: ${manifest.layers.length} layers, expected the base's ${n} + 1`);
        continue;
      }
      const keeps = baseImage.layers.every((l, i) => manifest.layers[i]!.digest === l.desc.digest);
      if (!keeps) {
        out.baseDigestsKept = false;
        if (opts.requireBaseDigests) out.problems.push(`${p}: base layers are not the base's digests`);
      }
      for (const l of manifest.layers) addNew(l, true);
      addNew(manifest.config);
      const config = JSON.parse((await blob(opts.url, opts.repo, manifest.config)).toString('utf8')) as { rootfs?: { diff_ids?: string[] } };
      const ids = config.rootfs?.diff_ids ?? [];
      if (ids.length !== n + 1 || baseImage.layers.some((l, i) => ids[i] !== l.diffId)) {
        out.problems.push(`${p}: config diff IDs are not the base's + 1`);
        continue;
      }
      const top = manifest.layers[n]!;
      const raw = await blob(opts.url, opts.repo, top);
      const tarBytes = /gzip/.test(top.mediaType ?? '') ? gunzipSync(raw) : raw;
      if (`sha256:${sha256(tarBytes)}` !== ids[n]) out.problems.push(`${p}: the new layer's tar is not its diff ID`);
      for (const x of compareFiles(await tarFiles(tarBytes), opts.input, dest)) out.problems.push(`${p}: new layer: ${x}`);
    }
    for (const p of byPlatform.keys()) if (!seen.has(p)) out.problems.push(`${p} is missing from the index`);
  } catch (err) {
    out.problems.push((err as Error).message.split('\n')[0]!.slice(0, 300));
  }
  for (const n of fresh.values()) out.newBytes += n;
  for (const n of freshLayers.values()) out.newLayerBytes += n;
  out.newLayers = freshLayers.size;
  return out;
}
