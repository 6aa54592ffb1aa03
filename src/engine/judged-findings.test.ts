/**
 * evaluate() builds each judged finding by copying the policy's finding without its severity (judgedFinding), not
 * with object rest, which V8 runs slowly. The result must be what `{ ...rest, policy, action }` gave, key for key and
 * in the same order, since verdicts are serialised (CLI JSON, logs).
 */
import { config, peerAuth, schemas } from '../../test/support/engine';
import { evaluate } from './evaluate';
import type { PolicyFinding } from './policy';
import type { EnforcementAction } from './types';

const FINDINGS: PolicyFinding[] = [
  { path: 'spec.a', message: 'plain' },
  { path: 'spec.b', message: 'with hint', hint: 'fix it' },
  { path: 'spec.c', message: 'a warning', severity: 'warning' },
  { severity: 'error', message: 'keys in another order', hint: 'h', path: 'spec.d' },
  { path: 'spec.e', message: 'hint present but undefined', hint: undefined },
];

/** What evaluate() built before: object rest, then spread. */
function reference(f: PolicyFinding, policy: string, action: EnforcementAction): Record<string, unknown> {
  const { severity, ...rest } = f;
  return { ...rest, policy, action: severity === 'warning' && action === 'deny' ? 'warn' : action };
}

describe.each(['deny', 'warn', 'audit'] as const)('findings judged with action %s', (action) => {
  const base = config();
  const cfg = {
    ...base,
    policies: [
      {
        action,
        params: {},
        policy: {
          id: 'fake',
          summary: 'returns fixed findings',
          appliesTo: '*' as const,
          defaultAction: action,
          defaults: {},
          paramsSchema: {},
          check: () => FINDINGS,
        },
      },
    ],
  };

  it('are the finding less its severity, then policy and action, in that key order', () => {
    const v = evaluate(
      {
        operation: 'CREATE',
        gvk: { group: 'security.istio.io', version: 'v1', kind: 'PeerAuthentication' },
        object: peerAuth('STRICT'),
        namespace: 'payments',
        name: 'default',
      },
      { schemas, mode: 'webhook', config: cfg, now: new Date('2026-11-22T12:00:00Z') },
    );
    if (!v.handled) throw new Error('not handled');
    const judged = [...v.violations, ...v.warnings, ...v.audits].sort((a, b) => a.path.localeCompare(b.path));
    const want = FINDINGS.map((f) => reference(f, 'fake', action));
    expect(judged).toEqual(want);
    expect(judged.map((j) => Object.keys(j))).toEqual(want.map((w) => Object.keys(w)));
    expect(judged.map((j) => JSON.stringify(j))).toEqual(want.map((w) => JSON.stringify(w)));
  });
});
