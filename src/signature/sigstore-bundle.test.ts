import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { imageSignatureBundle } from '../../test/helpers/signatures.js';
import type { Digest } from '../oci/digest.js';
import { bundleProblem } from './sigstore-bundle.js';

const image = `sha256:${'ab'.repeat(32)}` as Digest;
const other = `sha256:${'cd'.repeat(32)}` as Digest;
const keys = {
  ec: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  rsa: generateKeyPairSync('rsa', { modulusLength: 2048 }),
  ed: generateKeyPairSync('ed25519'),
};
const json = (b: Buffer): unknown => JSON.parse(b.toString('utf8'));

describe('sigstore bundle image signatures, checked with a key offline', () => {
  it('verifies a bundle made with ECDSA P-256, RSA or Ed25519 for the image', () => {
    for (const pair of Object.values(keys)) expect(bundleProblem(json(imageSignatureBundle(image, pair.privateKey)), image, pair.publicKey)).toBeUndefined();
  });

  it('refuses another key, another subject, another predicate, a tampered payload, and what is not a bundle', () => {
    const good = imageSignatureBundle(image, keys.ec.privateKey);
    expect(bundleProblem(json(good), image, keys.rsa.publicKey)).toMatch(/does not verify with the key/);
    expect(bundleProblem(json(good), other, keys.ec.publicKey)).toMatch(/subject is not/);
    expect(bundleProblem(json(imageSignatureBundle(image, keys.ec.privateKey, { predicateType: 'https://slsa.dev/provenance/v1' })), image, keys.ec.publicKey)).toMatch(/not an image signature/);
    const tampered = json(good) as { dsseEnvelope: { payload: string } };
    const statement = JSON.parse(Buffer.from(tampered.dsseEnvelope.payload, 'base64').toString('utf8')) as { subject: { digest: { sha256: string } }[] };
    statement.subject[0]!.digest.sha256 = other.slice(7);
    tampered.dsseEnvelope.payload = Buffer.from(JSON.stringify(statement)).toString('base64');
    expect(bundleProblem(tampered, other, keys.ec.publicKey)).toMatch(/does not verify/);
    expect(bundleProblem({ hello: 'world' }, image, keys.ec.publicKey)).toMatch(/not a sigstore bundle/);
  });
});
