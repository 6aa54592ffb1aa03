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

describe('duplicate matches found through signatures', () => {
  /** The detection as it was: every match's canonical JSON in one map. */
  function canonical(value: unknown, skip?: string): unknown {
    if (Array.isArray(value)) {
      const items = value.map((item) => canonical(item));
      return items.length === 0 ? undefined : items;
    }
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(value).sort()) {
        if (k === skip) continue;
        const v = canonical((value as Record<string, unknown>)[k]);
        if (v !== undefined) out[k] = v;
      }
      return Object.keys(out).length === 0 ? undefined : out;
    }
    if (value === null || value === '' || value === 0 || value === false) return undefined;
    return value;
  }
  const keyOf = (m: unknown): string =>
    m !== null && typeof m === 'object' && !Array.isArray(m) ? JSON.stringify(canonical(m, 'name') ?? {}) : 'null';
  /** [rule, match, earlier rule] of every duplicate, by the old map, for rules that all have matches. */
  function expectedDuplicates(http: Array<{ match: unknown[] }>): string[] {
    const seen = new Map<string, number>();
    const out: string[] = [];
    http.forEach((rule, i) => {
      rule.match.forEach((m, j) => {
        const earlier = seen.get(keyOf(m));
        if (earlier !== undefined) out.push(`${i}.${j}<${earlier}`);
        else seen.set(keyOf(m), i);
      });
    });
    return out;
  }
  const found = (http: Array<{ match: unknown[] }>): string[] =>
    istioValidation(vs(http.map((r) => ({ ...r, route }))), 'bookinfo')
      .issues.map((i) => ({ i, m: /^spec\.http\[(\d+)\]\.match\[(\d+)\]$/.exec(i.path) }))
      .filter(
        ({ i, m }) => m !== null && /is not used \(duplicate\/overlapping match in rule #(\d+)\)$/.test(i.message),
      )
      .map(({ i, m }) => `${m?.[1]}.${m?.[2]}<${/rule #(\d+)\)$/.exec(i.message)?.[1]}`);

  it('treats forms with the same canonical view as one match', () => {
    const http = [
      { match: [{ uri: { exact: '/a', prefix: '' }, headers: {} }] },
      { match: [{ uri: { exact: '/a' }, name: 'other' }] },
      { match: [{ uri: { exact: 5 } }, { headers: { h: { exact: 'x' } } }] },
      {
        match: [
          { uri: { exact: 5 }, port: 0 },
          { headers: { h: { exact: 'x' } }, ignoreUriCase: false },
        ],
      },
      { match: [{ uri: { exact: '/a' }, method: { exact: 'GET' } }, null] },
      { match: [null, { uri: { regex: '/a' } }] },
    ];
    expect(found(http)).toEqual(expectedDuplicates(http));
    expect(found(http)).toEqual(['1.0<0', '3.0<2', '3.1<2', '5.0<4']);
  });

  it('finds what the single map found, on 3,000 generated route tables', () => {
    let seed = 11;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return Math.floor((seed / 2147483648) * n);
    };
    const URIS = [
      undefined,
      {},
      { exact: '/a' },
      { exact: '/a', prefix: '' },
      { prefix: '/b' },
      { regex: '.*' },
      { exact: 0 },
    ];
    const pick = <T>(list: readonly T[]): T => list[random(list.length)] as T;
    let duplicates = 0;
    for (let t = 0; t < 3000; t++) {
      const http = Array.from({ length: 1 + random(4) }, () => ({
        match: Array.from({ length: 1 + random(3) }, () => {
          if (random(15) === 0) return null;
          const m: Record<string, unknown> = {};
          const uri = pick(URIS);
          if (uri !== undefined) m.uri = uri;
          if (random(3) === 0) m.method = pick([{ exact: 'GET' }, { exact: '' }, {}]);
          if (random(4) === 0) m.name = pick(['a', 'b']);
          if (random(4) === 0) m.headers = pick([{}, { h: { exact: 'x' } }, { h: { prefix: 'x' } }]);
          return m;
        }),
      }));
      const want = expectedDuplicates(http);
      expect({ t, found: found(http) }).toEqual({ t, found: want });
      duplicates += want.length;
    }
    expect(duplicates).toBeGreaterThan(1000);
  });
});
