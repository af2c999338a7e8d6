import { spawn } from 'node:child_process';
import { AirlockError, ErrorCodes } from '../../../errors.js';
import type { Credentials } from './types.js';

/** Longest a credential helper may take. */
const HELPER_TIMEOUT_MS = 30_000;

function helperFailed(name: string, serverUrl: string, why: string, cause?: unknown): AirlockError {
  return new AirlockError(
    ErrorCodes.CREDENTIAL_HELPER_FAILED,
    `credential helper docker-credential-${name} failed for ${serverUrl}: ${why}`,
    { helper: `docker-credential-${name}`, server: serverUrl },
    cause === undefined ? undefined : { cause },
  );
}

/**
 * Runs `docker-credential-NAME get` with `serverUrl` on stdin and parses its
 * `{Username, Secret}` answer. Returns null when the helper says it has no credentials
 * ("credentials not found"). Any other failure — missing executable, non-zero exit, bad
 * JSON, timeout — throws CREDENTIAL_HELPER_FAILED naming the helper, never the output.
 * A Username of `<token>` marks the secret as an identity token.
 */
export function runCredentialHelper(
  name: string,
  serverUrl: string,
  env: Record<string, string | undefined> = process.env,
): Promise<Credentials | null> {
  if (!/^[A-Za-z0-9._-]+$/.test(name)) {
    return Promise.reject(helperFailed(name, serverUrl, 'invalid helper name'));
  }
  return new Promise((resolve, reject) => {
    const child = spawn(`docker-credential-${name}`, ['get'], {
      env: env as NodeJS.ProcessEnv,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let settled = false;
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(() => reject(helperFailed(name, serverUrl, `no answer within ${HELPER_TIMEOUT_MS / 1000} s`)));
    }, HELPER_TIMEOUT_MS);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e: NodeJS.ErrnoException) => {
      const why = e.code === 'ENOENT' ? 'executable not found on PATH' : (e.code ?? 'could not start');
      finish(() => reject(helperFailed(name, serverUrl, why, e)));
    });
    // A helper that exits before reading stdin causes EPIPE here; the exit code tells the story.
    child.stdin.on('error', () => undefined);
    child.stdin.end(serverUrl);
    child.on('close', (code) => {
      finish(() => {
        const stdout = Buffer.concat(out).toString('utf8').trim();
        const stderr = Buffer.concat(err).toString('utf8').trim();
        if (code !== 0) {
          if (/credentials not found/i.test(stdout) || /credentials not found/i.test(stderr)) {
            resolve(null);
            return;
          }
          // Helper output may echo secrets; report only the exit code.
          reject(helperFailed(name, serverUrl, `exited with code ${code}`));
          return;
        }
        let json: { Username?: unknown; Secret?: unknown };
        try {
          json = JSON.parse(stdout) as { Username?: unknown; Secret?: unknown };
        } catch {
          reject(helperFailed(name, serverUrl, 'answer is not JSON'));
          return;
        }
        const username = typeof json.Username === 'string' ? json.Username : '';
        const secret = typeof json.Secret === 'string' ? json.Secret : '';
        if (secret === '') {
          resolve(null);
          return;
        }
        resolve(username === '<token>' ? { identityToken: secret } : { username, password: secret });
      });
    });
  });
}
