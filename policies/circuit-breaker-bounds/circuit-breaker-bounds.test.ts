import type { KubeObject } from '../../src/admission/types';
import { formatConfigError, loadConfig } from '../../src/config/load-config';
import type { PolicyContext } from '../../src/engine/policy';
import { schemas } from '../../test/support/engine';
import { policyContext } from '../../test/support/policy-context';
import { policies } from '..';
import policy from '.';

type Params = typeof policy.defaults;

function destinationRule(trafficPolicy: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'DestinationRule',
    metadata: { name: 'reviews', namespace: 'bookinfo' },
    spec: { host: 'reviews', trafficPolicy },
  };
}

function check(trafficPolicy: Record<string, unknown>, params: Partial<Params> = {}) {
  const ctx: PolicyContext<Params> = policyContext(policy.defaults, { params: { ...params }, namespace: 'bookinfo' });
  return policy.check(destinationRule(trafficPolicy), ctx);
}

const paths = (findings: { path: string }[]) => findings.map((f) => f.path);

describe('circuit-breaker-bounds', () => {
  it('treats bounds as inclusive at both ends', () => {
    expect(check({ outlierDetection: { interval: '1s', baseEjectionTime: '1h' } })).toEqual([]);
    expect(check({ outlierDetection: { interval: '5m', consecutive5xxErrors: 100 } })).toEqual([]);
  });

  it('compares durations by value, whatever the unit', () => {
    expect(check({ outlierDetection: { interval: '300s' } })).toEqual([]);
    expect(paths(check({ outlierDetection: { interval: '300001ms' } }))).toEqual([
      'spec.trafficPolicy.outlierDetection.interval',
    ]);
  });

  it('merges a configured bound end by end: raising max keeps the default min', () => {
    const params = { maxConnections: { max: 100000 } } as Partial<Params>;
    expect(check({ connectionPool: { tcp: { maxConnections: 50000 } } }, params)).toEqual([]);
    expect(paths(check({ connectionPool: { tcp: { maxConnections: 0 } } }, params))).toEqual([
      'spec.trafficPolicy.connectionPool.tcp.maxConnections',
    ]);
  });

  it('reads a negative limit like 0: Istio only copies values above 0', () => {
    const [finding] = check({ connectionPool: { http: { http2MaxRequests: -1 } } });
    expect(finding?.message).toContain('unset');
  });

  it('admits explicit zeros that only restate a default', () => {
    const od = { consecutiveGatewayErrors: 0, maxEjectionPercent: 0, minHealthPercent: 0 };
    expect(check({ outlierDetection: od, connectionPool: { http: { maxRequestsPerConnection: 0 } } })).toEqual([]);
  });

  it('accepts consecutive5xxErrors: 0 when local-origin failures still eject', () => {
    expect(check({ outlierDetection: { consecutive5xxErrors: 0, splitExternalLocalOriginErrors: true } })).toEqual([]);
    const off = { consecutive5xxErrors: 0, splitExternalLocalOriginErrors: true, consecutiveLocalOriginFailures: 0 };
    expect(paths(check({ outlierDetection: off }))).toEqual([
      'spec.trafficPolicy.outlierDetection.consecutive5xxErrors',
    ]);
  });

  it("compares consecutiveGatewayErrors with Envoy's default of 5 when consecutive5xxErrors is unset", () => {
    expect(check({ outlierDetection: { consecutiveGatewayErrors: 4 } })).toEqual([]);
    const [finding] = check({ outlierDetection: { consecutiveGatewayErrors: 5 } });
    expect(finding).toMatchObject({
      severity: 'warning',
      path: 'spec.trafficPolicy.outlierDetection.consecutiveGatewayErrors',
    });
  });

  it('honours maxEjectionPercentWithoutMinHealth', () => {
    expect(check({ outlierDetection: { maxEjectionPercent: 80 } }, { maxEjectionPercentWithoutMinHealth: 80 })).toEqual(
      [],
    );
    expect(check({ outlierDetection: { maxEjectionPercent: 51 } })).toHaveLength(1);
  });

  it('leaves unparsable durations to the schema policy', () => {
    expect(check({ outlierDetection: { interval: 'thirty seconds' } })).toEqual([]);
  });
});

describe('circuit-breaker-bounds parameters in the configuration', () => {
  const load = (yaml: string) => {
    const r = loadConfig(yaml, 'meshguard.yaml', policies, schemas.registry);
    return r.ok ? [] : r.errors.map(formatConfigError);
  };

  it('accepts one end of a bound, in Istio duration syntax', () => {
    expect(
      load(
        'policies:\n  circuit-breaker-bounds:\n    params:\n      maxConnections: {max: 100000}\n      interval: {min: 5s}\n',
      ),
    ).toEqual([]);
  });

  it('rejects a bound that is not a duration, naming the key', () => {
    const errors = load('policies:\n  circuit-breaker-bounds:\n    params:\n      interval: {min: 5 seconds}\n');
    expect(errors).toEqual([expect.stringContaining('policies.circuit-breaker-bounds.params.interval.min')]);
  });
});
