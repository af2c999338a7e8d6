import { describe, expect, it } from 'vitest';
import type { Digest } from '../oci/digest.js';
import { holderLabels, holdersOf, isHolder } from './holder.js';

const d = (c: string) => `sha256:${c.repeat(64)}` as Digest;

describe('holder', () => {
  it('is a collection root naming each blob it keeps', () => {
    expect(holderLabels([d('a'), d('b')])).toEqual({
      'containerd.io/gc.root': 'airlock-warm',
      'containerd.io/gc.ref.content.airlock.0': d('a'),
      'containerd.io/gc.ref.content.airlock.1': d('b'),
    });
    expect(isHolder(holderLabels([d('a')]))).toBe(true);
    // Someone else's root, or a plain manifest, is not one.
    expect(isHolder({ 'containerd.io/gc.root': '2024-01-01T00:00:00Z', 'containerd.io/gc.ref.content.airlock.0': d('a') })).toBe(false);
    expect(isHolder({ 'containerd.io/gc.ref.content.l.0': d('a') })).toBe(false);
  });

  it('holdersOf: only holders keeping nothing but blobs images now hold', () => {
    const content = new Map<Digest, Record<string, string>>([
      [d('1'), holderLabels([d('a'), d('b')])],
      [d('2'), holderLabels([d('a'), d('c')])],
      [d('3'), { 'containerd.io/gc.root': 'other' }],
      [d('a'), {}],
    ]);
    expect(holdersOf(content, new Set([d('a'), d('b')]))).toEqual([d('1')]);
    expect(holdersOf(content, new Set([d('a'), d('b'), d('c')]))).toEqual([d('1'), d('2')]);
    expect(holdersOf(content, new Set())).toEqual([]);
  });
});
