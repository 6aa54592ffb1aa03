import type { KubeObject } from '../../../src/admission/types';
import { config, judge } from '../../../test/support/engine';
import { policies } from '../..';

const onlyThis = config(
  `policies:\n${policies
    .filter((p) => p.id !== 'istio-semantics' && p.id !== 'schema')
    .map((p) => `  ${p.id}: { action: off }`)
    .join('\n')}\n`,
);
const findings = (object: KubeObject) => {
  const v = judge(object, { config: onlyThis });
  return {
    denied: v.violations.filter((f) => f.policy === 'istio-semantics').map((f) => `${f.path}: ${f.message}`),
    warned: v.warnings.filter((f) => f.policy === 'istio-semantics').map((f) => `${f.path}: ${f.message}`),
    schema: v.violations.filter((f) => f.policy === 'schema').length,
  };
};

const virtualService = (spec: Record<string, unknown>): KubeObject => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name: 'reviews', namespace: 'bookinfo' },
  spec,
});

describe('istio-semantics policy', () => {
  it("denies what istiod rejects, in istiod's words, at the field's path", () => {
    const r = findings(
      virtualService({
        hosts: ['reviews'],
        http: [{ route: [{ destination: { host: 'reviews' }, headers: { response: { set: { 'x-rate': '50%' } } } }] }],
      }),
    );
    expect(r.denied).toEqual([
      'spec.http[0].route[0].headers.response.set[x-rate]: configuration is invalid: header value configuration: invalid header configuration. Un-escaped %',
    ]);
  });

  it('turns istiod warnings into AdmissionReview warnings, not denials', () => {
    const r = findings(
      virtualService({
        hosts: ['reviews'],
        http: [{ mirrorPercent: 5, route: [{ destination: { host: 'reviews' } }] }],
      }),
    );
    expect(r.denied).toEqual([]);
    expect(r.warned).toEqual([
      'spec.http[0].mirrorPercent: using deprecated setting "mirrorPercent", use "mirrorPercentage" instead',
    ]);
  });

  it('refuses RE2-invalid regular expressions that JavaScript would accept', () => {
    const r = findings(
      virtualService({
        hosts: ['reviews'],
        http: [{ match: [{ uri: { regex: '/(?!admin).*' } }], route: [{ destination: { host: 'reviews' } }] }],
      }),
    );
    expect(r.denied).toHaveLength(1);
    expect(r.denied[0]).toContain(
      'spec.http[0].match[0].uri: configuration is invalid: "uri": error parsing regexp: invalid or unsupported Perl syntax',
    );
  });

  it('stays silent on objects the CRD schema already rejects: the API server never calls istiod for them', () => {
    const r = findings(virtualService({ hosts: ['reviews'], http: [{ route: [{}] }] }));
    expect(r.schema).toBeGreaterThan(0);
    expect(r.denied).toEqual([]);
  });

  it('admits a well-formed object silently', () => {
    const r = findings(
      virtualService({
        hosts: ['reviews.bookinfo.svc.cluster.local'],
        http: [{ route: [{ destination: { host: 'reviews' } }] }],
      }),
    );
    expect(r).toEqual({ denied: [], warned: [], schema: 0 });
  });

  it('checks every served version the same way', () => {
    for (const version of ['v1', 'v1beta1', 'v1alpha3']) {
      const r = findings({
        ...virtualService({ hosts: ['*'], http: [{ route: [{ destination: { host: 'a' } }] }] }),
        apiVersion: `networking.istio.io/${version}`,
      });
      expect(r.denied).toEqual([
        'spec.hosts[0]: configuration is invalid: wildcard host * is not allowed for virtual services bound to the mesh gateway',
      ]);
    }
  });
});
