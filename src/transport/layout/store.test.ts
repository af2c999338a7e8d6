import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../errors.js';
import { digestOf } from '../../oci/digest.js';
import { parseLocation } from '../../ref/location.js';
import { parseReference } from '../../ref/reference.js';
import { openLayoutSink, openLayoutSource, type LayoutLocation } from './open.js';
import { defaultStoreDir, storeName } from './store.js';

describe('defaultStoreDir', () => {
  it('prefers $AIRLOCK_STORE, then $XDG_CACHE_HOME, then ~/.cache', () => {
    expect(defaultStoreDir({ AIRLOCK_STORE: '/srv/airlock', XDG_CACHE_HOME: '/c' })).toBe('/srv/airlock');
    expect(defaultStoreDir({ XDG_CACHE_HOME: '/c' })).toBe(path.join('/c', 'airlock', 'store'));
    expect(defaultStoreDir({ AIRLOCK_STORE: '', XDG_CACHE_HOME: '' })).toBe(path.join(os.homedir(), '.cache', 'airlock', 'store'));
  });
});

describe('storeName', () => {
  it('is the fully normalised reference', () => {
    expect(storeName(parseReference('nginx'))).toBe('docker.io/library/nginx:latest');
    expect(storeName(parseReference('quay.io/ceph/ceph:v18'))).toBe('quay.io/ceph/ceph:v18');
    const d = digestOf('x');
    expect(storeName(parseReference(`localhost:5000/a/b@${d}`))).toBe(`localhost:5000/a/b@${d}`);
  });
});

describe('openLayoutSource and openLayoutSink', () => {
  it('map oci: and store: locations to the right layout and name', async () => {
    const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-layout-loc-'));
    try {
      const sink = await openLayoutSink(parseLocation(`oci:${tmp}/l:quay.io/a/b:1`) as LayoutLocation);
      expect(sink.name).toBe('quay.io/a/b:1');
      expect(sink.description).toBe(`oci:${tmp}/l:quay.io/a/b:1`);
      const storeSink = await openLayoutSink(parseLocation('store:nginx') as LayoutLocation, path.join(tmp, 'store'));
      expect(storeSink.name).toBe('docker.io/library/nginx:latest');
      expect(storeSink.layout.dir).toBe(await fs.realpath(path.join(tmp, 'store')));
      const source = await openLayoutSource(parseLocation(`oci:${tmp}/l`) as LayoutLocation);
      expect(source.name).toBeUndefined();
      await expect(openLayoutSource(parseLocation('store:') as LayoutLocation, tmp)).rejects.toMatchObject({
        code: ErrorCodes.LOCATION_INVALID,
      });
    } finally {
      await fs.rm(tmp, { recursive: true, force: true });
    }
  });
});
