import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { K8sObject } from './helm';

export interface FakeKubeApi {
  /** A kubeconfig pointing at the fake server, for KUBECONFIG. */
  kubeconfig: string;
  /** "GET /path" of every request, in order. */
  requests: string[];
  close(): Promise<void>;
}

/**
 * Just enough of a Kubernetes API server (plain HTTP on 127.0.0.1) for `helm template --dry-run=server` to run the
 * chart's `lookup` of Secrets: discovery of core v1 and GET of the given Secrets, 404 for anything else.
 */
export async function startFakeKubeApi(secrets: readonly K8sObject[]): Promise<FakeKubeApi> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    requests.push(`${req.method} ${path}`);
    const send = (code: number, body: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (path === '/version') return send(200, { major: '1', minor: '33', gitVersion: 'v1.33.0' });
    if (path === '/api') return send(200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] });
    if (path === '/apis') return send(200, { kind: 'APIGroupList', apiVersion: 'v1', groups: [] });
    if (path === '/api/v1') {
      return send(200, {
        kind: 'APIResourceList',
        groupVersion: 'v1',
        resources: [
          { name: 'secrets', singularName: 'secret', namespaced: true, kind: 'Secret', verbs: ['get', 'list'] },
        ],
      });
    }
    const m = path.match(/^\/api\/v1\/namespaces\/([^/]+)\/secrets\/([^/]+)$/);
    const found = m && secrets.find((s) => s.metadata.namespace === m[1] && s.metadata.name === m[2]);
    if (found) return send(200, found);
    send(404, {
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      reason: 'NotFound',
      code: 404,
      message: `${path} not found`,
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const dir = mkdtempSync(join(tmpdir(), 'meshguard-kubeconfig-'));
  const kubeconfig = join(dir, 'config');
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      `clusters: [{name: fake, cluster: {server: "http://127.0.0.1:${port}"}}]`,
      'users: [{name: test, user: {token: not-a-secret}}]',
      'contexts: [{name: fake, context: {cluster: fake, user: test}}]',
      'current-context: fake',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  return {
    kubeconfig,
    requests,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
