import { describe, expect, it } from 'vitest';
import { parseContentList, parseImagesCheck, parseImagesList } from './ctr.js';

const A = `sha256:${'a'.repeat(64)}`;
const B = `sha256:${'b'.repeat(64)}`;

describe('ctr output', () => {
  it('images ls: name and target digest', () => {
    const text = [
      'REF                TYPE                                       DIGEST    SIZE      PLATFORMS   LABELS ',
      `reg.example/ks:1   application/vnd.oci.image.index.v1+json    ${A} 546.7 KiB linux/amd64,linux/arm64/v8 -      `,
      `reg.example/nova:1 application/vnd.oci.image.manifest.v1+json ${B} 641.3 KiB linux/amd64 -`,
      '',
    ].join('\n');
    expect(parseImagesList(text)).toEqual(new Map([['reg.example/ks:1', A], ['reg.example/nova:1', B]]));
    expect(parseImagesList('REF TYPE DIGEST SIZE PLATFORMS LABELS\n')).toEqual(new Map());
  });

  it('content ls: digests and labels (tab-separated; the age has spaces)', () => {
    const text = [
      'DIGEST\tSIZE\tAGE\t\t\tLABELS',
      `${A}\t670B\t2 minutes\tcontainerd.io/gc.ref.content.m.0=${B},containerd.io/gc.root=airlock-warm`,
      `${B}\t164.2kB\tLess than a second\t-`,
      '',
    ].join('\n');
    expect(parseContentList(text)).toEqual(
      new Map([
        [A, { 'containerd.io/gc.ref.content.m.0': B, 'containerd.io/gc.root': 'airlock-warm' }],
        [B, {}],
      ]),
    );
  });

  it('images check: unpacked per image (status and size hold spaces)', () => {
    const text = [
      'REF                TYPE                                       DIGEST   STATUS           SIZE                UNPACKED ',
      `reg.example/ks:1   application/vnd.oci.image.index.v1+json    ${A} complete (3/3)   545.4 KiB/545.4 KiB true`,
      `reg.example/nova:1 application/vnd.oci.image.manifest.v1+json ${B} incomplete (2/3) 385.0 KiB/641.3 KiB false`,
    ].join('\n');
    expect(parseImagesCheck(text)).toEqual(new Map([['reg.example/ks:1', true], ['reg.example/nova:1', false]]));
  });
});
