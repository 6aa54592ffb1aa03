import type { KubeObject } from '../../src/admission/types';
import type { PolicyContext } from '../../src/engine/policy';
import { policyContext } from '../../test/support/policy-context';
import policy, { gatewayAllowed } from '.';

type Params = typeof policy.defaults;

function check(servers: Record<string, unknown>[], params: Partial<Params> = {}, name = 'public') {
  const object: KubeObject = {
    apiVersion: 'networking.istio.io/v1',
    kind: 'Gateway',
    metadata: { name, namespace: 'istio-ingress' },
    spec: { selector: { istio: 'ingressgateway' }, servers },
  };
  const ctx: PolicyContext<Params> = policyContext(policy.defaults, {
    params: { ...params },
    namespace: 'istio-ingress',
  });
  return policy.check(object, ctx).map((f) => f.path);
}

const https = (tls: Record<string, unknown>, protocol = 'HTTPS') => ({
  port: { number: 443, name: 'https', protocol },
  hosts: ['shop.example.com'],
  tls,
});

describe('gateway-tls', () => {
  it('reads the protocol case-insensitively, as Istio does', () => {
    expect(check([https({ mode: 'SIMPLE', serverCertificate: '/c.crt', privateKey: '/c.key' }, 'https')])).toEqual([
      'spec.servers[0].tls.serverCertificate',
    ]);
  });

  it("needs no credentialName for ISTIO_MUTUAL (Istio's own certificates), but still checks the version", () => {
    expect(check([https({ mode: 'ISTIO_MUTUAL' }, 'TLS')])).toEqual([]);
    expect(check([https({ mode: 'ISTIO_MUTUAL', minProtocolVersion: 'TLSV1_1' }, 'TLS')])).toEqual([
      'spec.servers[0].tls.minProtocolVersion',
    ]);
  });

  it("judges an unset version as Envoy's TLS 1.2 default when the floor is TLS 1.3", () => {
    const server = https({ mode: 'SIMPLE', credentialName: 'shop-tls' });
    expect(check([server], { minProtocolVersion: 'TLSV1_3' })).toEqual(['spec.servers[0].tls.minProtocolVersion']);
    expect(check([https({ mode: 'SIMPLE', credentialName: 'shop-tls', minProtocolVersion: 'TLS_AUTO' })])).toEqual([]);
  });

  it('counts credentialNames as a Secret source', () => {
    expect(check([https({ mode: 'SIMPLE', credentialNames: ['shop-rsa', 'shop-ecdsa'] })])).toEqual([]);
  });

  it('treats every cleartext HTTP protocol as plain HTTP', () => {
    const grpc = { port: { number: 8080, name: 'grpc', protocol: 'GRPC' }, hosts: ['api.example.com'] };
    expect(check([grpc])).toEqual(['spec.servers[0].tls.httpsRedirect']);
  });

  it('admits * hosts when allowWildcardHosts is on', () => {
    expect(
      check([https({ mode: 'SIMPLE', credentialName: 'x' }), { ...https({}), hosts: ['*'] }], {
        allowWildcardHosts: true,
      }),
    ).toEqual([]);
  });
});

describe('gatewayAllowed', () => {
  it('matches namespace/name patterns on both parts, and bare patterns on the name in any namespace', () => {
    expect(gatewayAllowed(['cert-manager/acme-*'], 'cert-manager', 'acme-http01')).toBe(true);
    expect(gatewayAllowed(['cert-manager/acme-*'], 'shop', 'acme-http01')).toBe(false);
    expect(gatewayAllowed(['acme-*'], 'shop', 'acme-http01')).toBe(true);
    expect(gatewayAllowed([], 'shop', 'acme-http01')).toBe(false);
  });
});
