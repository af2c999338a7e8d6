/**
 * Pods read from the live Kubernetes API with @kubernetes/client-node: its kubeconfig
 * loading (KUBECONFIG, ~/.kube/config, or the in-cluster service account) and its
 * authentication (tokens, client certificates, exec plugins), so none of that is hand-written
 * here. Pods are listed across namespaces in pages (`limit`/`continue`).
 */
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
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
  const api = kc.makeApiClient(CoreV1Api);
  const timeoutMs = opts.timeoutMs ?? KUBE_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AirlockError(ErrorCodes.KUBE_API_FAILED, `${server}: no answer within ${timeoutMs / 1000} s (is the kubeconfig's server right?)`)), timeoutMs);
    timer.unref();
  });
  const list = async () => {
    const containers: AuditContainer[] = [];
    let pods = 0;
    let next: string | undefined;
    do {
      let page;
      try {
        page = await api.listPodForAllNamespaces({ limit: opts.pageSize ?? 500, ...(next ? { _continue: next } : {}) });
      } catch (err) {
        throw apiError(err, server);
      }
      for (const pod of page.items ?? []) containers.push(...containersOf(pod));
      pods += page.items?.length ?? 0;
      next = page.metadata?._continue || undefined;
    } while (next);
    return { server, containers, pods };
  };
  try {
    return await Promise.race([list(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
