/**
 * Who may pull and who may push: users from an htpasswd file (bcrypt hashes, as
 * `htpasswd -B` writes them), pull for every user (and for anyone with anonymous pull), push
 * and delete for the users named. Requests carry HTTP Basic credentials, or, with the token
 * flow (token.ts), a short-lived token scoped to repositories and actions. A verified
 * user:password pair is remembered by its hash, so bcrypt's cost is paid once per client.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import bcrypt from 'bcryptjs';
import { AirlockError, ErrorCodes } from '../errors.js';

/** An action on a resource, in the Docker token scope's words. */
export type Action = 'pull' | 'push' | 'delete';

/** What a request needs: an action on `repository:NAME` or `registry:catalog`. */
export interface Need {
  type: 'repository' | 'registry';
  name: string;
  action: Action;
}

/** The answer: go on, or refuse with a status, the spec's code, and the challenge to send with a 401. */
export type Verdict = { ok: true } | { ok: false; status: 401 | 403; code: 'UNAUTHORIZED' | 'DENIED'; message: string; challenge?: string };

/** Checks requests. */
export interface AccessPolicy {
  /** Whether `req` may do `need`; `base` is the server's own URL (`https://host:port`), for token realms. */
  check(req: IncomingMessage, need: Need, base: string): Promise<Verdict>;
}

/** Everyone may do everything (no --htpasswd). */
export const OPEN_ACCESS: AccessPolicy = { check: async () => ({ ok: true }) };

export const ALLOWED: Verdict = { ok: true };

/** The realm named in Basic challenges. */
export const REALM = 'airlock';

/** Parses an htpasswd file's text: user -> bcrypt hash. USAGE for a line that is not `user:bcrypt-hash`. */
export function parseHtpasswd(text: string, file: string): Map<string, string> {
  const users = new Map<string, string>();
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    const user = line.slice(0, colon);
    const hash = line.slice(colon + 1);
    if (colon <= 0 || !/^\$2[aby]\$\d\d\$.{53}$/.test(hash)) {
      throw new AirlockError(ErrorCodes.USAGE, `${file}:${i + 1}: not user:bcrypt-hash (htpasswd -B writes those; other hash kinds are not accepted)`, { file, line: i + 1 });
    }
    users.set(user, hash);
  }
  return users;
}

/** The users of an htpasswd file and what each may do. */
export interface Users {
  /** The user of a `Basic` Authorization header; null for wrong credentials, undefined when there are none. */
  basicUser(authorization: string | undefined): Promise<string | null | undefined>;
  /** The actions `user` (undefined: anonymous) may take. */
  actionsOf(user: string | undefined): Set<Action>;
}

/** Reads `file` (htpasswd, bcrypt) into Users. USAGE when it cannot be read or a push user is not in it. */
export async function htpasswdUsers(file: string, opts: { pushUsers: string[]; anonymousPull: boolean }): Promise<Users> {
  const text = await readFile(file, 'utf8').catch((err: unknown) => {
    throw new AirlockError(ErrorCodes.USAGE, `--htpasswd ${file}: ${(err as Error).message}`, { file });
  });
  const users = parseHtpasswd(text, file);
  for (const u of opts.pushUsers) if (!users.has(u)) throw new AirlockError(ErrorCodes.USAGE, `--push-user ${u} is not in ${file}`);
  const push = new Set(opts.pushUsers);
  const verified = new Map<string, string>();
  return {
    async basicUser(authorization) {
      const m = /^Basic\s+(\S+)$/i.exec(authorization ?? '');
      if (!m) return undefined;
      const key = createHash('sha256').update(m[1]!).digest('hex');
      const known = verified.get(key);
      if (known !== undefined) return known;
      const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const user = decoded.slice(0, colon);
      const hash = users.get(user);
      if (colon <= 0 || !hash || !(await bcrypt.compare(decoded.slice(colon + 1), hash))) return null;
      verified.set(key, user);
      return user;
    },
    actionsOf(user) {
      if (user === undefined) return new Set(opts.anonymousPull ? ['pull'] : []);
      return new Set(push.has(user) ? ['pull', 'push', 'delete'] : ['pull']);
    },
  };
}

/** The refusal for `need` when the caller has no (or wrong) credentials: 401 with `challenge`. */
export function unauthenticated(challenge: string): Verdict {
  return { ok: false, status: 401, code: 'UNAUTHORIZED', message: 'authentication required', challenge };
}

/** The refusal for an authenticated caller who may not do `need`: 403. */
export function denied(need: Need): Verdict {
  return { ok: false, status: 403, code: 'DENIED', message: `this user may not ${need.action} ${need.type === 'registry' ? 'the catalog' : need.name}` };
}

/**
 * The verdict on HTTP Basic credentials (or none) for `need`: wrong credentials, or none where
 * anonymous users may not, are asked for with `challenge`; a user without the right is denied.
 */
export async function basicVerdict(users: Users, authorization: string | undefined, need: Need, challenge: string): Promise<Verdict> {
  const user = await users.basicUser(authorization);
  if (user === null || (user === undefined && !users.actionsOf(undefined).has(need.action))) return unauthenticated(challenge);
  return users.actionsOf(user).has(need.action) ? ALLOWED : denied(need);
}

/** HTTP Basic against `users`. */
export function basicAccess(users: Users): AccessPolicy {
  return { check: (req, need) => basicVerdict(users, req.headers.authorization, need, `Basic realm="${REALM}"`) };
}
