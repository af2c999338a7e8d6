/**
 * A stand-in for the Kubernetes API server, for what `airlock audit` and `kubectl get pods
 * -A -o json` ask of it: discovery (`/api`, `/api/v1`, `/apis`) and `/api/v1/pods` with
 * `limit`/`continue` pagination, over HTTPS with a bearer token or a client certificate,
 * answering 401 with a `Status` as the real server does. It serves recorded pods; a test
 * proves it faithful by running the real kubectl against it.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import type { TLSSocket } from 'node:tls';
import type { CertFiles } from './openssl.js';

/** A running stand-in. */
export interface KubeApi {
  url: string;
  /** Every request path (with query) it answered, in order. */
  requests: string[];
  stop(): Promise<void>;
}

const STATUS_401 = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 };

/** The discovery documents kubectl reads before listing pods (trimmed to pods, as real servers list them). */
const DISCOVERY: Record<string, unknown> = {
  '/api': { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1:6443' }] },
  '/apis': { kind: 'APIGroupList', apiVersion: 'v1', groups: [] },
  '/api/v1': {
    kind: 'APIResourceList',
    groupVersion: 'v1',
    resources: [{ name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'], shortNames: ['po'], categories: ['all'] }],
  },
  '/version': { major: '1', minor: '31', gitVersion: 'v1.31.4', platform: 'linux/amd64' },
};

/**
 * Serves `pods` (Pod objects as the API returns them) on a free loopback port with the
 * server certificate `tls`. A request is authorised by `Authorization: Bearer <token>` for
 * one of `tokens`, or by a client certificate `clientCa` signed.
 */
export async function startKubeApi(pods: readonly unknown[], tls: CertFiles, opts: { tokens?: string[]; clientCa?: string } = {}): Promise<KubeApi> {
  const requests: string[] = [];
  const server: Server = createServer(
    {
      cert: await readFile(tls.certFile),
      key: await readFile(tls.keyFile),
      ...(opts.clientCa ? { ca: await readFile(opts.clientCa), requestCert: true, rejectUnauthorized: false } : {}),
    },
    (req, res) => {
      const url = new URL(req.url ?? '/', 'https://localhost');
      requests.push(`${url.pathname}${url.search}`);
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const certOk = opts.clientCa !== undefined && (req.socket as TLSSocket).authorized;
      if (!certOk && !(bearer && opts.tokens?.includes(bearer))) return send(401, STATUS_401);
      if (url.pathname in DISCOVERY) return send(200, DISCOVERY[url.pathname]);
      if (url.pathname !== '/api/v1/pods') return send(404, { ...STATUS_401, message: 'the server could not find the requested resource', reason: 'NotFound', code: 404 });
      const limit = Number(url.searchParams.get('limit') ?? '0');
      const from = Number(url.searchParams.get('continue') ?? '0');
      const page = limit > 0 ? pods.slice(from, from + limit) : pods.slice(from);
      const next = limit > 0 && from + limit < pods.length ? String(from + limit) : undefined;
      send(200, { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '4242', ...(next ? { continue: next, remainingItemCount: pods.length - from - limit } : {}) }, items: page });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    requests,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A kubeconfig for `server` trusting `caFile`, with a token or a client certificate. */
export function kubeconfig(server: string, caFile: string, user: { token: string } | { certFile: string; keyFile: string }): string {
  const u = 'token' in user ? { token: user.token } : { 'client-certificate': user.certFile, 'client-key': user.keyFile };
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'test', cluster: { server, 'certificate-authority': caFile } }],
    users: [{ name: 'auditor', user: u }],
    contexts: [{ name: 'test', context: { cluster: 'test', user: 'auditor' } }],
    'current-context': 'test',
  });
}
