/**
 * Signatures, attestations and SBOMs pushed into a registry in exactly the shapes cosign
 * writes them (checked against cosign's specs and source): the classic `sha256-<hex>.sig`
 * manifest of simple-signing payloads, and sigstore bundles stored as OCI 1.1 referrers
 * (bundle JSON made by @sigstore/bundle, the library sigstore-js signs with), listed in the
 * tag schema's index where the registry has no referrers API, as cosign does.
 */
import { createHash, sign, type KeyObject } from 'node:crypto';
import { toDSSEBundle, bundleToJSON } from '@sigstore/bundle';
import { dsse } from '@sigstore/core';
import { fetch } from 'undici';

export const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const BUNDLE_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const EMPTY = Buffer.from('{}');

/** A descriptor as manifests list them. */
export interface Desc {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

/** Signs as cosign does with a key: SHA-256 for ECDSA (DER) and RSA (PKCS#1 v1.5), pure Ed25519. */
function signBytes(key: KeyObject, bytes: Buffer): Buffer {
  return sign(key.asymmetricKeyType === 'ed25519' ? null : 'sha256', bytes, key);
}

/** Pushes a blob by a monolithic upload; throws unless 201. */
export async function pushBlob(url: string, repo: string, bytes: Buffer): Promise<void> {
  const start = await fetch(`${url}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  if (start.status !== 202) throw new Error(`POST upload: ${start.status}`);
  const loc = new URL(start.headers.get('location')!, url);
  loc.searchParams.set('digest', sha(bytes));
  const put = await fetch(loc, { method: 'PUT', body: bytes, headers: { 'content-type': 'application/octet-stream' } });
  if (put.status !== 201) throw new Error(`PUT blob: ${put.status} ${await put.text()}`);
}

/** Pushes a manifest under `reference`; its descriptor. */
export async function pushManifest(url: string, repo: string, reference: string, body: object, mediaType = OCI_MANIFEST): Promise<Desc> {
  const bytes = Buffer.from(JSON.stringify(body));
  const put = await fetch(`${url}/v2/${repo}/manifests/${reference}`, { method: 'PUT', body: bytes, headers: { 'content-type': mediaType } });
  if (put.status !== 201) throw new Error(`PUT manifest ${reference}: ${put.status} ${await put.text()}`);
  return { mediaType, digest: sha(bytes), size: bytes.length };
}

/** Pushes cosign's `.sig` manifest for `digest` in `repo`: one simple-signing payload naming `payloadDigest`, signed with `key`. */
export async function pushCosignSignature(url: string, host: string, repo: string, digest: string, key: KeyObject, payloadDigest = digest): Promise<Desc> {
  const payload = Buffer.from(JSON.stringify({ critical: { identity: { 'docker-reference': `${host}/${repo}` }, image: { 'docker-manifest-digest': payloadDigest }, type: 'cosign container image signature' }, optional: null }));
  const signature = signBytes(key, payload).toString('base64');
  // ggcr's empty image with one layer: the config cosign writes.
  const config = Buffer.from(JSON.stringify({ architecture: '', created: '0001-01-01T00:00:00Z', history: [{ created: '0001-01-01T00:00:00Z' }], os: '', rootfs: { type: 'layers', diff_ids: [sha(payload)] }, config: {} }));
  await pushBlob(url, repo, payload);
  await pushBlob(url, repo, config);
  return pushManifest(url, repo, `sha256-${digest.slice(7)}.sig`, {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length },
    layers: [{ mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json', digest: sha(payload), size: payload.length, annotations: { 'dev.cosignproject.cosign/signature': signature } }],
  });
}

/** Pushes cosign's `.att` manifest for `digest`: one DSSE envelope of an in-toto statement (SLSA provenance) signed with `key`. */
export async function pushCosignAttestation(url: string, repo: string, digest: string, key: KeyObject): Promise<Desc> {
  const statement = Buffer.from(JSON.stringify({ _type: 'https://in-toto.io/Statement/v0.1', predicateType: 'https://slsa.dev/provenance/v0.2', subject: [{ name: repo, digest: { sha256: digest.slice(7) } }], predicate: { builder: { id: 'test' } } }));
  const type = 'application/vnd.in-toto+json';
  const envelope = Buffer.from(JSON.stringify({ payloadType: type, payload: statement.toString('base64'), signatures: [{ keyid: '', sig: signBytes(key, dsse.preAuthEncoding(type, statement)).toString('base64') }] }));
  const config = Buffer.from(JSON.stringify({ architecture: '', created: '0001-01-01T00:00:00Z', history: [{ created: '0001-01-01T00:00:00Z' }], os: '', rootfs: { type: 'layers', diff_ids: [sha(envelope)] }, config: {} }));
  await pushBlob(url, repo, envelope);
  await pushBlob(url, repo, config);
  return pushManifest(url, repo, `sha256-${digest.slice(7)}.att`, {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length },
    layers: [{ mediaType: 'application/vnd.dsse.envelope.v1+json', digest: sha(envelope), size: envelope.length, annotations: { 'dev.cosignproject.cosign/signature': '', predicateType: 'https://slsa.dev/provenance/v0.2' } }],
  });
}

/**
 * Pushes an OCI 1.1 referrer of `subject` (by digest): a manifest with `artifactType`, the
 * empty config, one layer of `content`. Where the registry has no referrers API
 * (`tagSchema`), adds it to the `sha256-<hex>` index as cosign does.
 */
export async function pushReferrer(url: string, repo: string, subject: Desc, artifactType: string, content: Buffer, annotations: Record<string, string> = {}, tagSchema = true): Promise<Desc> {
  await pushBlob(url, repo, EMPTY);
  await pushBlob(url, repo, content);
  const desc = await pushManifest(url, repo, sha(Buffer.from(JSON.stringify(manifestOf()))), manifestOf());
  function manifestOf(): object {
    return {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType,
      config: { mediaType: 'application/vnd.oci.empty.v1+json', artifactType, digest: sha(EMPTY), size: 2 },
      layers: [{ mediaType: artifactType, digest: sha(content), size: content.length }],
      subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
      annotations,
    };
  }
  const listed: Desc = { ...desc, artifactType, annotations };
  if (tagSchema) {
    const tag = `sha256-${subject.digest.slice(7)}`;
    const current = await fetch(`${url}/v2/${repo}/manifests/${tag}`, { headers: { accept: OCI_INDEX } });
    const manifests = current.status === 200 ? ((await current.json()) as { manifests: Desc[] }).manifests : (await current.arrayBuffer(), []);
    await pushManifest(url, repo, tag, { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [...manifests, listed] }, OCI_INDEX);
  }
  return listed;
}

/**
 * A sigstore bundle (v0.3, public key) of an image signature as cosign 3 makes it: a DSSE
 * envelope over an in-toto statement with the cosign signing predicate naming `digest`.
 */
export function imageSignatureBundle(digest: string, key: KeyObject, opts: { predicateType?: string } = {}): Buffer {
  const statement = Buffer.from(JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', subject: [{ digest: { sha256: digest.slice(7) }, annotations: {} }], predicateType: opts.predicateType ?? 'https://sigstore.dev/cosign/sign/v1', predicate: {} }));
  const type = 'application/vnd.in-toto+json';
  const bundle = toDSSEBundle({ artifact: statement, artifactType: type, signature: signBytes(key, dsse.preAuthEncoding(type, statement)), keyHint: '' });
  return Buffer.from(JSON.stringify(bundleToJSON(bundle)));
}

/** Pushes a sigstore bundle signature of `subject` as a referrer, as `cosign sign` (v3) stores it. */
export function pushBundleSignature(url: string, repo: string, subject: Desc, bundle: Buffer, tagSchema = true): Promise<Desc> {
  return pushReferrer(url, repo, subject, BUNDLE_TYPE, bundle, { 'dev.sigstore.bundle.content': 'dsse-envelope', 'dev.sigstore.bundle.predicateType': 'https://sigstore.dev/cosign/sign/v1', 'org.opencontainers.image.created': '2026-12-01T00:00:00Z' }, tagSchema);
}
