import type { KubeObject } from '../../src/admission/types';
import type { PolicyContext } from '../../src/engine/policy';
import { policyContext } from '../../test/support/policy-context';
import policy from '.';

type Params = typeof policy.defaults;

const breaker = { connectionPool: { tcp: { maxConnections: 100 } }, outlierDetection: { consecutive5xxErrors: 5 } };

function check(spec: Record<string, unknown>, params: Partial<Params> = {}) {
  const object: KubeObject = {
    apiVersion: 'networking.istio.io/v1',
    kind: 'DestinationRule',
    metadata: { name: 'reviews', namespace: 'bookinfo' },
    spec: { host: 'reviews', ...spec },
  };
  const ctx: PolicyContext<Params> = policyContext(policy.defaults, { params: { ...params }, namespace: 'bookinfo' });
  return policy.check(object, ctx).map((f) => f.path);
}

const subset = (name: string, trafficPolicy?: Record<string, unknown>) => ({
  name,
  labels: { version: name },
  trafficPolicy,
});

describe('circuit-breaker-required', () => {
  it('reports once at the top level when no subset has a breaker either, not once per subset', () => {
    expect(check({ subsets: [subset('v1'), subset('v2')] }, { requireConnectionPool: false })).toEqual([
      'spec.trafficPolicy.outlierDetection',
    ]);
  });

  it('lets subsets inherit the top level, but not port-level settings', () => {
    const spec = {
      trafficPolicy: breaker,
      subsets: [subset('v1', { portLevelSettings: [{ port: { number: 9080 }, loadBalancer: { simple: 'RANDOM' } }] })],
    };
    expect(check(spec)).toEqual([
      'spec.subsets[0].trafficPolicy.portLevelSettings[0].connectionPool',
      'spec.subsets[0].trafficPolicy.portLevelSettings[0].outlierDetection',
    ]);
  });

  it('skips top-level port settings when every subset carries its own breaker', () => {
    const spec = {
      trafficPolicy: { portLevelSettings: [{ port: { number: 9080 }, loadBalancer: { simple: 'RANDOM' } }] },
      subsets: [subset('v1', breaker), subset('v2', breaker)],
    };
    expect(check(spec)).toEqual([]);
  });

  it('checks only what the parameters require', () => {
    expect(check({}, { requireConnectionPool: false, requireOutlierDetection: false })).toEqual([]);
    expect(check({}, { requireOutlierDetection: false })).toEqual(['spec.trafficPolicy.connectionPool']);
  });

  it('counts the cluster domain from meshDomainSuffixes as in-mesh', () => {
    expect(check({ host: 'reviews.bookinfo.svc.corp.internal' })).toEqual([]);
    expect(
      check({ host: 'reviews.bookinfo.svc.corp.internal' }, { meshDomainSuffixes: ['.corp.internal'] }),
    ).toHaveLength(2);
  });
});
