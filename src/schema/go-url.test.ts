/**
 * net/url's documented behaviour, the examples of Kubernetes' CEL URL library (apiserver/pkg/cel/library/urls.go)
 * and cases from Go's url_test.go, with the results and error texts of Go 1.26 (GODEBUG urlstrictcolons=0 unless
 * stated).
 */
import { goQuote, parseRequestURI, parseURL } from './go-url';

interface Parts {
  scheme?: string;
  opaque?: string;
  host?: string;
  hostname?: string;
  port?: string;
  path?: string;
  rawPath?: string;
  escapedPath?: string;
  rawQuery?: string;
  fragment?: string;
  user?: string;
  password?: string;
}

/** url.Parse results; fields not listed are empty. */
const parsed: Array<[string, Parts]> = [
  [
    'https://user:pass@example.com:80/path?query=val#fragment',
    {
      scheme: 'https',
      host: 'example.com:80',
      hostname: 'example.com',
      port: '80',
      path: '/path',
      escapedPath: '/path',
      rawQuery: 'query=val',
      fragment: 'fragment',
      user: 'user',
      password: 'pass',
    },
  ],
  ['/absolute-path', { path: '/absolute-path', escapedPath: '/absolute-path' }],
  ['../relative-path', { path: '../relative-path', escapedPath: '../relative-path' }],
  ['foo.com/path', { path: 'foo.com/path', escapedPath: 'foo.com/path' }],
  ['*', { path: '*', escapedPath: '*' }],
  ['http://[::1]:80/', { scheme: 'http', host: '[::1]:80', hostname: '::1', port: '80', path: '/', escapedPath: '/' }],
  ['https://[::1]/', { scheme: 'https', host: '[::1]', hostname: '::1', path: '/', escapedPath: '/' }],
  [
    'http://[fe80::1%25en0]:8080/',
    { scheme: 'http', host: '[fe80::1%en0]:8080', hostname: 'fe80::1%en0', port: '8080', path: '/', escapedPath: '/' },
  ],
  [
    'http://[::ffff:1.2.3.4]/',
    { scheme: 'http', host: '[::ffff:1.2.3.4]', hostname: '::ffff:1.2.3.4', path: '/', escapedPath: '/' },
  ],
  // Without strict colons, the last colon starts the port.
  ['http://::1:80/', { scheme: 'http', host: '::1:80', hostname: '::1', port: '80', path: '/', escapedPath: '/' }],
  ['http://h:80:80/', { scheme: 'http', host: 'h:80:80', hostname: 'h:80', port: '80', path: '/', escapedPath: '/' }],
  [
    'mongodb://h1:1,h2:2/db',
    { scheme: 'mongodb', host: 'h1:1,h2:2', hostname: 'h1:1,h2', port: '2', path: '/db', escapedPath: '/db' },
  ],
  [
    'http://user:pa%20ss@host/',
    { scheme: 'http', host: 'host', hostname: 'host', path: '/', escapedPath: '/', user: 'user', password: 'pa ss' },
  ],
  [
    'http://hö.st/pä th',
    {
      scheme: 'http',
      host: 'hö.st',
      hostname: 'hö.st',
      path: '/pä th',
      rawPath: '/pä th',
      escapedPath: '/p%C3%A4%20th',
    },
  ],
  [
    'https://example.com/path with spaces/',
    {
      scheme: 'https',
      host: 'example.com',
      hostname: 'example.com',
      path: '/path with spaces/',
      rawPath: '/path with spaces/',
      escapedPath: '/path%20with%20spaces/',
    },
  ],
  [
    'http://h/a%2Fb',
    { scheme: 'http', host: 'h', hostname: 'h', path: '/a/b', rawPath: '/a%2Fb', escapedPath: '/a%2Fb' },
  ],
  ['mailto:user@example.com', { scheme: 'mailto', opaque: 'user@example.com' }],
  [
    'oci://ghcr.io/istio/ext:1.0',
    { scheme: 'oci', host: 'ghcr.io', hostname: 'ghcr.io', path: '/istio/ext:1.0', escapedPath: '/istio/ext:1.0' },
  ],
  ['file:///opt/ext.wasm', { scheme: 'file', path: '/opt/ext.wasm', escapedPath: '/opt/ext.wasm' }],
  [
    'HTTP://Example.COM/',
    { scheme: 'http', host: 'Example.COM', hostname: 'Example.COM', path: '/', escapedPath: '/' },
  ],
  ['x/y:z', { path: 'x/y:z', escapedPath: 'x/y:z' }],
  ['//host/path', { host: 'host', hostname: 'host', path: '/path', escapedPath: '/path' }],
  ['///path', { path: '///path', escapedPath: '///path' }],
  ['http://x/a#b c', { scheme: 'http', host: 'x', hostname: 'x', path: '/a', escapedPath: '/a', fragment: 'b c' }],
];

/** Failures of both Parse and ParseRequestURI, with Go's error text. */
const refusedByBoth: Array<[string, string]> = [
  ['https://a:b:c/', 'parse "https://a:b:c/": invalid port ":c" after host'],
  ['https://foo.com:not-a-number', 'parse "https://foo.com:not-a-number": invalid port ":not-a-number" after host'],
  ['http://[::1]:namedport', 'parse "http://[::1]:namedport": invalid port ":namedport" after host'],
  ['http://[1.2.3.4]/', 'parse "http://[1.2.3.4]/": invalid IP-literal'],
  ['http://a[::1]/', 'parse "http://a[::1]/": invalid IP-literal'],
  ['http://[::1', `parse "http://[::1": missing ']' in host`],
  [
    'http://[1::2::3]/',
    'parse "http://[1::2::3]/": invalid host: ParseAddr("1::2::3"): multiple :: in address (at ":3")',
  ],
  ['http://[fe80::1%en0]/', 'parse "http://[fe80::1%en0]/": invalid URL escape "%en"'],
  ['http://us er@host/', 'parse "http://us er@host/": net/url: invalid userinfo'],
  ['http://host/%zz', 'parse "http://host/%zz": invalid URL escape "%zz"'],
  ['http://ho st/', 'parse "http://ho st/": invalid character " " in host name'],
  ['http://ho%41st/', 'parse "http://ho%41st/": invalid URL escape "%41"'],
  ['http://x/\u0001', 'parse "http://x/\\x01": net/url: invalid control character in URL'],
  ['http://x/\u007f', 'parse "http://x/\\x7f": net/url: invalid control character in URL'],
  [':foo', 'parse ":foo": missing protocol scheme'],
  ['http://x/#%zz', 'parse "http://x/#%zz": invalid URL escape "%zz"'],
];

/** ParseRequestURI only takes an absolute URI or an absolute path. */
const refusedForRequests: Array<[string, string]> = [
  ['', 'parse "": empty url'],
  ['../relative-path', 'parse "../relative-path": invalid URI for request'],
  ['foo.com/path', 'parse "foo.com/path": invalid URI for request'],
  ['x/y:z', 'parse "x/y:z": invalid URI for request'],
  ['cache_object:foo/bar', 'parse "cache_object:foo/bar": invalid URI for request'],
];

function partsOf(u: ReturnType<typeof parseURL>): Parts {
  if (!u.ok) throw new Error(u.error);
  const url = u.url;
  const all: Parts = {
    scheme: url.scheme,
    opaque: url.opaque,
    host: url.host,
    hostname: url.hostname(),
    port: url.port(),
    path: url.path,
    rawPath: url.rawPath,
    escapedPath: url.escapedPath(),
    rawQuery: url.rawQuery,
    fragment: url.fragment,
    user: url.user?.username,
    password: url.user?.password,
  };
  return Object.fromEntries(Object.entries(all).filter(([, v]) => v !== '' && v !== undefined));
}

describe('parseURL (url.Parse)', () => {
  test.each(parsed)('%j', (input, expected) => {
    expect(partsOf(parseURL(input))).toEqual(expected);
  });

  test.each(refusedByBoth)('%j is refused', (input, error) => {
    expect(parseURL(input)).toEqual({ ok: false, error });
  });

  test('refuses a colon in the first segment of a relative path', () => {
    expect(parseURL('cache_object:foo/bar')).toEqual({
      ok: false,
      error: 'parse "cache_object:foo/bar": first path segment in URL cannot contain colon',
    });
  });

  test('with strict colons, refuses extra colons in an http(s) host only', () => {
    expect(parseURL('http://::1:80/', { strictColons: true })).toEqual({
      ok: false,
      error: 'parse "http://::1:80/": invalid port "::1:80" after host',
    });
    expect(parseURL('https://a:b:c/', { strictColons: true })).toEqual({
      ok: false,
      error: 'parse "https://a:b:c/": invalid port ":b:c" after host',
    });
    expect(parseURL('mongodb://h1:1,h2:2/db', { strictColons: true }).ok).toBe(true);
  });
});

describe('parseRequestURI (url.ParseRequestURI)', () => {
  test.each(refusedForRequests)('%j is refused', (input, error) => {
    expect(parseRequestURI(input)).toEqual({ ok: false, error });
  });

  test.each(refusedByBoth)('%j is refused as by Parse', (input, error) => {
    expect(parseRequestURI(input)).toEqual({ ok: false, error });
  });

  test.each([
    'https://user:pass@example.com:80/path?query=val#fragment',
    '/absolute-path',
    '*',
    'mailto:user@example.com',
    'ghcr.io:5000/x',
  ])('%j is accepted', (input) => {
    expect(parseRequestURI(input).ok).toBe(true);
  });

  test('keeps a # in the path, since requests carry no fragment', () => {
    const u = parseRequestURI('http://x/a#b');
    expect(u.ok && u.url.path).toBe('/a#b');
  });
});

describe('GoURL.query', () => {
  test('keeps repeated keys in order and unescapes keys and values', () => {
    const u = parseURL('https://example.com/path?k1=a&k2=b&k2=c&key with spaces=value+with%20spaces');
    expect(u.ok && Object.fromEntries(u.url.query())).toEqual({
      k1: ['a'],
      k2: ['b', 'c'],
      'key with spaces': ['value with spaces'],
    });
  });

  test('drops pairs with a semicolon or a bad escape, as URL.Query does', () => {
    const u = parseURL('http://h/?a;b=1&c=%zz&d=%41+x');
    expect(u.ok && Object.fromEntries(u.url.query())).toEqual({ d: ['A x'] });
  });

  test('is empty for a bare ? and for no query', () => {
    for (const input of ['https://example.com/path?', 'https://example.com/path']) {
      const u = parseURL(input);
      expect(u.ok && u.url.query().size).toBe(0);
    }
  });
});

describe('goQuote (strconv.Quote over bytes)', () => {
  test('keeps printable Unicode and escapes the rest as Go does', () => {
    expect(goQuote('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(goQuote('\u0007\b\f\n\r\t\u000b\u0000\u007f')).toBe('"\\a\\b\\f\\n\\r\\t\\v\\x00\\x7f"');
    // "hé" as UTF-8 bytes, then a lone continuation byte, which is not valid UTF-8.
    expect(goQuote('h\u00c3\u00a9\u0080')).toBe('"hé\\x80"');
    // U+00A0 (no-break space) is not printable for Go.
    expect(goQuote('\u00c2\u00a0')).toBe('"\\u00a0"');
  });
});
