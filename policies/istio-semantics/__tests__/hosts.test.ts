import {
  hostIsSubsetOf,
  hostsOverlap,
  validateFQDN,
  validateNamespaceSlashHost,
  validatePartialWildcard,
  validateWildcardDomain,
  validateWildcardDomainForGatewayRoute,
} from '../hosts';
import { isValidIP, parsePrefix, validateIPSubnet } from '../ip';

describe('host names', () => {
  it.each([
    ['foo.bar', true],
    ['reviews', true],
    ['istio.io.', true],
    ['*', true],
    ['*.example.com', true],
    ['*foo.example.com', true],
    ['*-foo.example.com', true],
    ['foo.*.com', false],
    ['foo.*', false],
    ['foo.ba!r', false],
    ['-', false],
    ['default/baz', false],
    ['example.123', false],
    ['', false],
    [`${'a'.repeat(64)}.com`, false],
    [`${'a.'.repeat(127)}com`, false],
  ])('validateWildcardDomain(%j) valid=%s', (host, valid) => {
    expect(validateWildcardDomain(host) === undefined).toBe(valid);
  });

  it('words errors as istiod does', () => {
    // As istiod does, labels after the first are reported against the rest of the name.
    expect(validateWildcardDomain('foo.*.com')).toBe('domain name "*.com" invalid (label "*" invalid)');
    expect(validateWildcardDomain('a.b.42')).toBe(
      'domain name "b.42" invalid (top level domain "42" cannot be all-numeric)',
    );
    expect(validateWildcardDomain('')).toBe('empty domain name not allowed');
  });

  it('allows no wildcard at all in FQDNs', () => {
    expect(validateFQDN('api.example.com')).toBeUndefined();
    expect(validateFQDN('*.example.com')).toBeDefined();
    expect(validateFQDN('invaliddns.com:9443')).toBeDefined();
  });

  it("accepts Istio's generated outbound_ SNI names only for gateway-bound SNI routes", () => {
    const sni = 'outbound_.15010_._.istiod.istio-system.svc.cluster.local';
    expect(validateWildcardDomainForGatewayRoute(true, sni)).toBeUndefined();
    expect(validateWildcardDomainForGatewayRoute(false, sni)).toBeDefined();
    expect(validateWildcardDomain(sni)).toBeDefined();
  });

  it.each([
    ['*', undefined],
    ['*.nytimes.com', undefined],
    ['*washingtonpost.com', 'partial wildcard "*washingtonpost.com" not allowed'],
    ['a*.com', 'partial wildcard "a*.com" not allowed'],
  ])('partial wildcard %j', (host, expected) => {
    expect(validatePartialWildcard(host)).toBe(expected);
  });

  describe('namespace/host of Sidecar egress and Gateway servers', () => {
    it.each([
      ['*/*', false, []],
      ['~/*', false, []],
      ['./foo.com', false, []],
      ['ns1/*.example.com', false, []],
      ['*', false, ['host must be of form namespace/dnsName']],
      ['test/*a.com', false, ['partial wildcard "*a.com" not allowed']],
      ['Bad_NS/foo.com', false, ['invalid namespace value "Bad_NS" in sidecar']],
      ['foo.bar.com', true, []],
      ['1.1.1.1', true, []],
      ['ns1/foo.bar.com', true, []],
      ['foo', true, ['short names (non FQDN) are not allowed']],
      ['~/foo.bar.com', true, ['invalid namespace value "~" in gateway']],
    ])('%j (gateway=%s)', (host, gateway, errors) => {
      expect(validateNamespaceSlashHost(host, gateway, false)).toEqual(errors);
    });

    it('allows ~/ for Gateways translated from the Gateway API', () => {
      expect(validateNamespaceSlashHost('~/foo.bar.com', true, true)).toEqual([]);
    });
  });

  describe('wildcard matching', () => {
    it.each([
      ['*.foo.bar', '*.bar', true],
      ['*.bar', '*.foo.bar', true],
      ['foo.bar', '*.bar', true],
      ['foo.bar', 'foo.bar', true],
      ['*.foo.com', '*.bar.com', false],
      ['foo.bar', 'bar.foo', false],
    ])('%s overlaps %s: %s', (a, b, expected) => {
      expect(hostsOverlap(a, b)).toBe(expected);
    });

    it.each([
      ['foo.example.com', '*.example.com', true],
      ['*.foo.example.com', '*.example.com', true],
      ['*.example.com', '*.foo.example.com', false],
      ['*.example.com', 'foo.example.com', false],
      ['foo.example.com', 'foo.example.com', true],
    ])('%s is a subset of %s: %s', (a, b, expected) => {
      expect(hostIsSubsetOf(a, b)).toBe(expected);
    });
  });
});

describe("IP addresses and CIDR blocks (Go's net/netip)", () => {
  it.each([
    ['1.2.3.4', true],
    ['10.0.0.01', false],
    ['256.1.1.1', false],
    ['1.2.3', false],
    ['::1', true],
    ['::', true],
    ['2001:db8::1', true],
    ['fe80::1%eth0', true],
    ['::ffff:1.2.3.4', true],
    ['1:2:3:4:5:6:7:8:9', false],
    ['1::2::3', false],
    ['a.b.c.d', false],
    ['', false],
  ])('%j valid=%s', (addr, valid) => {
    expect(isValidIP(addr)).toBe(valid);
  });

  it.each([
    ['172.1.2.16/16', undefined],
    ['2001:db8::/32', undefined],
    ['1.2.3.4/33', 'prefix length out of range'],
    ['1.2.3.4/016', 'bad bits after slash: "016"'],
    ['fe80::1%eth0/64', 'IPv6 zones cannot be present in a prefix'],
  ])('prefix %j', (prefix, problem) => {
    expect(parsePrefix(prefix)).toBe(problem);
  });

  it('words subnet errors as istiod does', () => {
    expect(validateIPSubnet('10.0.0.0/8')).toBeUndefined();
    expect(validateIPSubnet('10.0.0.0/64')).toBe('10.0.0.0/64 is not a valid CIDR block');
    expect(validateIPSubnet('foo.bar')).toBe('foo.bar is not a valid IP');
  });
});

describe('label verdicts kept by domain', () => {
  it('answer the same the first time, the next, and after more domains than are kept', () => {
    const domains = [
      'reviews.bookinfo.svc.cluster.local',
      'a..b',
      'x.123',
      'ok.-bad-.com',
      'istio.io.',
      'y'.repeat(64),
    ];
    const first = domains.map((d) => [validateFQDN(d), validateWildcardDomain(`*.${d}`)]);
    expect(first.flat().filter((v) => v !== undefined).length).toBeGreaterThan(0);
    for (let i = 0; i < 1500; i++) expect(validateFQDN(`host-${i}.example.com`)).toBeUndefined();
    expect(domains.map((d) => [validateFQDN(d), validateWildcardDomain(`*.${d}`)])).toEqual(first);
    expect(validateFQDN('x.123')).toBe('domain name "x.123" invalid (top level domain "123" cannot be all-numeric)');
  });
});
