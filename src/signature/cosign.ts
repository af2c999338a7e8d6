/**
 * cosign's classic signatures, checked with a public key: the manifest tagged
 * `sha256-<hex>.sig` beside an image holds one layer per signature, each a simple-signing
 * payload (`application/vnd.dev.cosign.simplesigning.v1+json`) with its signature in the
 * annotation `dev.cosignproject.cosign/signature`. A signature counts when it verifies over
 * the payload's exact bytes with the key and the payload names the image's digest.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { AirlockError, ErrorCodes } from '../errors.js';
import type { Descriptor } from '../oci/descriptor.js';
import { digestHex, type Digest } from '../oci/digest.js';
import { parseManifest } from '../oci/manifest.js';
import type { ContentReader } from '../transport/types.js';
import { readSignatureBlob } from './blob.js';

export const SIMPLE_SIGNING_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
/** The `critical.type` of a cosign image signature payload. */
export const COSIGN_SIGNATURE_TYPE = 'cosign container image signature';
/** Largest payload read (they are a few hundred bytes). */
const MAX_PAYLOAD_BYTES = 64 * 1024;

/** The tag cosign stores an image's signatures under. */
export function signatureTag(digest: Digest): string {
  return `sha256-${digestHex(digest)}.sig`;
}

/**
 * Reads a PEM public key (ECDSA, RSA or Ed25519, as `cosign generate-key-pair` or `openssl`
 * writes them); KEY_INVALID otherwise, the message naming `what` gave the file.
 */
export async function readPublicKey(file: string, what = '--key'): Promise<KeyObject> {
  const pem = await readFile(file, 'utf8').catch((err: unknown) => {
    throw new AirlockError(ErrorCodes.KEY_INVALID, `${what} ${file}: ${(err as Error).message}`);
  });
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (err) {
    throw new AirlockError(ErrorCodes.KEY_INVALID, `${what} ${file}: not a PEM public key (${(err as Error).message})`);
  }
  if (!['ec', 'rsa', 'ed25519'].includes(key.asymmetricKeyType ?? '')) throw new AirlockError(ErrorCodes.KEY_INVALID, `${what} ${file}: a ${key.asymmetricKeyType} key; ECDSA, RSA or Ed25519 are taken`);
  return key;
}

/** True when `signature` (base64) verifies over `payload` with `key`: SHA-256 for ECDSA and RSA, pure Ed25519. */
export function verifiesWith(key: KeyObject, payload: Buffer, signature: string): boolean {
  const sig = Buffer.from(signature, 'base64');
  try {
    return verify(key.asymmetricKeyType === 'ed25519' ? null : 'sha256', payload, key, sig);
  } catch {
    return false;
  }
}

/** The image digest a simple-signing payload names, if it is a cosign image signature (keys matched case-insensitively, as cosign reads them). */
export function payloadDigest(payload: Buffer): string | undefined {
  let v: unknown;
  try {
    v = JSON.parse(payload.toString('utf8'));
  } catch {
    return undefined;
  }
  const get = (o: unknown, key: string): unknown => {
    if (o === null || typeof o !== 'object') return undefined;
    const hit = Object.keys(o).find((k) => k.toLowerCase() === key);
    return hit === undefined ? undefined : (o as Record<string, unknown>)[hit];
  };
  const critical = get(v, 'critical');
  if (get(critical, 'type') !== COSIGN_SIGNATURE_TYPE) return undefined;
  const d = get(get(critical, 'image'), 'docker-manifest-digest');
  return typeof d === 'string' ? d : undefined;
}

/** What checking one image's signatures found. */
export interface SignatureCheck {
  /** `signed`: a signature verified; `missing`: no `.sig`; `invalid`: signatures, none good. */
  status: 'signed' | 'missing' | 'invalid';
  /** Signatures looked at. */
  signatures: number;
  /** Why each one failed, when none verified. */
  problems: string[];
}

/**
 * Checks the cosign signatures of the image `digest` in `repository` of `reader` with `key`.
 * `found`: the `.sig` manifest already looked up (null: there is none), so it is not asked again.
 */
export async function checkCosignSignatures(reader: ContentReader, repository: string, digest: Digest, key: KeyObject, found?: Descriptor | null): Promise<SignatureCheck> {
  const tag = signatureTag(digest);
  const desc = found === undefined ? await reader.headManifest(repository, tag) : found;
  if (!desc) return { status: 'missing', signatures: 0, problems: [] };
  const fetched = await reader.getManifest(repository, desc.digest, desc.digest as Digest);
  const m = parseManifest(fetched.bytes, fetched.mediaType);
  const layers = m.kind === 'image' ? m.layers.filter((l) => l.mediaType === SIMPLE_SIGNING_TYPE) : [];
  const problems: string[] = [];
  for (const layer of layers) {
    const signature = layer.annotations?.[SIGNATURE_ANNOTATION];
    if (!signature) {
      problems.push(`${layer.digest}: no ${SIGNATURE_ANNOTATION} annotation`);
      continue;
    }
    if (layer.size > MAX_PAYLOAD_BYTES) {
      problems.push(`${layer.digest}: a payload of ${layer.size} bytes`);
      continue;
    }
    let payload: Buffer;
    try {
      payload = await readSignatureBlob(reader, repository, layer);
    } catch {
      problems.push(`${layer.digest}: the payload does not match its digest`);
      continue;
    }
    if (!verifiesWith(key, payload, signature)) {
      problems.push(`${layer.digest}: the signature does not verify with the key`);
      continue;
    }
    const named = payloadDigest(payload);
    if (named !== digest) {
      problems.push(`${layer.digest}: the payload names ${named ?? 'no image digest'}, not ${digest}`);
      continue;
    }
    return { status: 'signed', signatures: layers.length, problems: [] };
  }
  if (layers.length === 0) problems.push(`${tag} holds no ${SIMPLE_SIGNING_TYPE} layer`);
  return { status: 'invalid', signatures: layers.length, problems };
}
