import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { AirlockError, ErrorCodes } from '../errors.js';
import { DOCKER_HUB, DOCKER_HUB_API } from '../ref/reference.js';
import type { CredentialSource, ImageSet } from './types.js';

/** A user name and password for one registry: fits `RegistryOptions.hosts[host]`. */
export interface RegistryCredential {
  username: string;
  password: string;
}

/** Reads a secret file as text. */
export type ReadSecretFile = (path: string) => string;

function fail(registry: string, message: string, details: Record<string, string>): AirlockError {
  return new AirlockError(ErrorCodes.CREDENTIALS_INVALID, `credentials for ${registry}: ${message}`, { registry, ...details });
}

/** Keys as references spell the host: lower-case, Docker Hub's aliases as `docker.io`. */
function hostKey(registry: string): string {
  const h = registry.toLowerCase();
  return h === 'index.docker.io' || h === DOCKER_HUB_API ? DOCKER_HUB : h;
}

function fromEnv(registry: string, variable: string, env: Record<string, string | undefined>): string {
  const v = env[variable];
  if (v === undefined || v === '') throw fail(registry, `environment variable ${variable} is not set`, { variable });
  return v;
}

function resolveOne(
  registry: string,
  src: CredentialSource,
  env: Record<string, string | undefined>,
  readFile: ReadSecretFile,
  baseDir: string,
): RegistryCredential {
  const username = src.username ?? (src.username_env !== undefined ? fromEnv(registry, src.username_env, env) : undefined);
  if (username === undefined) throw fail(registry, 'no username or username_env', {});
  let password: string;
  if (src.password_env !== undefined) {
    password = fromEnv(registry, src.password_env, env);
  } else if (src.password_file !== undefined) {
    const file = resolve(baseDir, src.password_file);
    try {
      // Secret files usually end with a newline that is not part of the secret.
      password = readFile(file).replace(/\r?\n$/, '');
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code ?? 'unreadable';
      throw fail(registry, `cannot read password_file ${src.password_file} (${why})`, { file: src.password_file });
    }
    if (password === '') throw fail(registry, `password_file ${src.password_file} is empty`, { file: src.password_file });
  } else {
    throw fail(registry, 'no password_env or password_file', {});
  }
  return { username, password };
}

/**
 * Reads every registry's credentials of an image set from the environment and files, keyed
 * by registry host as references spell it (ready for `RegistryOptions.hosts`). Relative
 * `password_file` paths are relative to the image set file. An unset variable or unreadable
 * file throws CREDENTIALS_INVALID naming the registry and the variable or file, never a secret.
 */
export function registryCredentials(
  set: Pick<ImageSet, 'credentials' | 'file'>,
  env: Record<string, string | undefined> = process.env,
  readFile: ReadSecretFile = (path) => readFileSync(path, 'utf8'),
): Record<string, RegistryCredential> {
  const baseDir = set.file ? dirname(resolve(set.file)) : process.cwd();
  const out: Record<string, RegistryCredential> = {};
  for (const [registry, src] of Object.entries(set.credentials)) {
    out[hostKey(registry)] = resolveOne(registry, src, env, readFile, baseDir);
  }
  return out;
}
