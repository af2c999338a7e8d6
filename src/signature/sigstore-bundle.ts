/**
 * Image signatures made as sigstore bundles (cosign 3's default, stored as OCI 1.1
 * referrers): a manifest whose subject is the image and whose one layer is the bundle JSON,
 * holding a DSSE envelope over an in-toto statement naming the image digest. Checked with a
 * public key only, offline: @sigstore/verify checks the signature over the envelope; the
 * transparency log and timestamps are not checked (their roots are on the internet), and the
 * statement's subject is checked here, which the library leaves to its caller.
 */
import type { KeyObject } from 'node:crypto';
import { bundleFromJSON } from '@sigstore/bundle';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import type { Descriptor } from '../oci/descriptor.js';
import { digestHex, type Digest } from '../oci/digest.js';
import { parseManifest } from '../oci/manifest.js';
import { BUNDLE_PREDICATE_ANNOTATION, COSIGN_SIGN_PREDICATE, isSigstoreBundleType } from '../referrers/kinds.js';
import type { ContentReader } from '../transport/types.js';
import { readSignatureBlob } from './blob.js';

/** The in-toto statement type a DSSE envelope of an image signature carries. */
const IN_TOTO_TYPE = 'application/vnd.in-toto+json';
/** Largest bundle read (a few KiB with a certificate chain and log entries). */
const MAX_BUNDLE_BYTES = 1024 * 1024;

type ByteReader = Pick<ContentReader, 'getManifest' | 'getBlob'>;

/** A verifier trusting only `key` (any hint), with no log, authority or timestamp thresholds. */
function keyVerifier(key: KeyObject): Verifier {
  const root = { mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1', tlogs: [], ctlogs: [], certificateAuthorities: [], timestampAuthorities: [] };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- an empty trusted root: the protobuf type wants fields offline use has none of.
  const trust = toTrustMaterial(root as any, () => ({ publicKey: key, validFor: () => true }));
  return new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 });
}

/**
 * Why the bundle JSON `json` is not a signature of `digest` by `key`, or undefined when it is:
 * the DSSE signature verifies, the payload is an in-toto statement of the cosign signing
 * predicate, and its subject names the image's sha256.
 */
export function bundleProblem(json: unknown, digest: Digest, key: KeyObject): string | undefined {
  let entity;
  let envelope;
  try {
    const bundle = bundleFromJSON(json);
    if (bundle.content.$case !== 'dsseEnvelope') return 'not a DSSE envelope (a blob signature, not an image signature)';
    envelope = bundle.content.dsseEnvelope;
    entity = toSignedEntity(bundle);
  } catch (err) {
    return `not a sigstore bundle: ${(err as Error).message}`;
  }
  try {
    // Log entries and timestamps need the public good instance's roots: offline, the key alone decides.
    keyVerifier(key).verify({ ...entity, tlogEntries: [], timestamps: [] });
  } catch (err) {
    return `the signature does not verify with the key (${(err as { code?: string }).code ?? (err as Error).message})`;
  }
  if (envelope.payloadType !== IN_TOTO_TYPE) return `the envelope carries ${envelope.payloadType}, not an in-toto statement`;
  let statement: { predicateType?: unknown; subject?: unknown };
  try {
    statement = JSON.parse(envelope.payload.toString('utf8')) as typeof statement;
  } catch {
    return 'the statement is not JSON';
  }
  if (statement.predicateType !== COSIGN_SIGN_PREDICATE) return `the statement is a ${String(statement.predicateType)}, not an image signature`;
  const subjects = Array.isArray(statement.subject) ? (statement.subject as { digest?: Record<string, unknown> }[]) : [];
  if (!subjects.some((s) => s?.digest?.sha256 === digestHex(digest))) return `the statement's subject is not ${digest}`;
  return undefined;
}

/** What checking the bundles among an image's referrers found. */
export interface BundleCheck {
  /** Bundles of image signatures looked at. */
  bundles: number;
  /** True when one verified. */
  signed: boolean;
  /** Why each one failed, when none verified. */
  problems: string[];
}

/** Checks the sigstore bundle signatures among `referrers` (OCI referrers of `digest`) with `key`. */
export async function checkBundleSignatures(reader: ByteReader, repository: string, digest: Digest, referrers: readonly Descriptor[], key: KeyObject): Promise<BundleCheck> {
  const candidates = referrers.filter((r) => isSigstoreBundleType(r.artifactType) && (r.annotations?.[BUNDLE_PREDICATE_ANNOTATION] ?? COSIGN_SIGN_PREDICATE) === COSIGN_SIGN_PREDICATE);
  const problems: string[] = [];
  for (const r of candidates) {
    const fetched = await reader.getManifest(repository, r.digest, r.digest);
    const m = parseManifest(fetched.bytes, fetched.mediaType);
    const layer = m.kind === 'image' ? m.layers.find((l) => isSigstoreBundleType(l.mediaType)) : undefined;
    if (!layer) {
      problems.push(`${r.digest}: no sigstore bundle layer`);
      continue;
    }
    if (layer.size > MAX_BUNDLE_BYTES) {
      problems.push(`${r.digest}: a bundle of ${layer.size} bytes`);
      continue;
    }
    let json: unknown;
    try {
      json = JSON.parse((await readSignatureBlob(reader, repository, layer)).toString('utf8'));
    } catch (err) {
      problems.push(`${r.digest}: ${(err as Error).message}`);
      continue;
    }
    const problem = bundleProblem(json, digest, key);
    if (problem === undefined) return { bundles: candidates.length, signed: true, problems: [] };
    problems.push(`${r.digest}: ${problem}`);
  }
  return { bundles: candidates.length, signed: false, problems };
}
