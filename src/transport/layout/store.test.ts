import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../errors.js';
import { digestOf } from '../../oci/digest.js';
import { parseReference } from '../../ref/reference.js';
import { createTransportContext } from '../context.js';
import { parseLocation } from '../location.js';
import { openSink, openSource } from '../open.js';
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

describe('oci: and store: locations', () => {
  it('open the right layout under the right name; store: alone names no image', async () => {
    const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'airlock-layout-loc-'));
    try {
      const ctx = createTransportContext({ storeDir: path.join(tmp, 'store') });
      const sink = await openSink(parseLocation(`oci:${tmp}/l:quay.io/a/b:1`), ctx);
      expect(sink.description).toBe(`oci:${tmp}/l:quay.io/a/b:1`);
      expect(sink.blobScope).toBe(`layout:${await fs.realpath(path.join(tmp, 'l'))}`);
      const storeSink = await openSink(parseLocation('store:nginx'), ctx);
      expect(storeSink.description).toBe('store:docker.io/library/nginx:latest');
      expect(storeSink.blobScope).toBe(`layout:${await fs.realpath(path.join(tmp, 'store'))}`);
      const source = await openSource(parseLocation(`oci:${tmp}/l`), ctx);
      expect(source.description).toBe(`oci:${tmp}/l`);
      await expect(openSource(parseLocation('store:'), ctx)).rejects.toMatchObject({ code: ErrorCodes.LOCATION_INVALID });
      await ctx.close();
    } finally {
      await fs.rm(tmp, { recursive: true, force: true });
    }
  });
});
