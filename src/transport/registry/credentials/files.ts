import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { AirlockError, ErrorCodes } from '../../../errors.js';
import { DOCKER_HUB } from '../../../ref/reference.js';
import type { Credentials } from './types.js';

/** One `auths` entry of Docker's config.json or containers' auth.json. */
export interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
}

/** The parts of config.json / auth.json used for credentials. */
export interface AuthConfigFile {
  auths?: Record<string, AuthEntry>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

/** The server address Docker uses for Docker Hub credentials. */
export const DOCKER_HUB_AUTH_KEY = 'https://index.docker.io/v1/';

const HUB_ALIASES = new Set([DOCKER_HUB, 'index.docker.io', 'registry-1.docker.io']);

/**
 * The credential files to consult, in order: containers' auth.json (`authFilePath`, else
 * `$REGISTRY_AUTH_FILE`, else `$XDG_RUNTIME_DIR/containers/auth.json` and
 * `$XDG_CONFIG_HOME/containers/auth.json`), then Docker's config.json (`dockerConfigPath`,
 * else `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`).
 */
export function credentialFilePaths(
  env: Record<string, string | undefined>,
  overrides: { authFilePath?: string; dockerConfigPath?: string } = {},
): string[] {
  const home = env.HOME || homedir();
  const paths: string[] = [];
  const explicitAuth = overrides.authFilePath ?? env.REGISTRY_AUTH_FILE;
  if (explicitAuth) {
    paths.push(explicitAuth);
  } else {
    if (env.XDG_RUNTIME_DIR) paths.push(join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json'));
    paths.push(join(env.XDG_CONFIG_HOME || join(home, '.config'), 'containers', 'auth.json'));
  }
  paths.push(
    overrides.dockerConfigPath ?? (env.DOCKER_CONFIG ? join(env.DOCKER_CONFIG, 'config.json') : join(home, '.docker', 'config.json')),
  );
  return paths;
}

/** Reads a credential file; null when it does not exist, CREDENTIALS_INVALID when it is not JSON. */
export async function readAuthConfig(path: string): Promise<AuthConfigFile | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw new AirlockError(ErrorCodes.CREDENTIALS_INVALID, `cannot read credential file ${path}: ${code ?? 'error'}`, {
      file: path,
    });
  }
  try {
    const json = JSON.parse(text) as unknown;
    if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error('not an object');
    return json as AuthConfigFile;
  } catch {
    throw new AirlockError(ErrorCodes.CREDENTIALS_INVALID, `credential file ${path} is not a JSON object`, { file: path });
  }
}

/**
 * The registry host a config key names, as Docker normalises it: scheme and path dropped
 * for URL-style keys (`https://index.docker.io/v1/` → `docker.io`). Keys with a repository
 * path (podman's `host/namespace`) name a repository, not a host: null.
 */
export function normaliseAuthKey(key: string): string | null {
  let k = key.trim().toLowerCase();
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//.exec(k);
  if (scheme) {
    k = k.slice(scheme[0].length);
    const slash = k.indexOf('/');
    if (slash >= 0) k = k.slice(0, slash);
  } else {
    k = k.replace(/\/+$/, '');
    if (k.includes('/')) return null;
  }
  return HUB_ALIASES.has(k) ? DOCKER_HUB : k;
}

function findKey<T>(map: Record<string, T> | undefined, host: string): T | undefined {
  if (!map || typeof map !== 'object') return undefined;
  const want = HUB_ALIASES.has(host) ? DOCKER_HUB : host.toLowerCase();
  if (Object.hasOwn(map, host)) return map[host];
  for (const [k, v] of Object.entries(map)) if (normaliseAuthKey(k) === want) return v;
  return undefined;
}

/** The `credHelpers` entry for `host`, if any. */
export function helperFor(file: AuthConfigFile, host: string): string | undefined {
  const h = findKey(file.credHelpers, host);
  return typeof h === 'string' && h !== '' ? h : undefined;
}

/**
 * Credentials stored inline for `host` (`auth` base64 `user:pass`, or username/password,
 * plus `identitytoken`); null when there is no usable entry. A malformed `auth` throws
 * CREDENTIALS_INVALID naming the file and host only.
 */
export function inlineCredentials(file: AuthConfigFile, host: string, path: string): Credentials | null {
  const entry = findKey(file.auths, host);
  if (!entry || typeof entry !== 'object') return null;
  const out: Credentials = {};
  if (typeof entry.auth === 'string' && entry.auth !== '') {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) {
      throw new AirlockError(
        ErrorCodes.CREDENTIALS_INVALID,
        `credential file ${path}: "auth" for ${host} is not base64 of user:password`,
        { file: path, host },
      );
    }
    out.username = decoded.slice(0, colon);
    out.password = decoded.slice(colon + 1);
  } else {
    if (typeof entry.username === 'string' && entry.username !== '') out.username = entry.username;
    if (typeof entry.password === 'string' && entry.password !== '') out.password = entry.password;
  }
  if (typeof entry.identitytoken === 'string' && entry.identitytoken !== '') out.identityToken = entry.identitytoken;
  if (out.password === undefined && out.identityToken === undefined) return null;
  return out;
}

/** The address a credential helper is asked about for `host`. */
export function helperServerUrl(host: string): string {
  return HUB_ALIASES.has(host) ? DOCKER_HUB_AUTH_KEY : host;
}
