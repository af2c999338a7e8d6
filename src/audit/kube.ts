/**
 * Pods read from the live Kubernetes API with @kubernetes/client-node: its kubeconfig
 * loading (KUBECONFIG, ~/.kube/config, or the in-cluster service account) and its
 * authentication (tokens, client certificates, exec plugins, applied to the request by
 * `applyToHTTPSOptions`), so none of that is hand-written here. Pods are listed across
 * namespaces in pages (`limit`/`continue`), each page parsed as plain JSON: the client's
 * typed models cost seconds on a big cluster and the audit reads a few fields.
 */
import { request, type RequestOptions } from 'node:https';
import { request as plainRequest } from 'node:http';
import { KubeConfig } from '@kubernetes/client-node';
import { AirlockError, ErrorCodes } from '../errors.js';
import { containersOf, type AuditContainer } from './pods.js';

/** Where the API is and how long to wait for it. */
export interface KubeOptions {
  /** A kubeconfig file (else KUBECONFIG, ~/.kube/config, or the in-cluster account). */
  kubeconfig?: string;
  /** A context of the kubeconfig (else its current context). */
  context?: string;
  /** How long the whole listing may take (default 30 s). */
  timeoutMs?: number;
  /** Pods per page. */
  pageSize?: number;
}

/** The default for `timeoutMs`: long enough for a big cluster's pages, short enough to fail fast on an address that never answers. */
export const KUBE_TIMEOUT_MS = 30_000;

/** The error for a failed call: 401/403 (an expired or wrong token) apart from everything else. */
function apiError(err: unknown, server: string): AirlockError {
  const code = (err as { code?: unknown }).code;
  if (code === 401 || code === 403) {
    return new AirlockError(ErrorCodes.KUBE_API_UNAUTHORIZED, `${server}: the API refused the credentials (HTTP ${code}${code === 401 ? ': an expired or wrong token, or an unknown certificate' : ': not allowed to list pods in all namespaces'})`, { status: code });
  }
  const message = (err as Error).message ?? String(err);
  return new AirlockError(ErrorCodes.KUBE_API_FAILED, `${server}: cannot list pods: ${typeof code === 'number' ? `HTTP ${code}` : message}`, typeof code === 'number' ? { status: code } : {});
}

/** The kubeconfig as options say; KUBE_API_FAILED for one that cannot be read or names an unknown context. */
function loadConfig(opts: KubeOptions): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (opts.kubeconfig) kc.loadFromFile(opts.kubeconfig);
    else kc.loadFromDefault();
    if (opts.context) {
      if (!kc.getContextObject(opts.context)) throw new Error(`no context "${opts.context}" (it has ${kc.getContexts().map((c) => c.name).join(', ') || 'none'})`);
      kc.setCurrentContext(opts.context);
    }
  } catch (err) {
    throw new AirlockError(ErrorCodes.KUBE_API_FAILED, `kubeconfig ${opts.kubeconfig ?? '(default)'}: ${(err as Error).message}`);
  }
  if (!kc.getCurrentCluster()) throw new AirlockError(ErrorCodes.KUBE_API_FAILED, `kubeconfig ${opts.kubeconfig ?? '(default)'}: no cluster in the current context`);
  return kc;
}

/**
 * Every container of every pod in the cluster. KUBE_API_UNAUTHORIZED when the credentials
 * are refused; KUBE_API_FAILED when the API cannot be reached, answers an error, or the
 * listing takes longer than `timeoutMs`.
 */
export async function listClusterContainers(opts: KubeOptions = {}): Promise<{ server: string; containers: AuditContainer[]; pods: number }> {
  const kc = loadConfig(opts);
  const server = kc.getCurrentCluster()!.server;
  const timeoutMs = opts.timeoutMs ?? KUBE_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AirlockError(ErrorCodes.KUBE_API_FAILED, `${server}: no answer within ${timeoutMs / 1000} s (is the kubeconfig's server right?)`)), timeoutMs);
    timer.unref();
  });
  const pageUrl = (next: string | undefined): URL => {
    // The server may sit under a path (a proxy): the API is below it.
    const url = new URL(server);
    url.pathname = `${url.pathname.replace(/\/+$/, '')}/api/v1/pods`;
    url.searchParams.set('limit', String(opts.pageSize ?? 500));
    if (next) url.searchParams.set('continue', next);
    return url;
  };
  const fetchPage = (next: string | undefined) =>
    getJson(kc, pageUrl(next)).catch((err: unknown) => {
      throw apiError(err, server);
    });
  const list = async () => {
    const containers: AuditContainer[] = [];
    let pods = 0;
    let pending: Promise<Record<string, unknown>> | undefined = fetchPage(undefined);
    while (pending) {
      const page: Record<string, unknown> = await pending;
      const next = (page.metadata as { continue?: string } | undefined)?.continue || undefined;
      // The next page is asked for before this one is read: the server works while we do.
      pending = next ? fetchPage(next) : undefined;
      pending?.catch(() => undefined);
      const items = Array.isArray(page.items) ? (page.items as unknown[]) : [];
      for (const pod of items) containers.push(...containersOf(pod));
      pods += items.length;
    }
    return { server, containers, pods };
  };
  try {
    return await Promise.race([list(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The largest page body read. */
const MAX_PAGE_BYTES = 256 * 1024 * 1024;

/** GETs `url` with the kubeconfig's TLS settings and credentials; the JSON body of a 200, else an error carrying `code` (the status). */
async function getJson(kc: KubeConfig, url: URL): Promise<Record<string, unknown>> {
  const opts: RequestOptions = { method: 'GET', headers: { accept: 'application/json' } };
  await kc.applyToHTTPSOptions(opts);
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'http:' ? plainRequest : request;
    const req = send(url, opts, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        // One page of pods is a few MiB; an endless body is cut off rather than held.
        if (size > MAX_PAGE_BYTES) return req.destroy(new Error(`a page of over ${MAX_PAGE_BYTES / 1024 / 1024} MiB`));
        chunks.push(c);
      });
      res.on('error', reject);
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200) return reject(Object.assign(new Error(`HTTP ${res.statusCode}: ${body.slice(0, 300)}`), { code: res.statusCode }));
        try {
          resolve(JSON.parse(body) as Record<string, unknown>);
        } catch {
          reject(new Error('the API answered something that is not JSON'));
        }
      });
    });
    req.on('error', reject);
    req.end();
  });
}
