import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors.js';
import { RegistryPool } from '../../src/transport/registry/pool.js';
import { makeImage } from '../helpers/fixtures.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { validateRegistryImage } from '../helpers/validate.js';
import { pushFixture } from './push.js';

describe('TLS registry with its own CA', () => {
  let reg: TestRegistry;

  beforeAll(async () => {
    reg = await startRegistry({ tls: true });
  });
  afterAll(async () => {
    await reg?.stop();
  });

  it('works over HTTPS when the host trusts the CA file', async () => {
    const pool = new RegistryPool({ hosts: { [reg.host]: { caFile: reg.caFile! } } });
    try {
      const client = pool.client(reg.host);
      expect(client.endpoint.origin).toBe(`https://${reg.host}`);
      const image = makeImage({ seed: 'tls-push' });
      await pushFixture(client, 'tls/app', image, 'v1');
      expect((await client.getManifest('tls/app', 'v1')).digest).toBe(image.manifestDesc.digest);
      await validateRegistryImage({ url: reg.url, repository: 'tls/app', reference: 'v1', caFile: reg.caFile! });
    } finally {
      await pool.close();
    }
  });

  it('fails with TLS_CONFIG_INVALID, without retrying, when the CA is not trusted', async () => {
    // Retries allowed and quick: were a TLS failure retried, the counts below would show it.
    const pool = new RegistryPool({ hosts: { [reg.host]: { insecure: false } }, retries: 4, retryBaseMs: 1 });
    try {
      const client = pool.client(reg.host);
      await expect(client.ping()).rejects.toMatchObject({ code: ErrorCodes.TLS_CONFIG_INVALID });
      // One attempt and no retry, although the pool retries connection errors up to 4 times.
      expect(client.stats()).toMatchObject({ requests: 1, retries: 0 });
    } finally {
      await pool.close();
    }
  });

  it('fails with TLS_CONFIG_INVALID when the CA file is missing', async () => {
    const pool = new RegistryPool({ hosts: { [reg.host]: { caFile: join(reg.dataDir, 'no-such-ca.pem') } } });
    try {
      await expect(pool.client(reg.host).ping()).rejects.toMatchObject({ code: ErrorCodes.TLS_CONFIG_INVALID });
    } finally {
      await pool.close();
    }
  });

  it('connects without verification when skipTlsVerify is set', async () => {
    const pool = new RegistryPool({ hosts: { [reg.host]: { skipTlsVerify: true } } });
    try {
      await pool.client(reg.host).ping();
    } finally {
      await pool.close();
    }
  });
});
