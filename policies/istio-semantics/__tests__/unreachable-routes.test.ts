import { istioValidation } from '..';

const vs = (http: unknown[], extra: Record<string, unknown> = {}) => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name: 'reviews', namespace: 'bookinfo' },
  spec: { hosts: ['reviews'], http, ...extra },
});
const route = [{ destination: { host: 'reviews' } }];
const warnings = (object: Record<string, unknown>) =>
  istioValidation(object, 'bookinfo')
    .issues.filter((i) => i.severity === 'warning')
    .map((i) => `${i.path}: ${i.message}`);

describe('unreachable VirtualService rules (warnings, as istiod gives them)', () => {
  it('warns about rules after a catch-all rule', () => {
    expect(warnings(vs([{ route }, { match: [{ uri: { prefix: '/a' } }], route }]))).toEqual([
      'spec.http[1]: virtualService rule #1 not used (route without matches defined before)',
    ]);
    expect(warnings(vs([{ route }, { name: 'second', route }]))).toEqual([
      'spec.http[1]: virtualService rule "second" not used (only the last rule can have no matches)',
    ]);
  });

  it('warns about a match identical to an earlier one, ignoring match names', () => {
    const m = { uri: { exact: '/login' }, headers: { 'x-user': { exact: 'a' } } };
    expect(
      warnings(
        vs([
          { name: 'first', match: [m], route },
          { match: [{ ...m, name: 'again' }, { uri: { exact: '/other' } }], route },
        ]),
      ),
    ).toEqual([
      'spec.http[1].match[0]: virtualService rule #1 match "again" is not used (duplicate/overlapping match in rule "first")',
    ]);
    expect(
      warnings(
        vs([
          { match: [m], route },
          { match: [m], route },
        ]),
      ),
    ).toEqual([
      'spec.http[1].match[0]: virtualService rule #1 match #0 is not used (duplicate/overlapping match in rule #0)',
      'spec.http[1]: virtualService rule #1 not used (all matches used by prior rules)',
    ]);
  });

  it('ignores only the match name itself: a header called "name" is a condition', () => {
    const byHeader = (value: string) => ({ uri: { exact: '/login' }, headers: { name: { exact: value } } });
    expect(
      warnings(
        vs([
          { match: [{ ...byHeader('a'), name: 'one' }], route },
          { match: [{ ...byHeader('b'), name: 'two' }], route },
        ]),
      ),
    ).toEqual([]);
    expect(
      warnings(
        vs([
          { match: [{ ...byHeader('a'), name: 'one' }], route },
          { match: [{ ...byHeader('a'), name: 'two' }], route },
        ]),
      ),
    ).toEqual([
      'spec.http[1].match[0]: virtualService rule #1 match "two" is not used (duplicate/overlapping match in rule #0)',
      'spec.http[1]: virtualService rule #1 not used (all matches used by prior rules)',
    ]);
  });

  it('warns about a longer prefix shadowed by an earlier shorter one with the same other conditions', () => {
    const http = [
      { match: [{ uri: { prefix: '/api/v1/product' } }], route },
      { match: [{ uri: { prefix: '/api/v1/products' }, method: { exact: 'GET' } }], route },
    ];
    expect(warnings(vs(http))).toEqual([
      'spec.http[1].match[0]: virtualService rule #1 match #0 of prefix /api/v1/products is not used (duplicate/overlapping match in rule #0 of prefix /api/v1/product on #0)',
    ]);
  });

  it('does not warn when the later prefix has conditions the earlier one lacks, or for exact/prefix pairs', () => {
    const http = [
      { match: [{ uri: { prefix: '/api' } }], route },
      { match: [{ uri: { prefix: '/api/v2' }, headers: { 'x-canary': { exact: 'true' } } }], route },
      { match: [{ uri: { prefix: '/' } }, { uri: { exact: '/' }, method: { exact: 'GET' } }], route },
    ];
    expect(warnings(vs(http))).toEqual([]);
  });

  it('analyses TCP and TLS rules too', () => {
    const tcp = [{ route }, { match: [{ port: 9000 }], route }];
    expect(warnings(vs([], { http: undefined, tcp }))).toEqual([
      'spec.tcp[1]: virtualService rule #1 not used (route without matches defined before)',
    ]);
  });
});
