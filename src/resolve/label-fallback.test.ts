/**
 * tag_from_label's TripleO fallback (`tag_from_label_fallback: tag`): a missing label keeps
 * the tag instead of failing, resolved from a store on disk (no network).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeImage, writeOciLayout } from '../../test/helpers/fixtures.js';
import type { PlannedImage } from '../imageset/types.js';
import { parsePlatform } from '../oci/platform.js';
import { parseReference } from '../ref/reference.js';
import { createTransportContext, type TransportContext } from '../transport/context.js';
import { parseNamespace } from '../transport/location.js';
import { tagFromLabels } from './labels.js';
import { resolvePlan } from './resolver.js';

const REG = 'registry.example:5000';
const labelled = makeImage({ seed: 'fallback/labelled', labels: { rdo_version: '17.1.2-3', version: '17.1.2' } });
const unlabelled = makeImage({ seed: 'fallback/unlabelled', labels: { vendor: 'x' } });

let dir: string;
let ctx: TransportContext;

function planned(key: string, ref: string, tagFromLabel: PlannedImage['tagFromLabel']): PlannedImage {
  return {
    key,
    template: ref,
    source: parseReference(`${REG}/${ref}`),
    params: {},
    rules: [],
    labelPlatform: parsePlatform('linux/amd64'),
    ...(tagFromLabel ? { tagFromLabel } : {}),
  };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airlock-label-fallback-'));
  ctx = createTransportContext({ storeDir: dir, registries: { retries: 0 } });
  await writeOciLayout(dir, [
    { name: `${REG}/tripleo/nova-api:current-tripleo`, image: labelled },
    { name: `${REG}/tripleo/nova-api:17.1.2-3`, image: labelled },
    { name: `${REG}/ceph/daemon:v6`, image: unlabelled },
  ]);
});

afterAll(async () => {
  await ctx?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('tagFromLabels with a fallback tag', () => {
  it('keeps the fallback tag and lists only the labels the image has', () => {
    expect(tagFromLabels('{version}-{release}', { version: '1' }, 'k', 'current')).toEqual({ tag: 'current', labels: { version: '1' }, fellBack: true });
    expect(tagFromLabels('rdo_version', { rdo_version: '' }, 'k', 'current')).toEqual({ tag: 'current', labels: {}, fellBack: true });
    // Present labels win over the fallback.
    expect(tagFromLabels('rdo_version', { rdo_version: '2' }, 'k', 'current')).toEqual({ tag: '2', labels: { rdo_version: '2' } });
  });
});

describe('resolving with tag_from_label_fallback', () => {
  const from = () => parseNamespace('store:');

  it('fallback tag: an image without the label is pinned at its own tag; one with it moves to the label', async () => {
    const lock = await resolvePlan(
      [
        planned('ceph', 'ceph/daemon:v6', { value: 'rdo_version', rule: 0, fallback: 'tag' }),
        planned('nova', 'tripleo/nova-api:current-tripleo', { value: 'rdo_version', rule: 0, fallback: 'tag' }),
      ],
      { ctx, from: from() },
    );
    expect(lock.images.ceph!.tag).toBe('v6');
    expect(lock.images.ceph!.digest).toBe(unlabelled.manifestDesc.digest);
    expect(lock.images.ceph!.origin.tag_from_label).toEqual({ template: 'rdo_version', from_tag: 'v6', labels: {}, rule: 0 });
    expect(lock.images.nova!.tag).toBe('17.1.2-3');
    expect(lock.images.nova!.origin.tag_from_label).toMatchObject({ from_tag: 'current-tripleo', labels: { rdo_version: '17.1.2-3' } });
  });

  it('without the fallback (the default) a missing label is still LABEL_MISSING', async () => {
    await expect(resolvePlan([planned('ceph', 'ceph/daemon:v6', { value: 'rdo_version' })], { ctx, from: from() })).rejects.toMatchObject({
      code: 'LABEL_MISSING',
    });
    await expect(
      resolvePlan([planned('ceph', 'ceph/daemon:v6', { value: 'rdo_version', fallback: 'error' })], { ctx, from: from() }),
    ).rejects.toMatchObject({ code: 'LABEL_MISSING' });
  });
});
