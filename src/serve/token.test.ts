import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Users } from './access.js';
import { parseScope, TokenAuthority, TOKEN_TTL_S } from './token.js';

const users: Users = {
  basicUser: async () => undefined,
  actionsOf: (u) => new Set(u === 'writer' ? ['pull', 'push', 'delete'] : u === undefined ? [] : ['pull']),
};
let dir: string;
beforeAll(async () => void (dir = await mkdtemp(join(tmpdir(), 'airlock-token-'))));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('parseScope', () => {
  it('keeps a registry host with its port in the name', () => {
    expect(parseScope('repository:registry.local:5000/ceph/ceph:pull,push')).toEqual({ type: 'repository', name: 'registry.local:5000/ceph/ceph', actions: ['pull', 'push'] });
    expect(parseScope('registry:catalog:*')).toEqual({ type: 'registry', name: 'catalog', actions: ['*'] });
    expect(parseScope('nonsense')).toBeUndefined();
  });
});

describe('TokenAuthority', () => {
  it('verifies its own tokens, refuses expired ones and ones signed with another key', async () => {
    const a = await TokenAuthority.create(users);
    const b = await TokenAuthority.create(users);
    const access = [{ type: 'repository', name: 'x/y', actions: ['pull'] }];
    const token = await a.issue('reader', access);
    expect(await a.verify(token)).toEqual(access);
    expect(await b.verify(token)).toBe('invalid');
    const old = await a.issue('reader', access, Date.now() - (TOKEN_TTL_S + 120) * 1000);
    expect(await a.verify(old)).toBe('expired');
  });

  it('replicas sharing --token-secret accept each other\'s tokens; a short secret is refused', async () => {
    const file = join(dir, 'secret');
    await writeFile(file, Buffer.alloc(32, 7));
    const [a, b] = await Promise.all([TokenAuthority.create(users, file), TokenAuthority.create(users, file)]);
    const access = [{ type: 'repository', name: 'x/y', actions: ['pull'] }];
    expect(await b.verify(await a.issue('reader', access))).toEqual(access);
    await writeFile(file, 'short');
    await expect(TokenAuthority.create(users, file)).rejects.toMatchObject({ code: 'USAGE' });
  });
});
