import { KindLabels } from '../../src/server/validate-route';
import { peerAuth } from '../support/engine';
import { postJson } from '../support/https-client';
import { reviewFor } from '../support/review';
import { metricValue, type Served, serve } from '../support/test-server';

let t: Served;
beforeAll(async () => {
  t = await serve();
});
afterAll(() => t.stop());

interface Answer {
  response: { uid: string; allowed: boolean; status?: { code: number; message: string } };
}
const validate = async (review: ReturnType<typeof reviewFor>) =>
  ((await postJson(`${t.url}/validate`, t.ca, review)).json() as Answer).response;

describe('denial audit log', () => {
  it('logs a denial once: uid, requesting user, object reference, policy ids; never the object', async () => {
    const object = {
      apiVersion: 'security.istio.io/v1',
      kind: 'PeerAuthentication',
      metadata: { name: 'legacy', namespace: 'payments', annotations: { secret: 'hunter2' } },
      spec: { mtls: { mode: 'PERMISSIVE' }, portLevelMtls: { 0: { mode: 'DISABLE' } } },
    };
    // The stored object was STRICT: the update brings the violation in (ratcheting would only warn otherwise).
    const review = reviewFor(object, 'UPDATE', { oldObject: { ...object, spec: { mtls: { mode: 'STRICT' } } } });
    review.request.userInfo = { username: 'jane@example.com', groups: ['team-payments'] };
    expect((await validate(review)).allowed).toBe(false);
    const lines = t.logs.filter((l) => l.uid === review.request.uid);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toEqual({
      level: 30,
      time: expect.any(Number),
      pid: expect.any(Number),
      hostname: expect.any(String),
      reqId: expect.any(String),
      msg: 'admission denied',
      uid: review.request.uid,
      user: 'jane@example.com',
      apiVersion: 'security.istio.io/v1',
      kind: 'PeerAuthentication',
      namespace: 'payments',
      name: 'legacy',
      operation: 'UPDATE',
      dryRun: false,
      allowed: false,
      decision: 'denied',
      reason: 'policy',
      policies: expect.arrayContaining(['mtls-mode']),
      ms: expect.any(Number),
    });
    const text = JSON.stringify(lines[0]);
    for (const secret of ['hunter2', 'PERMISSIVE', 'DISABLE', 'team-payments']) expect(text).not.toContain(secret);
  });

  it('lists each denying policy once, sorted', async () => {
    const review = reviewFor({
      apiVersion: 'security.istio.io/v1',
      kind: 'PeerAuthentication',
      metadata: { name: 'bad', namespace: 'payments' },
      spec: { mtls: { mode: 'PERMISSIVEX' }, portLevelMtls: { 80: { mode: 'DISABLE' } } },
    });
    await validate(review);
    const policies = t.logs.find((l) => l.uid === review.request.uid)?.policies as string[];
    expect(policies).toEqual([...new Set(policies)].sort());
    expect(policies).toContain('schema');
  });

  it('logs an admission as an ordinary decision line, not as a denial', async () => {
    const review = reviewFor(peerAuth('STRICT'));
    await validate(review);
    const lines = t.logs.filter((l) => l.uid === review.request.uid);
    expect(lines.map((l) => l.msg)).toEqual(['admission decision']);
  });
});

describe('the reachability probe', () => {
  const probe = (nonce: string, dryRun: boolean, mode = 'STRICT') =>
    reviewFor(
      {
        ...peerAuth(mode, 'default'),
        metadata: {
          generateName: 'meshguard-reachability-probe-',
          namespace: 'default',
          annotations: { 'meshguard.io/reachability-probe': nonce },
        },
      },
      'CREATE',
      { dryRun },
    );

  it('denies the dry-run probe on purpose, repeating the nonce, counted apart from real denials', async () => {
    const nonce = '0b8a3c0e-2d7f-4d59-9d0c-6f2b3c0d9e11';
    const review = probe(nonce, true);
    const response = await validate(review);
    expect(response).toEqual({
      uid: review.request.uid,
      allowed: false,
      status: {
        code: 403,
        reason: 'Forbidden',
        message: `meshguard reachability probe ${nonce}: denied on purpose (a dry run that proves the API server reaches meshguard; nothing is stored)`,
      },
    });
    expect(t.logs.filter((l) => l.uid === review.request.uid).map((l) => l.msg)).toEqual([
      'answered a reachability probe',
    ]);
    expect(
      await metricValue(t, 'meshguard_admission_requests_total', {
        kind: 'PeerAuthentication',
        operation: 'CREATE',
        decision: 'probe',
      }),
    ).toBe(1);
  });

  it('never decides a real write: the same annotation without dryRun is judged like any object', async () => {
    expect((await validate(probe('0b8a3c0e-2d7f-4d59-9d0c-6f2b3c0d9e11', false))).allowed).toBe(true);
    const permissive = await validate(probe('0b8a3c0e-2d7f-4d59-9d0c-6f2b3c0d9e11', false, 'PERMISSIVE'));
    expect(permissive.status?.message).toMatch(/\[mtls-mode\]/);
  });

  it('ignores an annotation that is not a probe nonce', async () => {
    const response = await validate(probe('x', true, 'PERMISSIVE'));
    expect(response.status?.message).toMatch(/\[mtls-mode\]/);
  });
});

describe('metric labels taken from the request are bounded', () => {
  it('keeps Istio kinds, a few other kind names, and folds the rest into "other"', () => {
    const labels = new KindLabels(new Set(['VirtualService']), 2);
    expect(
      ['VirtualService', 'Deployment', 'Pod', 'Service', 'Deployment', 'x'.repeat(10), '🦄'].map((k) => labels.of(k)),
    ).toEqual(['VirtualService', 'Deployment', 'Pod', 'other', 'Deployment', 'other', 'other']);
  });

  it('a megabyte-long kind becomes neither a time series nor a megabyte of logs', async () => {
    const review = reviewFor({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'a' } });
    review.request.kind.kind = `W${'x'.repeat(1_000_000)}`;
    expect((await validate(review)).allowed).toBe(true);
    const text = await t.server.metrics.registry.metrics();
    expect(text.length).toBeLessThan(200_000);
    const line = t.logs.find((l) => l.uid === review.request.uid);
    expect(line?.kind).toMatch(/^Wx{255}…\(1000001 chars\)$/);
    expect(JSON.stringify(line).length).toBeLessThan(2000);
    expect(
      await metricValue(t, 'meshguard_admission_requests_total', {
        kind: 'other',
        operation: 'CREATE',
        decision: 'unhandled',
      }),
    ).toBe(1);
  });
});
