import * as os from 'node:os';
import * as path from 'node:path';
import { formatReference, type ImageReference } from '../../ref/reference.js';

/**
 * The local store directory: `$AIRLOCK_STORE` when set, else `$XDG_CACHE_HOME/airlock/store`,
 * else `~/.cache/airlock/store`. Empty variables count as unset.
 */
export function defaultStoreDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.AIRLOCK_STORE) return path.resolve(env.AIRLOCK_STORE);
  if (env.XDG_CACHE_HOME) return path.join(path.resolve(env.XDG_CACHE_HOME), 'airlock', 'store');
  return path.join(os.homedir(), '.cache', 'airlock', 'store');
}

/**
 * The index.json name of an image in the store: the fully normalised reference
 * (`docker.io/library/nginx:latest`, `registry/repo@sha256:...` when pinned by digest only).
 */
export function storeName(ref: ImageReference): string {
  return formatReference(ref);
}
