import type { KubeObject } from '../../src/admission/types';
import type { PolicyContext } from '../../src/engine/policy';
import { policyContext } from '../../test/support/policy-context';
import policy from '.';

type Params = typeof policy.defaults;

function virtualService(http: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: 'ratings', namespace: 'bookinfo' },
    spec: { hosts: ['ratings'], http: [{ route: [{ destination: { host: 'ratings' } }], ...http }] },
  };
}

function check(http: Record<string, unknown>, params: Partial<Params> = {}) {
  const ctx: PolicyContext<Params> = policyContext(policy.defaults, { params: { ...params }, namespace: 'bookinfo' });
  return policy.check(virtualService(http), ctx);
}

describe('retry-timeout-budget', () => {
  it('reads timeout 0s as no timeout (Envoy disables it), so retries lack a deadline', () => {
    const findings = check({ timeout: '0s', retries: { attempts: 2, perTryTimeout: '1s' } });
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ path: 'spec.http[0].timeout', severity: 'warning' });
    expect(findings[0]?.message).toContain('0s');
  });

  it('leaves an unparsable timeout to the schema policy instead of calling it missing', () => {
    expect(check({ timeout: 'ten seconds', retries: { attempts: 2, perTryTimeout: '1s' } })).toEqual([]);
  });

  it('counts the first try: attempts are retries, so 1 + attempts tries must fit', () => {
    // 2 × 5s = 10s would fit a naive attempts × perTryTimeout rule; 1 + 2 tries × 5s = 15s does not.
    const [finding] = check({ timeout: '10s', retries: { attempts: 2, perTryTimeout: '5s' } });
    expect(finding?.path).toBe('spec.http[0].retries.perTryTimeout');
    expect(finding?.message).toContain('3 tries × 5s = 15s exceeds the route timeout of 10s');
  });

  it('judges nothing when retries are disabled by attempts: 0, whatever the timeouts', () => {
    expect(check({ retries: { attempts: 0, perTryTimeout: '30s' } })).toEqual([]);
  });

  it('with maxAttempts 0 reports any enabled retries', () => {
    const findings = check({ timeout: '10s', retries: { attempts: 1, perTryTimeout: '1s' } }, { maxAttempts: 0 });
    expect(findings.map((f) => f.path)).toEqual(['spec.http[0].retries.attempts']);
  });

  // Each suggestion in the hint, applied alone, must make the budget fit.
  it.each([
    [3, '5s', '10s'],
    [2, '1.5s', '4s'],
    [5, '1s', '1s'],
    [4, '700ms', '3s'],
    [3, '2s', '7.9s'],
  ])('the hint for %i attempts × %s under %s suggests values that fit', (attempts, perTryTimeout, timeout) => {
    const [finding] = check({ timeout, retries: { attempts, perTryTimeout } });
    const hint = finding?.hint ?? '';
    const perTry = hint.match(/perTryTimeout to (\S+?),/)?.[1];
    const fewer = hint.match(/attempts to (\d+)/)?.[1];
    const longer = hint.match(/timeout to (\S+)$/)?.[1];
    expect(longer).toBeDefined();
    const variants: Record<string, unknown>[] = [{ timeout: longer, retries: { attempts, perTryTimeout } }];
    if (perTry) variants.push({ timeout, retries: { attempts, perTryTimeout: perTry } });
    if (fewer) variants.push({ timeout, retries: { attempts: Number(fewer), perTryTimeout } });
    for (const v of variants) expect(check(v)).toEqual([]);
  });
});
