import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../../../src/admission/types';
import { createCertificateAuthority, issueServingCertificate } from '../../../src/tls/certificates';

/** Collections the fake serves: core v1, and the Istio kinds at v1. */
const COLLECTIONS: Record<string, string> = {
  '/api/v1/namespaces': 'Namespace',
  '/api/v1/services': 'Service',
  '/apis/networking.istio.io/v1/virtualservices': 'VirtualService',
  '/apis/networking.istio.io/v1/destinationrules': 'DestinationRule',
  '/apis/networking.istio.io/v1/gateways': 'Gateway',
  '/apis/networking.istio.io/v1/serviceentries': 'ServiceEntry',
  '/apis/security.istio.io/v1/peerauthentications': 'PeerAuthentication',
  '/apis/security.istio.io/v1/authorizationpolicies': 'AuthorizationPolicy',
};

const PATH_OF_KIND = Object.fromEntries(Object.entries(COLLECTIONS).map(([p, k]) => [k, p]));

interface OpenWatch {
  path: string;
  res: ServerResponse;
}

export interface FakeKubeApiServer {
  /** A kubeconfig for it (HTTPS with its own CA, a bearer token), for KUBECONFIG. */
  kubeconfig: string;
  url: string;
  /** "GET /path?query" of every request, in order. */
  requests: string[];
  /** Adds or replaces an object; open watches see ADDED or MODIFIED at once. */
  put(object: KubeObject): void;
  /** Deletes an object; open watches see DELETED. */
  remove(object: KubeObject): void;
  /** Lists of these kinds wait this long before answering. */
  listDelayMs: Partial<Record<string, number>>;
  /** Kinds whose lists and watches answer 403. */
  forbidden: Set<string>;
  openWatches(): number;
  close(): Promise<void>;
}

const keyOf = (o: KubeObject) => {
  const m = o.metadata as { namespace?: string; name: string };
  return `${m.namespace ?? ''}/${m.name}`;
};

/**
 * Just enough of a Kubernetes API server for the cluster view over the real @kubernetes/client-node: HTTPS with a
 * bearer token, paged lists with a resourceVersion, and streaming watches (newline-delimited JSON events, from a
 * resourceVersion, bookmarks off, ended after timeoutSeconds). Everything on 127.0.0.1.
 */
export async function startFakeKubeApiServer(): Promise<FakeKubeApiServer> {
  const token = 'fake-token-for-tests';
  const ca = await createCertificateAuthority('fake kube-apiserver CA', 1);
  const serving = await issueServingCertificate(ca, ['localhost', '127.0.0.1'], 1);
  let rv = 1000;
  const store = new Map<string, Map<string, KubeObject>>();
  const history: Array<{ path: string; rv: number; line: string }> = [];
  const watches = new Set<OpenWatch>();
  const requests: string[] = [];
  const listDelayMs: Partial<Record<string, number>> = {};
  const forbidden = new Set<string>();

  const bucket = (path: string) => {
    let b = store.get(path);
    if (b === undefined) {
      b = new Map();
      store.set(path, b);
    }
    return b;
  };
  const emit = (path: string, type: string, object: KubeObject) => {
    const line = `${JSON.stringify({ type, object })}\n`;
    history.push({ path, rv, line });
    for (const w of watches) if (w.path === path) w.res.write(line);
  };
  const status = (res: ServerResponse, code: number, reason: string, message: string) => {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, code, message }));
  };

  const server: Server = createServer({ cert: serving.certPem, key: serving.keyPem }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    if (req.headers.authorization !== `Bearer ${token}`) return status(res, 401, 'Unauthorized', 'Unauthorized');
    const kind = COLLECTIONS[url.pathname];
    if (req.method !== 'GET' || kind === undefined)
      return status(res, 404, 'NotFound', 'the server could not find the requested resource');
    if (forbidden.has(kind))
      return status(
        res,
        403,
        'Forbidden',
        `${url.pathname} is forbidden: User "system:serviceaccount:meshguard:meshguard" cannot list`,
      );
    const path = url.pathname;
    if (url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1') {
      const from = Number(url.searchParams.get('resourceVersion') ?? '0');
      res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
      for (const h of history) if (h.path === path && h.rv > from) res.write(h.line);
      const w: OpenWatch = { path, res };
      watches.add(w);
      const timeout = Number(url.searchParams.get('timeoutSeconds') ?? '0');
      const timer = timeout > 0 ? setTimeout(() => res.end(), timeout * 1000) : undefined;
      const forget = () => {
        if (timer) clearTimeout(timer);
        watches.delete(w);
      };
      res.on('close', forget);
      req.on('close', forget);
      return;
    }
    const answer = () => {
      const items = [...bucket(path).values()];
      const limit = Number(url.searchParams.get('limit') ?? '0') || items.length || 1;
      const start = Number(url.searchParams.get('continue') ?? '0');
      const page = items.slice(start, start + limit);
      const more = start + limit < items.length;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          kind: `${kind}List`,
          apiVersion: path.startsWith('/api/') ? 'v1' : path.split('/').slice(2, 4).join('/'),
          metadata: { resourceVersion: String(rv), ...(more ? { continue: String(start + limit) } : {}) },
          items: page,
        }),
      );
    };
    const delay = listDelayMs[kind] ?? 0;
    if (delay > 0) setTimeout(answer, delay);
    else answer();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `https://127.0.0.1:${port}`;
  const dir = mkdtempSync(join(tmpdir(), 'meshguard-fake-apiserver-'));
  const kubeconfig = join(dir, 'config');
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      `clusters: [{name: fake, cluster: {server: "${url}", certificate-authority-data: "${Buffer.from(ca.certPem).toString('base64')}"}}]`,
      `users: [{name: test, user: {token: ${token}}}]`,
      'contexts: [{name: fake, context: {cluster: fake, user: test}}]',
      'current-context: fake',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );

  const pathOf = (object: KubeObject) => {
    const path = PATH_OF_KIND[String(object.kind)];
    if (path === undefined) throw new Error(`the fake API server does not serve ${String(object.kind)}`);
    return path;
  };
  return {
    kubeconfig,
    url,
    requests,
    listDelayMs,
    forbidden,
    put(object) {
      const path = pathOf(object);
      rv++;
      const stored = { ...object, metadata: { ...(object.metadata as object), resourceVersion: String(rv) } };
      const existed = bucket(path).has(keyOf(object));
      bucket(path).set(keyOf(object), stored);
      emit(path, existed ? 'MODIFIED' : 'ADDED', stored);
    },
    remove(object) {
      const path = pathOf(object);
      const old = bucket(path).get(keyOf(object));
      if (old === undefined) return;
      rv++;
      bucket(path).delete(keyOf(object));
      emit(path, 'DELETED', { ...old, metadata: { ...(old.metadata as object), resourceVersion: String(rv) } });
    },
    openWatches: () => watches.size,
    async close() {
      for (const w of watches) w.res.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
