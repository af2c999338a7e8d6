import { readFile } from 'node:fs/promises';
import { Agent, fetch } from 'undici';
import { MANIFEST_ACCEPT_HEADER as ACCEPT } from '../helpers/validate.js';


/** Where a registry answers; a TestRegistry fits. */
export interface ProbeTarget {
  url: string;
  caFile?: string;
}

/** Basic credentials for a probe. */
export interface ProbeCreds {
  username: string;
  password: string;
}

async function probe<T>(reg: ProbeTarget, fn: (dispatcher: Agent) => Promise<T>): Promise<T> {
  const ca = reg.caFile ? await readFile(reg.caFile, 'utf8') : undefined;
  const dispatcher = new Agent(ca ? { connect: { ca } } : {});
  try {
    return await fn(dispatcher);
  } finally {
    await dispatcher.close();
  }
}

function authHeader(creds: ProbeCreds | undefined): Record<string, string> {
  return creds ? { authorization: `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}` } : {};
}

/**
 * The HTTP status of `HEAD /v2/REPO/manifests/REF`, asked directly (no airlock code), with
 * Basic credentials when given: 200 present, 404 absent. Token-auth registries are not
 * handled (use validateRegistryImage there).
 */
export function manifestStatus(reg: ProbeTarget, repository: string, reference: string, creds?: ProbeCreds): Promise<number> {
  return probe(reg, async (dispatcher) => {
    const res = await fetch(`${reg.url}/v2/${repository}/manifests/${reference}`, {
      method: 'HEAD',
      headers: { accept: ACCEPT, ...authHeader(creds) },
      dispatcher,
    });
    await res.arrayBuffer();
    return res.status;
  });
}

/** The repositories a registry holds (`GET /v2/_catalog`), with Basic credentials when given. */
export function catalog(reg: ProbeTarget, creds?: ProbeCreds): Promise<string[]> {
  return probe(reg, async (dispatcher) => {
    const res = await fetch(`${reg.url}/v2/_catalog?n=1000`, { headers: authHeader(creds), dispatcher });
    if (!res.ok) throw new Error(`GET ${reg.url}/v2/_catalog: HTTP ${res.status}`);
    return ((await res.json()) as { repositories?: string[] }).repositories ?? [];
  });
}
