/**
 * The built `meshguard serve` with its cluster view on, against a fake API server on loopback: the real
 * @kubernetes/client-node (loaded by the CommonJS build through import(), which jest itself cannot do), the real
 * reflectors, the real webhook. Admission decisions follow the objects the API server holds, within a second or two.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../../src/admission/types';
import { createCertificateAuthority, issueServingCertificate } from '../../src/tls/certificates';
import { CLI } from '../support/cli';
import { peerAuth } from '../support/engine';
import { httpsRequest, postJson } from '../support/https-client';
import { reviewFor } from '../support/review';
import { type FakeKubeApiServer, startFakeKubeApiServer } from './support/fake-kube-apiserver';
import { dr, namespace, service, vs } from './support/objects';

interface Served {
  child: ChildProcessWithoutNullStreams;
  url: string;
  logs: Array<Record<string, unknown>>;
  stop(): Promise<void>;
}

let certDir: string;
let ca: string;

beforeAll(async () => {
  certDir = mkdtempSync(join(tmpdir(), 'meshguard-live-'));
  const authority = await createCertificateAuthority('meshguard live test CA', 1);
  const serving = await issueServingCertificate(authority, ['localhost', '127.0.0.1'], 1);
  writeFileSync(join(certDir, 'tls.crt'), serving.certPem);
  writeFileSync(join(certDir, 'tls.key'), serving.keyPem);
  ca = authority.certPem;
});
afterAll(() => rmSync(certDir, { recursive: true, force: true }));

async function serve(api: FakeKubeApiServer, env: Record<string, string> = {}, configYaml = ''): Promise<Served> {
  const config = join(certDir, `config-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(config, configYaml);
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    KUBECONFIG: api.kubeconfig,
    MESHGUARD_CLUSTER_VIEW: 'on',
    ...env,
  };
  delete childEnv.KUBERNETES_SERVICE_HOST;
  const child = spawn(
    process.execPath,
    [
      CLI,
      'serve',
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--cert',
      join(certDir, 'tls.crt'),
      '--key',
      join(certDir, 'tls.key'),
      '--no-metrics',
      '--config',
      config,
    ],
    { env: childEnv, stdio: 'pipe' },
  );
  const logs: Array<Record<string, unknown>> = [];
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const url = await new Promise<string>((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error(`not started in time; stderr: ${stderr}`)), 20_000);
    child.stdout.on('data', (c: Buffer) => {
      buffered += c.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (line.trim() === '') continue;
        const entry = JSON.parse(line) as Record<string, unknown>;
        logs.push(entry);
        if (entry.msg === 'meshguard ready') {
          clearTimeout(timer);
          resolve(String(entry.url).replace('localhost', '127.0.0.1'));
        }
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code}; stderr: ${stderr}`));
    });
  });
  return {
    child,
    url,
    logs,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.on('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  };
}

type Decision = { allowed: boolean; warnings: string[]; message: string };

async function decide(
  s: Served,
  object: KubeObject,
  operation: 'CREATE' | 'UPDATE' | 'DELETE' = 'CREATE',
  oldObject?: KubeObject,
): Promise<Decision> {
  const r = await postJson(`${s.url}/validate`, ca, reviewFor(object, operation, oldObject ? { oldObject } : {}));
  const response = (r.json() as { response: { allowed: boolean; warnings?: string[]; status?: { message?: string } } })
    .response;
  return { allowed: response.allowed, warnings: response.warnings ?? [], message: response.status?.message ?? '' };
}

/** Polls until `check` holds, returning how long it took; fails after `ms`. */
async function within(ms: number, check: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check()) return Date.now() - started;
    if (Date.now() - started > ms) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const canary = vs('bookinfo', 'reviews', [
  { host: 'reviews', subset: 'v1' },
  { host: 'reviews', subset: 'v2' },
]);
(canary.spec as { http: Array<{ route: Array<{ weight?: number }> }> }).http[0]?.route.forEach((r, i) => {
  r.weight = i === 0 ? 90 : 10;
});
const subsetWarning = (d: Decision) => d.warnings.some((w) => w.startsWith('[vs-subset-defined]'));

describe('meshguard serve with a cluster view (fake API server on loopback, real client-node)', () => {
  let api: FakeKubeApiServer;
  let s: Served;

  beforeAll(async () => {
    api = await startFakeKubeApiServer();
    api.put(namespace('bookinfo', { 'meshguard.io/profile': 'relaxed' }));
    api.put(namespace('payments'));
    api.put(service('bookinfo', 'reviews'));
    api.put(dr('bookinfo', 'reviews', 'reviews', ['v1']));
    // The first list of DestinationRules is slow: readiness must wait for it.
    api.listDelayMs.DestinationRule = 1000;
    s = await serve(
      api,
      {},
      [
        'namespaceOverrides:',
        '  - namespaceSelector: {matchLabels: {meshguard.io/profile: relaxed}}',
        '    policies: {mtls-mode: warn}',
        '',
      ].join('\n'),
    );
  });
  afterAll(async () => {
    await s?.stop();
    await api?.close();
  });

  it('is not ready until the initial sync, then reports what it watches on /status', async () => {
    const early = await httpsRequest(`${s.url}/readyz`, { ca });
    expect(early.status).toBe(503);
    expect(early.json()).toMatchObject({ reasons: expect.arrayContaining(['cluster view syncing']) });
    await within(5000, async () => (await httpsRequest(`${s.url}/readyz`, { ca })).status === 200);
    const status = (await httpsRequest(`${s.url}/status`, { ca })).json() as {
      cluster: { synced: boolean; apiServer: string; kinds: Array<{ kind: string; synced: boolean; objects: number }> };
    };
    expect(status.cluster.synced).toBe(true);
    expect(status.cluster.apiServer).toBe(api.url);
    expect(status.cluster.kinds.map((k) => k.kind)).toEqual([
      'AuthorizationPolicy',
      'DestinationRule',
      'Gateway',
      'Namespace',
      'PeerAuthentication',
      'Service',
      'ServiceEntry',
      'VirtualService',
    ]);
    expect(status.cluster.kinds.find((k) => k.kind === 'DestinationRule')).toMatchObject({ synced: true, objects: 1 });
    // Lists are paged and watches resume from the list's resourceVersion.
    expect(api.requests.some((r) => r.startsWith('GET /apis/networking.istio.io/v1/destinationrules?limit=500'))).toBe(
      true,
    );
    await within(2000, async () =>
      api.requests.some((r) => /destinationrules\?watch=true&resourceVersion=\d+/.test(r)),
    );
  });

  it('sees a DestinationRule added, updated and deleted within a second or two', async () => {
    expect(subsetWarning(await decide(s, canary))).toBe(true);

    api.put(dr('bookinfo', 'reviews', 'reviews', ['v1', 'v2']));
    const added = await within(2000, async () => !subsetWarning(await decide(s, canary)));

    api.put(dr('bookinfo', 'reviews', 'reviews', ['v1']));
    const updated = await within(2000, async () => subsetWarning(await decide(s, canary)));

    api.remove(dr('bookinfo', 'reviews', 'reviews'));
    const deleted = await within(2000, async () =>
      (await decide(s, canary)).warnings.some((w) =>
        w.includes('no DestinationRule for reviews.bookinfo.svc.cluster.local'),
      ),
    );
    expect(Math.max(added, updated, deleted)).toBeLessThan(2000);
  });

  it('rejects removing a subset a VirtualService still routes to, naming it', async () => {
    const both = dr('bookinfo', 'reviews', 'reviews', ['v1', 'v2']);
    api.put(both);
    api.put(canary);
    const onlyV1 = dr('bookinfo', 'reviews', 'reviews', ['v1']);
    await within(2000, async () => !(await decide(s, onlyV1, 'UPDATE', both)).allowed);
    const d = await decide(s, onlyV1, 'UPDATE', both);
    expect(d.message).toMatch(
      /\[dr-subset-in-use\] spec.subsets: removes subset v2 of reviews.bookinfo.svc.cluster.local, which VirtualService bookinfo\/reviews still routes to/,
    );

    // Once the route no longer uses v2, the same change is admitted.
    api.put(vs('bookinfo', 'reviews', [{ host: 'reviews', subset: 'v1' }]));
    await within(2000, async () => (await decide(s, onlyV1, 'UPDATE', both)).allowed);
  });

  it('applies namespace overrides by label, following label changes', async () => {
    const relaxed = await decide(s, peerAuth('PERMISSIVE', 'bookinfo'));
    expect(relaxed.allowed).toBe(true);
    expect(relaxed.warnings.some((w) => w.startsWith('[mtls-mode]'))).toBe(true);
    expect((await decide(s, peerAuth('PERMISSIVE', 'payments'))).allowed).toBe(false);

    api.put(namespace('bookinfo'));
    await within(2000, async () => !(await decide(s, peerAuth('PERMISSIVE', 'bookinfo'))).allowed);
  });
});

describe('meshguard serve when the cluster view cannot sync', () => {
  it('becomes ready at the deadline, and cross-object policies only warn', async () => {
    const api = await startFakeKubeApiServer();
    api.forbidden.add('DestinationRule');
    const s = await serve(api, { MESHGUARD_CLUSTER_SYNC_TIMEOUT: '1s' });
    try {
      const waited = await within(5000, async () => (await httpsRequest(`${s.url}/readyz`, { ca })).status === 200);
      expect(waited).toBeGreaterThan(300);
      const d = await decide(s, canary);
      expect(d.allowed).toBe(true);
      expect(
        d.warnings.some((w) => w.includes("not checked: meshguard's view of DestinationRules is not synced yet")),
      ).toBe(true);
      const status = (await httpsRequest(`${s.url}/status`, { ca })).json() as {
        cluster: { synced: boolean; kinds: Array<{ kind: string; synced: boolean; lastError?: { status?: number } }> };
      };
      expect(status.cluster.synced).toBe(false);
      expect(status.cluster.kinds.find((k) => k.kind === 'DestinationRule')).toMatchObject({
        synced: false,
        lastError: { status: 403 },
      });
      expect(s.logs.some((l) => String(l.msg).startsWith('cluster view not synced by the deadline'))).toBe(true);

      // Permission granted: it syncs on its next attempt, and the policies judge again.
      api.forbidden.delete('DestinationRule');
      await within(35_000, async () => {
        const again = await decide(s, canary);
        return again.warnings.some((w) => w.startsWith('[vs-subset-defined]') && !w.includes('not synced'));
      });
    } finally {
      await s.stop();
      await api.close();
    }
  }, 60_000);
});
