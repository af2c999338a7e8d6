/**
 * Who may pull and who may push: users from an htpasswd file (bcrypt hashes, as
 * `htpasswd -B` writes them) over HTTP Basic authentication, push for the users named, pull
 * for every user (and for anyone with anonymous pull). A verified user:password pair is
 * remembered by its hash, so bcrypt's cost is paid once per client, not per request.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import bcrypt from 'bcryptjs';
import { AirlockError, ErrorCodes } from '../errors.js';

/** What a request wants to do. */
export type Want = 'pull' | 'push';

/** The answer: go on, ask for credentials (401), or refuse them (403). */
export type Verdict = 'ok' | 'unauthenticated' | 'denied';

/** Checks requests. */
export interface AccessPolicy {
  check(req: IncomingMessage, want: Want): Promise<Verdict>;
  /** The realm named in `WWW-Authenticate`. */
  readonly realm: string;
}

/** Everyone may do everything (no --htpasswd). */
export const OPEN_ACCESS: AccessPolicy = { realm: 'airlock', check: async () => 'ok' };

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

/** The policy of an htpasswd file. */
export async function htpasswdAccess(file: string, opts: { pushUsers: string[]; anonymousPull: boolean }): Promise<AccessPolicy> {
  const text = await readFile(file, 'utf8').catch((err: unknown) => {
    throw new AirlockError(ErrorCodes.USAGE, `--htpasswd ${file}: ${(err as Error).message}`, { file });
  });
  const users = parseHtpasswd(text, file);
  for (const u of opts.pushUsers) if (!users.has(u)) throw new AirlockError(ErrorCodes.USAGE, `--push-user ${u} is not in ${file}`);
  const push = new Set(opts.pushUsers);
  const verified = new Map<string, string>();
  const userOf = async (req: IncomingMessage): Promise<string | undefined> => {
    const m = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (!m) return undefined;
    const key = createHash('sha256').update(m[1]!).digest('hex');
    const known = verified.get(key);
    if (known !== undefined) return known;
    const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const user = decoded.slice(0, colon);
    const hash = users.get(user);
    if (colon <= 0 || !hash || !(await bcrypt.compare(decoded.slice(colon + 1), hash))) return undefined;
    verified.set(key, user);
    return user;
  };
  return {
    realm: 'airlock',
    async check(req, want) {
      const user = await userOf(req);
      if (user === undefined) return want === 'pull' && opts.anonymousPull && !req.headers.authorization ? 'ok' : 'unauthenticated';
      return want === 'pull' || push.has(user) ? 'ok' : 'denied';
    },
  };
}
