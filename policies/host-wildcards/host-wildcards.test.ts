import type { KubeObject } from '../../src/admission/types';
import type { PolicyContext } from '../../src/engine/policy';
import { policyContext } from '../../test/support/policy-context';
import policy, { gatewayNamespace, wildcardAllowed } from './index';

type Params = (typeof policy)['defaults'];

function ctx(params: Partial<Params> = {}, namespace = 'shop'): PolicyContext<Params> {
  return policyContext(policy.defaults, { params, namespace });
}

function vs(gateways: string[] | undefined): KubeObject {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: 'catch-all', namespace: 'shop' },
    spec: { hosts: ['*'], ...(gateways ? { gateways } : {}), http: [{ route: [{ destination: { host: 'web' } }] }] },
  };
}

function se(spec: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'ServiceEntry',
    metadata: { name: 'ext', namespace: 'shop' },
    spec,
  };
}

describe('gatewayNamespace', () => {
  it.each([
    ['istio-ingress/public', 'istio-ingress'],
    ['public', 'shop'],
    ['public.istio-ingress.svc.cluster.local', 'istio-ingress'],
  ])('%s lives in %s', (ref, ns) => {
    expect(gatewayNamespace(ref, 'shop')).toBe(ns);
  });
});

describe('wildcardAllowed', () => {
  const allowed = ['*.googleapis.com'];
  it.each([
    ['*.googleapis.com', true],
    ['*.GoogleAPIs.com', true],
    ['*.storage.googleapis.com', true],
    ['*googleapis.com', false],
    ['*.notgoogleapis.com', false],
    ['*.com', false],
  ])('%s is covered: %s', (host, expected) => {
    expect(wildcardAllowed(host, allowed)).toBe(expected);
  });
});

describe('host-wildcards on VirtualServices', () => {
  const allow = { wildcardGatewayNamespaces: ['*-ingress'] };

  it('admits "*" only when every gateway is in an allowed namespace', () => {
    expect(policy.check(vs(['a-ingress/gw', 'b-ingress/gw']), ctx(allow))).toEqual([]);
    const [f] = policy.check(vs(['a-ingress/gw', 'istio-system/gw', 'default/gw']), ctx(allow));
    expect(f?.path).toBe('spec.hosts[0]');
    expect(f?.message).toContain('default, istio-system');
    expect(f?.message).not.toContain('a-ingress');
  });

  it('rejects "*" bound to the mesh even when every named gateway is allowed', () => {
    expect(policy.check(vs(['a-ingress/gw', 'mesh']), ctx(allow))).toHaveLength(1);
    expect(policy.check(vs(undefined), ctx(allow))).toHaveLength(1);
  });

  it('leaves delegate VirtualServices (no hosts) and prefix wildcards alone', () => {
    const delegate = { ...vs(['a/gw']), spec: { http: [{ route: [{ destination: { host: 'web' } }] }] } };
    expect(policy.check(delegate, ctx())).toEqual([]);
    const prefix = { ...vs(['a/gw']), spec: { hosts: ['*.example.com'], gateways: ['a/gw'] } };
    expect(policy.check(prefix, ctx())).toEqual([]);
  });
});

describe('host-wildcards on ServiceEntries', () => {
  const ports = [{ number: 443, name: 'tls', protocol: 'TLS' }];

  it('rejects DNS without endpoints even for an allowed domain, since it cannot resolve', () => {
    const params = { allowedServiceEntryWildcards: ['*.example.com'] };
    const findings = policy.check(se({ hosts: ['*.example.com'], ports, resolution: 'DNS_ROUND_ROBIN' }), ctx(params));
    expect(findings.map((f) => [f.path, f.severity ?? 'error'])).toEqual([['spec.hosts[0]', 'error']]);
  });

  it('treats NONE as the default resolution', () => {
    const [f] = policy.check(se({ hosts: ['api.example.com', '*.example.com'], ports }), ctx());
    expect(f?.path).toBe('spec.hosts[1]');
    expect(f?.message).toContain('resolution NONE');
  });

  it('ignores endpoints under DYNAMIC_DNS, which does not use them', () => {
    const spec = {
      hosts: ['*.example.com'],
      ports,
      resolution: 'DYNAMIC_DNS',
      endpoints: [{ address: 'proxy.egress' }],
    };
    expect(policy.check(se(spec), ctx()).map((f) => f.severity ?? 'error')).toEqual(['error']);
  });

  it('only warns when matching hosts go to fixed endpoints, and admits allowed domains there too', () => {
    const spec = { hosts: ['*.example.com'], ports, resolution: 'STATIC', endpoints: [{ address: '10.0.0.7' }] };
    expect(policy.check(se(spec), ctx()).map((f) => f.severity)).toEqual(['warning']);
    expect(policy.check(se(spec), ctx({ allowedServiceEntryWildcards: ['*.example.com'] }))).toEqual([]);
  });
});
