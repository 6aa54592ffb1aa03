import {
  commonVisibility,
  coveringWildcards,
  gatewayHostServes,
  hostsIntersect,
  isVisibleTo,
  resolveGatewayRef,
  resolveHost,
  serviceNamespaceOf,
} from '../../src/policy-helpers/hosts';

describe('resolveHost: the name Istio keys a host by', () => {
  it.each([
    ['reviews', 'bookinfo', 'reviews.bookinfo.svc.cluster.local'],
    ['Reviews', 'bookinfo', 'reviews.bookinfo.svc.cluster.local'],
    ['reviews.bookinfo.svc.cluster.local', 'other', 'reviews.bookinfo.svc.cluster.local'],
    ['reviews.bookinfo.svc.cluster.local.', 'other', 'reviews.bookinfo.svc.cluster.local'],
    // Istio expands single labels only: `reviews.bookinfo` is taken as written (and matches no service).
    ['reviews.bookinfo', 'other', 'reviews.bookinfo'],
    ['api.example.com', 'shop', 'api.example.com'],
    ['*', 'shop', '*'],
    ['*.example.com', 'shop', '*.example.com'],
  ])('%s in %s → %s', (host, ns, expected) => {
    expect(resolveHost(host, ns)).toBe(expected);
  });

  it('uses the cluster domain it is given', () => {
    expect(resolveHost('reviews', 'bookinfo', 'corp.internal')).toBe('reviews.bookinfo.svc.corp.internal');
    expect(serviceNamespaceOf('reviews.bookinfo.svc.corp.internal', 'corp.internal')).toBe('bookinfo');
  });
});

describe('serviceNamespaceOf', () => {
  it.each([
    ['reviews.bookinfo.svc.cluster.local', 'bookinfo'],
    ['reviews.bookinfo.svc', undefined],
    ['a.b.bookinfo.svc.cluster.local', undefined],
    ['*.bookinfo.svc.cluster.local', undefined],
    ['api.example.com', undefined],
  ])('%s → %s', (host, ns) => {
    expect(serviceNamespaceOf(host)).toBe(ns);
  });
});

describe('hostsIntersect: host.Name.Matches, wildcards on either side', () => {
  it.each([
    ['api.example.com', 'api.example.com', true],
    ['api.example.com', 'www.example.com', false],
    ['*.example.com', 'api.example.com', true],
    ['api.example.com', '*.example.com', true],
    ['*.example.com', 'example.com', false],
    ['*.example.com', '*.api.example.com', true],
    ['*.api.example.com', '*.example.com', true],
    ['*.example.com', '*.example.org', false],
    ['*', 'anything.at.all', true],
    ['*', '*.example.com', true],
  ])('%s ∩ %s = %s', (a, b, expected) => {
    expect(hostsIntersect(a, b)).toBe(expected);
  });
});

it('coveringWildcards lists the wildcards that could cover a host, most specific first', () => {
  expect(coveringWildcards('reviews.bookinfo.svc.cluster.local')).toEqual([
    '*.bookinfo.svc.cluster.local',
    '*.svc.cluster.local',
    '*.cluster.local',
    '*.local',
    '*',
  ]);
  expect(coveringWildcards('localhost')).toEqual(['*']);
});

describe('exportTo visibility', () => {
  it.each([
    [undefined, 'bookinfo', 'frontend', true],
    [[], 'bookinfo', 'frontend', true],
    [['*'], 'bookinfo', 'frontend', true],
    [['.'], 'bookinfo', 'bookinfo', true],
    [['.'], 'bookinfo', 'frontend', false],
    [['frontend'], 'bookinfo', 'frontend', true],
    [['frontend'], 'bookinfo', 'bookinfo', false],
    [['.', 'frontend'], 'bookinfo', 'bookinfo', true],
    [['~'], 'bookinfo', 'bookinfo', false],
  ] as const)('exportTo %j of %s seen from %s: %s', (exportTo, owner, viewer, expected) => {
    expect(isVisibleTo(exportTo as readonly string[] | undefined, owner, viewer)).toBe(expected);
  });

  it('commonVisibility names a namespace that sees both, preferring the owners', () => {
    const a = (exportTo?: string[]) => ({ namespace: 'bookinfo', exportTo });
    expect(commonVisibility(a(), a())).toBe('bookinfo');
    expect(commonVisibility(a(['.']), a(['frontend']))).toBeUndefined();
    expect(commonVisibility(a(['.', 'frontend']), a(['frontend']))).toBe('frontend');
    expect(commonVisibility(a(['frontend']), { namespace: 'other', exportTo: undefined })).toBe('frontend');
    expect(commonVisibility(a(['~']), a())).toBeUndefined();
  });
});

describe('gateway references', () => {
  it.each([
    ['public', 'shop', { namespace: 'shop', name: 'public' }],
    ['istio-ingress/public', 'shop', { namespace: 'istio-ingress', name: 'public' }],
    ['public.istio-ingress.svc.cluster.local', 'shop', { namespace: 'istio-ingress', name: 'public' }],
    ['mesh', 'shop', undefined],
  ])('%s from %s', (ref, ns, expected) => {
    expect(resolveGatewayRef(ref, ns)).toEqual(expected);
  });

  it.each([
    ['shop.example.com', 'istio-ingress', 'shop.example.com', 'shop', true],
    ['*/shop.example.com', 'istio-ingress', 'shop.example.com', 'shop', true],
    ['shop/shop.example.com', 'istio-ingress', 'shop.example.com', 'shop', true],
    ['payments/shop.example.com', 'istio-ingress', 'shop.example.com', 'shop', false],
    ['./shop.example.com', 'istio-ingress', 'shop.example.com', 'shop', false],
    ['./shop.example.com', 'shop', 'shop.example.com', 'shop', true],
    ['*.example.com', 'istio-ingress', 'shop.example.com', 'shop', true],
    ['*', 'istio-ingress', 'reviews.bookinfo.svc.cluster.local', 'bookinfo', true],
    ['api.example.com', 'istio-ingress', 'shop.example.com', 'shop', false],
    ['~/shop.example.com', 'istio-ingress', 'shop.example.com', 'shop', false],
  ])('server host %s of a Gateway in %s serves %s of %s: %s', (server, gwNs, host, vsNs, expected) => {
    expect(gatewayHostServes(server, gwNs, host, vsNs)).toBe(expected);
  });
});
