/**
 * The holder: one small blob per warm run that keeps the run's blobs from containerd's
 * garbage collector until images hold them. It is a collection root
 * (`containerd.io/gc.root=airlock-warm`) and names every blob of the run in a
 * `containerd.io/gc.ref.content.airlock.N` label, before any of them is sent: a blob is
 * protected from the moment it is committed (labels may name content not there yet), and
 * a run killed at any point leaves everything it sent protected for the rerun. Once the
 * images are named, the holder is deleted, and so are holders of earlier, killed runs whose
 * blobs these images now hold.
 */
import { randomBytes } from 'node:crypto';
import { AirlockError, ErrorCodes } from '../errors.js';
import { digestOf, type Digest } from '../oci/digest.js';
import type { Ctr } from './ctr.js';

/** The label that makes content a root for containerd's garbage collector. */
export const GC_ROOT_LABEL = 'containerd.io/gc.root';
/** Its value on a holder (so warm only ever deletes its own holders). */
export const GC_ROOT_MARK = 'airlock-warm';
/** Labels of a holder naming the blobs it keeps: this prefix and a number. */
export const HOLDER_REF_PREFIX = 'containerd.io/gc.ref.content.airlock.';

/** A garbage collection between committing the holder and labelling it takes it away: try again, this often. */
const HOLDER_TRIES = 3;

/** The labels of a holder of `digests`. */
export function holderLabels(digests: readonly Digest[]): Record<string, string> {
  const labels: Record<string, string> = { [GC_ROOT_LABEL]: GC_ROOT_MARK };
  digests.forEach((d, i) => {
    labels[`${HOLDER_REF_PREFIX}${i}`] = d;
  });
  return labels;
}

/** True when `labels` are a holder's. */
export function isHolder(labels: Record<string, string>): boolean {
  return labels[GC_ROOT_LABEL] === GC_ROOT_MARK && Object.keys(labels).some((k) => k.startsWith(HOLDER_REF_PREFIX));
}

/** The holders in `content` that keep nothing but blobs of `held` (which images hold now): safe to delete. */
export function holdersOf(content: ReadonlyMap<Digest, Record<string, string>>, held: ReadonlySet<string>): Digest[] {
  const out: Digest[] = [];
  for (const [digest, labels] of content) {
    if (!isHolder(labels)) continue;
    const kept = Object.entries(labels).filter(([k]) => k.startsWith(HOLDER_REF_PREFIX)).map(([, v]) => v);
    if (kept.every((d) => held.has(d))) out.push(digest);
  }
  return out;
}

/** Commits a new holder of `digests` into the namespace and returns its digest. */
export async function createHolder(ctr: Ctr, digests: readonly Digest[]): Promise<Digest> {
  const bytes = Buffer.from(JSON.stringify({ airlock: 'warm', run: `${process.pid}-${randomBytes(8).toString('hex')}`, blobs: digests.length }));
  const digest = digestOf(bytes);
  for (let attempt = 1; ; attempt++) {
    await ctr.ingestBytes(bytes, `airlock-warm-holder-${digest.slice(7, 23)}-${attempt}`);
    try {
      await ctr.label(digest, holderLabels(digests));
      return digest;
    } catch (err) {
      const stderr = err instanceof AirlockError && err.code === ErrorCodes.CONTAINERD_FAILED ? String(err.details.stderr ?? '') : '';
      if (!/not found/i.test(stderr) || attempt >= HOLDER_TRIES) throw err;
    }
  }
}
