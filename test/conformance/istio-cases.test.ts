/**
 * Conformance with istiod's validating webhook: every case of ../shared/istio-validation-cases/cases.jsonl goes
 * through the engine in webhook mode with only the `schema` and `istio-semantics` policies on, and must get istiod's
 * verdict, except the cases listed in known-disagreements.json, which must keep disagreeing (so the list shrinks as
 * soon as one is fixed). `npm run conformance` prints the same comparison as a report.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { policies } from '../../policies';
import type { KubeObject } from '../../src/admission/types';
import type { Verdict } from '../../src/engine/types';
import { config, judge } from '../support/engine';
import { loadIstioCases } from '../support/istio-cases';

type Outcome = 'valid' | 'warning' | 'invalid';

const COUNTED = new Set(['schema', 'istio-semantics']);
const known = JSON.parse(readFileSync(join(__dirname, 'known-disagreements.json'), 'utf8')) as Record<string, string>;

/** Every other policy off: meshguard's own guardrails must not colour a comparison with istiod. */
const conformanceConfig = config(
  `policies:\n${policies
    .filter((p) => !COUNTED.has(p.id))
    .map((p) => `  ${p.id}: { action: off }`)
    .join('\n')}\n`,
);

function outcome(verdict: Extract<Verdict, { handled: true }>): Outcome {
  const counted = (f: { policy: string }) => COUNTED.has(f.policy);
  if (verdict.violations.some(counted)) return 'invalid';
  return verdict.warnings.some(counted) ? 'warning' : 'valid';
}

const cases = loadIstioCases();

describe('istiod validation cases', () => {
  it('lists only known disagreements that exist in the case file', () => {
    const ids = new Set(cases.map((c) => c.id));
    expect(Object.keys(known).filter((id) => !ids.has(id))).toEqual([]);
  });

  it.each(cases.map((c) => [`${c.id} ${c.rule}`, c] as const))('%s', (_name, c) => {
    const got = outcome(judge(c.object as KubeObject, { config: conformanceConfig }));
    if (known[c.id] !== undefined) {
      // Still a disagreement; if this fails, the case now agrees: remove it from known-disagreements.json.
      expect(got).not.toBe(c.expect);
    } else {
      expect(got).toBe(c.expect);
    }
  });

  it('meets the agreement targets: at least 98% of API-server-overall verdicts, every kind at least 90%', () => {
    // The API server applies the CRD first; what it rejects is invalid whatever istiod would say.
    const byKind = new Map<string, { n: number; agree: number }>();
    for (const c of cases) {
      const expected: Outcome = c.crdVerdict === 'reject' ? 'invalid' : c.expect;
      const got = outcome(judge(c.object as KubeObject, { config: conformanceConfig }));
      const k = byKind.get(c.kind) ?? { n: 0, agree: 0 };
      k.n++;
      if (got === expected) k.agree++;
      byKind.set(c.kind, k);
    }
    const total = [...byKind.values()].reduce((a, k) => ({ n: a.n + k.n, agree: a.agree + k.agree }), {
      n: 0,
      agree: 0,
    });
    expect(total.agree / total.n).toBeGreaterThanOrEqual(0.98);
    for (const [kind, k] of byKind) expect([kind, k.agree / k.n >= 0.9]).toEqual([kind, true]);
  });
});
