import { createServer } from 'node:net';
import pino from 'pino';
import { FailurePolicyPromoter } from '../../src/cluster/failure-policy';
import { KubeClient, kubeconfigConnection } from '../../src/cluster/kube-client';
import { peerAuth } from '../support/engine';
import { metricValue, type Served, serve } from '../support/test-server';
import { type FakeAdmissionApi, startFakeAdmissionApi } from './helpers/fake-admission-api';
import { until } from './helpers/https-load';

const CONFIG = 'meshguard';
const WEBHOOK = 'validate.meshguard.io';

/** A loopback port nothing listens on: what the API server meets before meshguard has endpoints. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as { port: number };
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

describe('safe failure policy: Ignore until the API server is seen reaching meshguard, then Fail', () => {
  let api: FakeAdmissionApi;
  let t: Served;
  let unreachable: { url: string; ca: string };

  beforeAll(async () => {
    unreachable = { url: `https://127.0.0.1:${await closedPort()}/validate`, ca: '' };
    api = await startFakeAdmissionApi({ webhookConfiguration: CONFIG, webhookName: WEBHOOK, webhook: unreachable });
    t = await serve({
      failClosed: {
        webhookConfiguration: CONFIG,
        webhookName: WEBHOOK,
        probeNamespace: 'default',
        connection: kubeconfigConnection(api.kubeconfig),
        retryMinMs: 20,
        retryMaxMs: 100,
        recheckMs: 100,
      },
    });
    unreachable.ca = t.ca;
  });
  afterAll(async () => {
    await t?.stop();
    await api?.close();
  });

  const probes = () => api.requests.filter((r) => r.startsWith('POST ')).length;

  it('while the API server cannot reach meshguard, the probe is admitted, the policy stays Ignore and writes go through', async () => {
    await until(() => probes() >= 3, 10_000, 'three probes');
    expect(api.failurePolicy()).toBe('Ignore');
    // The fake records a probe when it arrives; meshguard counts it when the answer is back: one may be in flight.
    expect(await metricValue(t, 'meshguard_reachability_probes_total', { result: 'admitted' })).toBeGreaterThanOrEqual(
      2,
    );
    expect(await metricValue(t, 'meshguard_webhook_fail_closed')).toBe(0);
    // Logged once, with what to check, not at every retry.
    const warnings = t.logs.filter((l) => String(l.msg).startsWith('failurePolicy stays Ignore'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.reason).toMatch(/was admitted/);
    expect(warnings[0]?.hint).toMatch(/caBundle/);
    // A write that meshguard would deny is admitted unreviewed: failing open is the point of Ignore.
    expect((await api.create('payments', peerAuth('PERMISSIVE'))).status).toBe(201);
  });

  it('once the API server reaches meshguard, the probe is denied with its nonce and the policy becomes Fail', async () => {
    api.webhook = { url: `${t.url}/validate`, ca: t.ca };
    await until(() => api.failurePolicy() === 'Fail', 10_000, 'failurePolicy Fail');
    // The gauge is set when meshguard reads the PATCH's answer, a moment after the API (this fake) applied it.
    await until(async () => (await metricValue(t, 'meshguard_webhook_fail_closed')) === 1, 5_000, 'the gauge at 1');
    expect(await metricValue(t, 'meshguard_reachability_probes_total', { result: 'reached' })).toBe(1);
    expect(t.logs.some((l) => /failurePolicy set to Fail/.test(String(l.msg)))).toBe(true);
    // Real writes are reviewed...
    const denied = await api.create('payments', peerAuth('PERMISSIVE'));
    expect(denied).toEqual({
      status: 403,
      message: expect.stringMatching(
        /^admission webhook "validate.meshguard.io" denied the request: PeerAuthentication payments\/default was rejected by meshguard/,
      ),
    });
    expect((await api.create('payments', peerAuth('STRICT'))).status).toBe(201);
  });

  it('and from then on enforcement is fail-closed: an unreachable meshguard rejects writes', async () => {
    api.webhook = unreachable;
    const res = await api.create('payments', peerAuth('STRICT'));
    expect(res.status).toBe(500);
    expect(res.message).toMatch(/failed calling webhook "validate.meshguard.io"/);
    api.webhook = { url: `${t.url}/validate`, ca: t.ca };
  });

  it('puts Fail back after a helm upgrade re-applies Ignore (after a new successful probe)', async () => {
    const before = await metricValue(t, 'meshguard_reachability_probes_total', { result: 'reached' });
    api.setFailurePolicy('Ignore');
    await until(() => api.failurePolicy() === 'Fail', 10_000, 'failurePolicy Fail again');
    expect(await metricValue(t, 'meshguard_reachability_probes_total', { result: 'reached' })).toBe(before + 1);
  });

  it('leaves Ignore alone when the configuration no longer carries the consent annotation (an operator kept Ignore)', async () => {
    delete api.annotations['meshguard.io/fail-closed-after-probe'];
    api.setFailurePolicy('Ignore');
    const posts = probes();
    await until(
      () => t.logs.some((l) => /does not carry meshguard.io\/fail-closed-after-probe/.test(String(l.reason))),
      10_000,
      'the promoter to notice',
    );
    await until(async () => (await metricValue(t, 'meshguard_webhook_fail_closed')) === 0, 5_000, 'the gauge at 0');
    await new Promise((r) => setTimeout(r, 300));
    expect(api.failurePolicy()).toBe('Ignore');
    expect(probes()).toBe(posts);
    expect(await metricValue(t, 'meshguard_webhook_fail_closed')).toBe(0);
  });

  it('touched only its own configuration and dry-run creates, nothing else', () => {
    const shapes = new Set(
      api.requests.map((r) => r.replace(/\?.*/, (q) => (q.includes('dryRun=All') ? '?dryRun' : q))),
    );
    expect([...shapes].sort()).toEqual([
      `GET /apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/${CONFIG}`,
      `PATCH /apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/${CONFIG}?fieldManager=meshguard`,
      'POST /apis/security.istio.io/v1/namespaces/default/peerauthentications?dryRun',
    ]);
  });
});

describe('one promotion step, when something is missing', () => {
  let api: FakeAdmissionApi;
  beforeAll(async () => {
    api = await startFakeAdmissionApi({
      webhookConfiguration: CONFIG,
      webhookName: WEBHOOK,
      webhook: { url: `https://127.0.0.1:${await closedPort()}/validate`, ca: '' },
    });
  });
  afterAll(() => api.close());

  const promoter = (overrides: { webhookConfiguration?: string; webhookName?: string; ready?: boolean } = {}) =>
    new FailurePolicyPromoter({
      client: new KubeClient(kubeconfigConnection(api.kubeconfig)),
      webhookConfiguration: overrides.webhookConfiguration ?? CONFIG,
      webhookName: overrides.webhookName ?? WEBHOOK,
      probeNamespace: 'default',
      logger: pino({ level: 'silent' }),
      isReady: () => overrides.ready ?? true,
    });

  it('does nothing before meshguard is ready', async () => {
    const before = api.requests.length;
    expect(await promoter({ ready: false }).step()).toEqual({ state: 'not-ready' });
    expect(api.requests.length).toBe(before);
  });

  it('names a missing configuration or webhook', async () => {
    expect(await promoter({ webhookConfiguration: 'nope' }).step()).toEqual({
      state: 'waiting',
      reason: expect.stringMatching(/cannot read ValidatingWebhookConfiguration nope: HTTP 404/),
    });
    expect(await promoter({ webhookName: 'other.meshguard.io' }).step()).toEqual({
      state: 'waiting',
      reason: 'meshguard has no webhook named other.meshguard.io',
    });
  });

  it('explains a forbidden dry run (the Role is missing)', async () => {
    api.forbidCreate = true;
    try {
      expect(await promoter().step()).toEqual({
        state: 'waiting',
        reason: expect.stringMatching(/dry-run probe in namespace default failed: HTTP 403: .*cannot create resource/),
        hint: 'meshguard needs create on peerauthentications.security.istio.io in default (the chart grants it with a Role)',
      });
    } finally {
      api.forbidCreate = false;
    }
    expect(api.failurePolicy()).toBe('Ignore');
  });

  it('leaves a configuration that is at Fail already alone, without probing', async () => {
    api.setFailurePolicy('Fail');
    const posts = api.requests.filter((r) => r.startsWith('POST')).length;
    expect(await promoter().step()).toEqual({ state: 'fail-closed', changed: false });
    expect(api.requests.filter((r) => r.startsWith('POST')).length).toBe(posts);
  });
});
