import { policies } from '../../policies';
import { evaluate } from '../../src/engine/evaluate';
import { config, peerAuth, schemas } from '../support/engine';
import { postJson } from '../support/https-client';
import { reviewFor } from '../support/review';
import { metricValue, type Served, serve } from '../support/test-server';

/** A clock that moves 100 ms every time it is read: each policy "takes" 100 ms, whatever the machine does. */
function steppingClock(step = 100): () => number {
  let t = 1_000_000;
  return () => {
    t += step;
    return t;
  };
}

const paPolicies = policies.filter(
  (p) =>
    (p.operations ?? ['CREATE', 'UPDATE']).includes('CREATE') &&
    (p.appliesTo === '*' || p.appliesTo.some((k) => k.kind === 'PeerAuthentication')),
);
/** The deadline lets the policies up to mtls-mode run (each "takes" 100 ms) and stops before the next one. */
const RAN = paPolicies.findIndex((p) => p.id === 'mtls-mode') + 1;
const DEADLINE_MS = 100 * RAN + 50;

interface Answer {
  response: { allowed: boolean; status?: { code: number; reason: string; message: string }; warnings?: string[] };
}

describe('the engine checks the deadline between policies (pure: the clock is handed in)', () => {
  const input = {
    operation: 'CREATE' as const,
    gvk: { group: 'security.istio.io', version: 'v1', kind: 'PeerAuthentication' },
    object: peerAuth('STRICT'),
    namespace: 'payments',
  };

  it('stops before the policy that would start past the deadline and lists the ones not run', () => {
    const clock = steppingClock();
    const at = clock() + DEADLINE_MS; // reads at +100 ... +100·RAN are in time, the next is not
    const verdict = evaluate(input, { schemas, mode: 'webhook', config: config(), deadline: { at, clock } });
    expect(RAN).toBeGreaterThan(0);
    expect(RAN).toBeLessThan(paPolicies.length);
    expect(verdict.handled && verdict.deadlineExceeded).toEqual({
      policiesEvaluated: RAN,
      policiesSkipped: paPolicies.slice(RAN).map((p) => p.id),
    });
  });

  it('says nothing when every policy ran in time, or when there is no deadline', () => {
    const clock = steppingClock();
    const roomy = { at: clock() + 100 * (paPolicies.length + 1), clock };
    const inTime = evaluate(input, { schemas, mode: 'webhook', config: config(), deadline: roomy });
    expect(inTime.handled && inTime.deadlineExceeded).toBeUndefined();
    const none = evaluate(input, { schemas, mode: 'webhook', config: config() });
    expect(none.handled && none.deadlineExceeded).toBeUndefined();
  });
});

describe.each([
  ['deny', 'deny'],
  ['allow', 'allow'],
] as const)('the webhook with --on-deadline=%s', (_name, action) => {
  let t: Served;
  beforeAll(async () => {
    t = await serve({ deadline: { ms: DEADLINE_MS, action }, clock: steppingClock() });
  });
  afterAll(() => t.stop());

  it('answers by configuration, saying why, when the deadline passes with nothing found yet', async () => {
    const review = reviewFor(peerAuth('STRICT'));
    const { response } = (await postJson(`${t.url}/validate`, t.ca, review)).json() as Answer;
    const what = `meshguard's evaluation deadline (${DEADLINE_MS} ms) passed after ${RAN} of ${paPolicies.length} policies (not run: ${paPolicies
      .slice(RAN)
      .map((p) => p.id)
      .join(', ')})`;
    if (action === 'deny') {
      expect(response).toEqual({
        uid: review.request.uid,
        allowed: false,
        status: {
          code: 504,
          reason: 'Timeout',
          message: `PeerAuthentication payments/default was not fully reviewed: ${what}. Denied, as configured (--on-deadline=deny); retry, and if it persists see meshguard's runbook (docs/operations.md)`,
        },
      });
      expect(t.logs.find((l) => l.uid === review.request.uid)).toMatchObject({
        msg: 'admission denied',
        reason: 'deadline',
        policies: [],
        policiesNotRun: paPolicies.slice(RAN).map((p) => p.id),
      });
    } else {
      expect(response.allowed).toBe(true);
      expect(response.warnings).toEqual([
        `${what}; admitted without a full review, as configured (--on-deadline=allow)`,
      ]);
    }
    expect(
      await metricValue(t, 'meshguard_evaluation_deadline_exceeded_total', { kind: 'PeerAuthentication', action }),
    ).toBe(1);
  });

  it('denies what the policies that did run found, whatever the configured answer, and says what was not checked', async () => {
    // mtls-mode is the last policy to run before the deadline, and finds PERMISSIVE.
    const { response } = (
      await postJson(`${t.url}/validate`, t.ca, reviewFor(peerAuth('PERMISSIVE')))
    ).json() as Answer;
    expect(response.allowed).toBe(false);
    expect(response.status?.code).toBe(403);
    const lines = response.status?.message.split('\n') ?? [];
    expect(lines[1]).toMatch(/^\[mtls-mode\] spec.mtls.mode: mtls.mode is PERMISSIVE/);
    expect(lines.at(-1)).toMatch(
      new RegExp(
        `^\\(meshguard's evaluation deadline \\(${DEADLINE_MS} ms\\) passed after ${RAN} of \\d+ policies .*; they were not checked\\)$`,
      ),
    );
    expect(
      await metricValue(t, 'meshguard_evaluation_deadline_exceeded_total', {
        kind: 'PeerAuthentication',
        action: 'deny',
      }),
    ).toBe(action === 'deny' ? 2 : 1);
  });
});
