/**
 * Independent validators for copy results. They share no code with airlock's clients on
 * purpose: a bug there must not be able to hide itself here.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { Agent, fetch, type Dispatcher, type Response } from 'undici';

const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const INDEX_TYPES = [OCI_INDEX, DOCKER_LIST];
const IMAGE_TYPES = [OCI_MANIFEST, DOCKER_MANIFEST];
const IMAGE_CONFIG_TYPES = ['application/vnd.oci.image.config.v1+json', 'application/vnd.docker.container.image.v1+json'];
const GZIP_LAYER_TYPES = ['application/vnd.oci.image.layer.v1.tar+gzip', 'application/vnd.docker.image.rootfs.diff.tar.gzip'];
const REF_NAME = 'org.opencontainers.image.ref.name';

/** A descriptor as found in manifests (only the fields checked here). */
export interface SeenDescriptor {
  mediaType: string;
  digest: string;
  size: number;
}

export interface ValidationResult {
  /** Digest and media type of the root manifest. */
  digest: string;
  mediaType: string;
  /** Every manifest reached (root first), each once. */
  manifests: SeenDescriptor[];
  /** Every config and layer blob, each once. */
  blobs: SeenDescriptor[];
}

/** Anything the validators found wrong. */
export class ValidationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ValidationError';
  }
}

export interface WalkOptions {
  /** Also gunzip gzip layers and compare with the config's rootfs.diff_ids (slower). */
  checkDiffIds?: boolean;
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function checkDigestSyntax(d: unknown, where: string): string {
  if (typeof d !== 'string' || !/^sha256:[a-f0-9]{64}$/.test(d)) throw new ValidationError(`${where}: bad digest ${String(d)}`);
  return d;
}

function checkDescriptor(v: unknown, where: string): SeenDescriptor {
  const d = v as Record<string, unknown> | null;
  if (!d || typeof d !== 'object') throw new ValidationError(`${where}: descriptor is not an object`);
  if (typeof d.mediaType !== 'string' || !d.mediaType) throw new ValidationError(`${where}: no mediaType`);
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) {
    throw new ValidationError(`${where}: bad size`);
  }
  return { mediaType: d.mediaType, digest: checkDigestSyntax(d.digest, where), size: d.size };
}

/** Where the walker reads content from. */
interface ContentStore {
  /** Manifest bytes for `digest` plus the media type the store declared for it, if any. */
  manifest(digest: string): Promise<{ bytes: Buffer; declaredType?: string }>;
  /** Streams the blob; the walker hashes it. */
  blob(desc: SeenDescriptor): Promise<AsyncIterable<Uint8Array>>;
}

/** Hashes a blob stream, checks digest and size, and optionally its uncompressed diff_id. */
async function checkBlobStream(
  chunks: AsyncIterable<Uint8Array>,
  desc: SeenDescriptor,
  diffId: string | undefined,
  where: string,
): Promise<Buffer | undefined> {
  const hash = createHash('sha256');
  let size = 0;
  const keep: Buffer[] | undefined = IMAGE_CONFIG_TYPES.includes(desc.mediaType) ? [] : undefined;
  const gunzip = diffId ? createGunzip() : undefined;
  const tarHash = createHash('sha256');
  const gunzipped = gunzip
    ? new Promise<void>((resolve, reject) => {
        gunzip.on('data', (c: Buffer) => tarHash.update(c));
        gunzip.on('end', resolve);
        gunzip.on('error', reject);
      })
    : undefined;
  for await (const c of chunks) {
    const chunk = Buffer.from(c.buffer, c.byteOffset, c.byteLength);
    size += chunk.length;
    if (size > desc.size) throw new ValidationError(`${where}: blob ${desc.digest} is longer than ${desc.size} bytes`);
    hash.update(chunk);
    keep?.push(Buffer.from(chunk));
    if (gunzip && !gunzip.write(chunk)) await new Promise((r) => gunzip.once('drain', r));
  }
  if (size !== desc.size) throw new ValidationError(`${where}: blob ${desc.digest} has ${size} bytes, expected ${desc.size}`);
  const actual = `sha256:${hash.digest('hex')}`;
  if (actual !== desc.digest) throw new ValidationError(`${where}: blob ${desc.digest} hashes to ${actual}`);
  if (gunzip && gunzipped) {
    gunzip.end();
    try {
      await gunzipped;
    } catch (err) {
      throw new ValidationError(`${where}: layer ${desc.digest} is not valid gzip: ${String(err)}`);
    }
    const tar = `sha256:${tarHash.digest('hex')}`;
    if (tar !== diffId) throw new ValidationError(`${where}: layer ${desc.digest} diff_id is ${tar}, config says ${diffId}`);
  }
  return keep ? Buffer.concat(keep) : undefined;
}

/** Walks a manifest graph from `root`, verifying every manifest and blob once. */
async function walk(store: ContentStore, root: SeenDescriptor, opts: WalkOptions, where: string): Promise<ValidationResult> {
  const manifests = new Map<string, SeenDescriptor>();
  const blobs = new Map<string, SeenDescriptor>();

  async function visitManifest(desc: SeenDescriptor, path: string, expectPlatform?: Record<string, unknown>): Promise<void> {
    if (manifests.has(desc.digest)) return;
    const { bytes, declaredType } = await store.manifest(desc.digest);
    if (bytes.length !== desc.size) {
      throw new ValidationError(`${path}: manifest ${desc.digest} has ${bytes.length} bytes, expected ${desc.size}`);
    }
    const actual = `sha256:${sha256Hex(bytes)}`;
    if (actual !== desc.digest) throw new ValidationError(`${path}: manifest ${desc.digest} hashes to ${actual}`);
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
    } catch {
      throw new ValidationError(`${path}: manifest ${desc.digest} is not JSON`);
    }
    if (json.schemaVersion !== 2) throw new ValidationError(`${path}: schemaVersion ${String(json.schemaVersion)}`);
    const inner = typeof json.mediaType === 'string' ? json.mediaType : undefined;
    if (inner && inner !== desc.mediaType) {
      throw new ValidationError(`${path}: manifest says mediaType ${inner}, descriptor says ${desc.mediaType}`);
    }
    const declared = declaredType?.split(';')[0]?.trim();
    if (declared && declared !== desc.mediaType) {
      throw new ValidationError(`${path}: served as ${declared}, descriptor says ${desc.mediaType}`);
    }
    manifests.set(desc.digest, desc);

    if (INDEX_TYPES.includes(desc.mediaType)) {
      if (!Array.isArray(json.manifests)) throw new ValidationError(`${path}: index without manifests`);
      for (const [i, m] of json.manifests.entries()) {
        const child = checkDescriptor(m, `${path}.manifests[${i}]`);
        const platform = (m as { platform?: Record<string, unknown> }).platform;
        await visitManifest(child, `${path}>${child.digest.slice(7, 19)}`, platform);
      }
      return;
    }
    if (!IMAGE_TYPES.includes(desc.mediaType)) throw new ValidationError(`${path}: unknown manifest type ${desc.mediaType}`);
    const config = checkDescriptor(json.config, `${path}.config`);
    if (!Array.isArray(json.layers)) throw new ValidationError(`${path}: image manifest without layers`);
    const layers = json.layers.map((l, i) => checkDescriptor(l, `${path}.layers[${i}]`));

    let diffIds: string[] | undefined;
    const configBytes = await checkBlobStream(await store.blob(config), config, undefined, `${path}.config`);
    blobs.set(config.digest, config);
    if (configBytes) {
      let cfg: { os?: string; architecture?: string; rootfs?: { diff_ids?: string[] } };
      try {
        cfg = JSON.parse(configBytes.toString('utf8')) as typeof cfg;
      } catch {
        throw new ValidationError(`${path}: config ${config.digest} is not JSON`);
      }
      diffIds = cfg.rootfs?.diff_ids;
      if (!Array.isArray(diffIds) || diffIds.length !== layers.length) {
        throw new ValidationError(`${path}: config has ${diffIds?.length ?? 'no'} diff_ids for ${layers.length} layers`);
      }
      if (expectPlatform && (expectPlatform.os !== cfg.os || expectPlatform.architecture !== cfg.architecture)) {
        throw new ValidationError(
          `${path}: index says ${String(expectPlatform.os)}/${String(expectPlatform.architecture)}, config says ${cfg.os}/${cfg.architecture}`,
        );
      }
    }
    for (const [i, layer] of layers.entries()) {
      if (blobs.has(layer.digest)) continue;
      const diffId = opts.checkDiffIds && GZIP_LAYER_TYPES.includes(layer.mediaType) ? diffIds?.[i] : undefined;
      await checkBlobStream(await store.blob(layer), layer, diffId, `${path}.layers[${i}]`);
      blobs.set(layer.digest, layer);
    }
  }

  await visitManifest(root, where);
  return { digest: root.digest, mediaType: root.mediaType, manifests: [...manifests.values()], blobs: [...blobs.values()] };
}

// ---------------------------------------------------------------- registry

export interface ValidateRegistryOptions extends WalkOptions {
  /** `http(s)://host:port`. */
  url: string;
  repository: string;
  /** Tag or digest. */
  reference: string;
  username?: string;
  password?: string;
  /** PEM CA file for HTTPS registries. */
  caFile?: string;
  /** Fail unless the root manifest has this digest. */
  expectDigest?: string;
}

/** The Accept header for every manifest type (Distribution 404s an OCI index without it). */
export const MANIFEST_ACCEPT_HEADER = [OCI_INDEX, OCI_MANIFEST, DOCKER_LIST, DOCKER_MANIFEST].join(', ');
const ACCEPT = MANIFEST_ACCEPT_HEADER;

function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const space = header.indexOf(' ');
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
  const params: Record<string, string> = {};
  const re = /([a-zA-Z_]+)="([^"]*)"/g;
  for (let m = re.exec(header); m; m = re.exec(header)) params[m[1]!.toLowerCase()] = m[2]!;
  return { scheme, params };
}

/** A tiny registry reader that answers Basic and Bearer challenges on its own. */
class RegistryReader {
  private authorization: string | undefined;
  private readonly basic: string | undefined;

  constructor(
    private readonly opts: ValidateRegistryOptions,
    private readonly dispatcher: Dispatcher,
  ) {
    this.basic =
      opts.username !== undefined
        ? `Basic ${Buffer.from(`${opts.username}:${opts.password ?? ''}`).toString('base64')}`
        : undefined;
  }

  async get(path: string, accept?: string): Promise<Response> {
    const url = `${this.opts.url}/v2/${path}`;
    for (let attempt = 0; attempt < 2; attempt++) {
      const headers: Record<string, string> = {};
      if (accept) headers.accept = accept;
      if (this.authorization) headers.authorization = this.authorization;
      const res = await fetch(url, { headers, dispatcher: this.dispatcher });
      if (res.status !== 401 || attempt === 1) {
        if (!res.ok) {
          const body = await res.text().catch(() => '');
          throw new ValidationError(`GET ${url}: HTTP ${res.status} ${body.slice(0, 300)}`);
        }
        return res;
      }
      const challenge = res.headers.get('www-authenticate');
      await res.arrayBuffer();
      if (!challenge) throw new ValidationError(`GET ${url}: 401 without a challenge`);
      await this.answer(parseChallenge(challenge));
    }
    throw new ValidationError(`GET ${url}: unreachable`);
  }

  private async answer(ch: { scheme: string; params: Record<string, string> }): Promise<void> {
    if (ch.scheme === 'basic') {
      if (!this.basic) throw new ValidationError('registry wants Basic credentials and none were given');
      this.authorization = this.basic;
      return;
    }
    if (ch.scheme !== 'bearer' || !ch.params.realm) throw new ValidationError(`unsupported challenge ${ch.scheme}`);
    const realm = new URL(ch.params.realm);
    if (ch.params.service) realm.searchParams.set('service', ch.params.service);
    realm.searchParams.append('scope', ch.params.scope ?? `repository:${this.opts.repository}:pull`);
    const headers: Record<string, string> = {};
    if (this.basic) {
      headers.authorization = this.basic;
      realm.searchParams.set('account', this.opts.username ?? '');
    }
    const res = await fetch(realm, { headers, dispatcher: this.dispatcher });
    if (!res.ok) throw new ValidationError(`token endpoint ${realm.origin}${realm.pathname}: HTTP ${res.status}`);
    const body = (await res.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new ValidationError('token endpoint returned no token');
    this.authorization = `Bearer ${token}`;
  }
}

/**
 * Re-fetches `repository:reference` from a registry without airlock's code and checks
 * everything: the manifest digest (Docker-Content-Digest and, for digest references, the
 * reference), served media types, then every child manifest, config and layer — each
 * re-downloaded, hashed and size-checked. Answers Basic and Bearer challenges. Throws
 * ValidationError on the first problem.
 */
export async function validateRegistryImage(opts: ValidateRegistryOptions): Promise<ValidationResult> {
  const ca = opts.caFile ? await readFile(opts.caFile, 'utf8') : undefined;
  const dispatcher = new Agent(ca ? { connect: { ca } } : {});
  try {
    const reader = new RegistryReader(opts, dispatcher);
    const repo = opts.repository;
    const res = await reader.get(`${repo}/manifests/${opts.reference}`, ACCEPT);
    const bytes = Buffer.from(await res.arrayBuffer());
    const digest = `sha256:${sha256Hex(bytes)}`;
    const header = res.headers.get('docker-content-digest');
    if (header && header !== digest) throw new ValidationError(`Docker-Content-Digest ${header}, body hashes to ${digest}`);
    if (opts.reference.includes(':') && opts.reference !== digest) {
      throw new ValidationError(`asked for ${opts.reference}, got manifest ${digest}`);
    }
    if (opts.expectDigest && opts.expectDigest !== digest) {
      throw new ValidationError(`expected manifest ${opts.expectDigest}, got ${digest}`);
    }
    const contentType = res.headers.get('content-type')?.split(';')[0]?.trim() ?? '';
    let inner: string | undefined;
    try {
      inner = (JSON.parse(bytes.toString('utf8')) as { mediaType?: string }).mediaType;
    } catch {
      throw new ValidationError(`manifest ${digest} is not JSON`);
    }
    const mediaType = inner ?? contentType;
    const first = { bytes, declaredType: contentType };
    const store: ContentStore = {
      async manifest(d) {
        if (d === digest) return first;
        const r = await reader.get(`${repo}/manifests/${d}`, ACCEPT);
        const declaredType = r.headers.get('content-type') ?? undefined;
        return { bytes: Buffer.from(await r.arrayBuffer()), ...(declaredType ? { declaredType } : {}) };
      },
      async blob(desc) {
        const r = await reader.get(`${repo}/blobs/${desc.digest}`);
        const len = r.headers.get('content-length');
        if (len !== null && Number(len) !== desc.size) {
          throw new ValidationError(`blob ${desc.digest}: Content-Length ${len}, descriptor says ${desc.size}`);
        }
        if (!r.body) throw new ValidationError(`blob ${desc.digest}: empty response`);
        return r.body as AsyncIterable<Uint8Array>;
      },
    };
    return await walk(store, { mediaType, digest, size: bytes.length }, opts, `${repo}:${opts.reference}`);
  } finally {
    await dispatcher.close();
  }
}

// ---------------------------------------------------------------- OCI layout

export interface LayoutValidationResult extends ValidationResult {
  /** Each index.json entry checked, with its ref name. */
  roots: Array<{ name: string | undefined; digest: string; mediaType: string }>;
}

/**
 * Checks an OCI image layout: `oci-layout` version, `index.json` shape and unique ref
 * names, and for the entry named `name` (or every entry) the whole graph — every blob
 * present under `blobs/<alg>/<hex>`, with matching size and sha256. The top-level
 * digest/mediaType are those of the first root checked.
 */
export async function validateLayout(dir: string, name?: string, opts: WalkOptions = {}): Promise<LayoutValidationResult> {
  let layout: { imageLayoutVersion?: string };
  let index: { schemaVersion?: number; manifests?: unknown[] };
  try {
    layout = JSON.parse(await readFile(join(dir, 'oci-layout'), 'utf8')) as typeof layout;
    index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as typeof index;
  } catch (err) {
    throw new ValidationError(`${dir}: unreadable oci-layout or index.json: ${String(err)}`);
  }
  if (layout.imageLayoutVersion !== '1.0.0') throw new ValidationError(`${dir}: imageLayoutVersion ${layout.imageLayoutVersion}`);
  if (index.schemaVersion !== 2 || !Array.isArray(index.manifests)) throw new ValidationError(`${dir}: bad index.json`);

  const entries = index.manifests.map((m, i) => {
    const desc = checkDescriptor(m, `index.json manifests[${i}]`);
    const ref = (m as { annotations?: Record<string, string> }).annotations?.[REF_NAME];
    return { desc, name: ref };
  });
  const names = entries.map((e) => e.name).filter((n): n is string => n !== undefined);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) throw new ValidationError(`${dir}: ref name "${dup}" appears twice in index.json`);
  const chosen = name === undefined ? entries : entries.filter((e) => e.name === name);
  if (chosen.length === 0) throw new ValidationError(`${dir}: no image named "${name ?? ''}" in index.json`);

  const blobPath = (digest: string): string => {
    const [alg, hex] = digest.split(':') as [string, string];
    return join(dir, 'blobs', alg, hex);
  };
  const store: ContentStore = {
    async manifest(d) {
      try {
        return { bytes: await readFile(blobPath(d)) };
      } catch {
        throw new ValidationError(`${dir}: manifest blob ${d} is missing`);
      }
    },
    async blob(desc) {
      const st = await stat(blobPath(desc.digest)).catch(() => null);
      if (!st) throw new ValidationError(`${dir}: blob ${desc.digest} is missing`);
      return createReadStream(blobPath(desc.digest));
    },
  };

  const manifests = new Map<string, SeenDescriptor>();
  const blobs = new Map<string, SeenDescriptor>();
  const roots: LayoutValidationResult['roots'] = [];
  for (const e of chosen) {
    const r = await walk(store, e.desc, opts, `${dir}:${e.name ?? e.desc.digest}`);
    roots.push({ name: e.name, digest: r.digest, mediaType: r.mediaType });
    for (const m of r.manifests) manifests.set(m.digest, m);
    for (const b of r.blobs) blobs.set(b.digest, b);
  }
  const head = roots[0]!;
  return { digest: head.digest, mediaType: head.mediaType, roots, manifests: [...manifests.values()], blobs: [...blobs.values()] };
}
