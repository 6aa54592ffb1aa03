/**
 * The parts of Go's `net/url` that Kubernetes' CEL URL library relies on (`url.Parse`, `url.ParseRequestURI` and the
 * accessors behind getScheme/getHost/getHostname/getPort/getEscapedPath/getQuery), ported from src/net/url/url.go so
 * that a URL is accepted or refused exactly as the API server would, with the same error text.
 *
 * Go strings are bytes; the parser is ported over "byte strings" (a JS string whose char codes are the UTF-8 bytes)
 * so that byte-level decisions (escaping, %XX decoding, `s[i] < 0x80`) stay identical. Results are decoded back.
 *
 * Ported from Go 1.26's url.go, including the bracketed-host check (only IPv6 literals, via netip.ParseAddr) that
 * Go 1.24.8/1.25.2 introduced. Extra colons in a host follow GODEBUG urlstrictcolons=0, the behaviour of binaries
 * whose go.mod declares a version before 1.26, as Kubernetes' does; see GoURLOptions.strictColons.
 */

type Mode = 'path' | 'pathSegment' | 'host' | 'zone' | 'userPassword' | 'queryComponent' | 'fragment';

type Result<T> = { ok: true; value: T } | { ok: false; error: string };

const fail = (error: string): { ok: false; error: string } => ({ ok: false, error });

export interface GoUserinfo {
  readonly username: string;
  readonly password: string | undefined;
}

/** Fields hold byte strings, as Go's do; read them through GoURL's accessors. */
interface UrlFields {
  scheme: string;
  opaque: string;
  user: { username: string; password: string | undefined } | undefined;
  host: string;
  path: string;
  rawPath: string;
  omitHost: boolean;
  forceQuery: boolean;
  rawQuery: string;
  fragment: string;
  rawFragment: string;
}

/** A parsed URL with Go's field meanings; every string is decoded from UTF-8 (invalid bytes become U+FFFD). */
export class GoURL {
  /** @param f byte-string fields straight from the parser */
  constructor(private readonly f: UrlFields) {}

  get scheme(): string {
    return fromBytes(this.f.scheme);
  }
  get opaque(): string {
    return fromBytes(this.f.opaque);
  }
  get user(): GoUserinfo | undefined {
    const u = this.f.user;
    if (u === undefined) return undefined;
    return { username: fromBytes(u.username), password: u.password === undefined ? undefined : fromBytes(u.password) };
  }
  /** host or host:port, brackets kept around an IPv6 literal. */
  get host(): string {
    return fromBytes(this.f.host);
  }
  /** Decoded path. */
  get path(): string {
    return fromBytes(this.f.path);
  }
  get rawPath(): string {
    return fromBytes(this.f.rawPath);
  }
  get omitHost(): boolean {
    return this.f.omitHost;
  }
  get forceQuery(): boolean {
    return this.f.forceQuery;
  }
  get rawQuery(): string {
    return fromBytes(this.f.rawQuery);
  }
  get fragment(): string {
    return fromBytes(this.f.fragment);
  }
  get rawFragment(): string {
    return fromBytes(this.f.rawFragment);
  }

  /** Host without a valid numeric port and without IPv6 brackets. */
  hostname(): string {
    return fromBytes(splitHostPort(this.f.host).host);
  }

  /** The numeric port, or "" when there is none. */
  port(): string {
    return fromBytes(splitHostPort(this.f.host).port);
  }

  /** The path as it must appear in a URL: RawPath when it is a valid encoding of Path, else Path escaped. */
  escapedPath(): string {
    const { path, rawPath } = this.f;
    if (rawPath !== '' && validEncoded(rawPath, 'path')) {
      const p = unescapeAs(rawPath, 'path');
      if (p.ok && p.value === path) return fromBytes(rawPath);
    }
    if (path === '*') return '*';
    return fromBytes(escapeAs(path, 'path'));
  }

  /** The query as Go's `URL.Query()` parses it: malformed pairs silently dropped, repeated keys kept in order. */
  query(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    const parts = this.f.rawQuery.split('&');
    // Go refuses to parse more than 10000 parameters (GODEBUG urlmaxqueryparams) and Query() then reads as empty.
    if (parts.length > 10_000) return out;
    for (const part of parts) {
      if (part === '' || part.includes(';')) continue;
      const eq = part.indexOf('=');
      const k = unescapeAs(eq < 0 ? part : part.slice(0, eq), 'queryComponent');
      if (!k.ok) continue;
      const v = unescapeAs(eq < 0 ? '' : part.slice(eq + 1), 'queryComponent');
      if (!v.ok) continue;
      const key = fromBytes(k.value);
      const values = out.get(key);
      if (values === undefined) out.set(key, [fromBytes(v.value)]);
      else values.push(fromBytes(v.value));
    }
    return out;
  }
}

export interface GoURLOptions {
  /** Go 1.26's default for modules declaring go >= 1.26: more than one colon in an http(s) host is an error. */
  strictColons?: boolean;
}

export type GoURLResult = { ok: true; url: GoURL } | { ok: false; error: string };

/** `url.Parse`: any URI reference, relative or absolute, with an optional #fragment. */
export function parseURL(rawURL: string, options: GoURLOptions = {}): GoURLResult {
  const raw = toBytes(rawURL);
  const hash = raw.indexOf('#');
  const u = hash < 0 ? raw : raw.slice(0, hash);
  const parsed = parse(u, false, options);
  if (!parsed.ok) return fail(`parse ${goQuote(u)}: ${parsed.error}`);
  if (hash < 0) return { ok: true, url: new GoURL(parsed.value) };
  const frag = raw.slice(hash + 1);
  if (frag === '') return { ok: true, url: new GoURL(parsed.value) };
  const f = unescapeAs(frag, 'fragment');
  if (!f.ok) return fail(`parse ${goQuote(raw)}: ${f.error}`);
  parsed.value.fragment = f.value;
  parsed.value.rawFragment = escapeAs(f.value, 'fragment') === frag ? '' : frag;
  return { ok: true, url: new GoURL(parsed.value) };
}

/**
 * `url.ParseRequestURI`: only an absolute URI or an absolute path, as in an HTTP request line. A `#` is not special
 * here (it ends up in the path or query), which is what Kubernetes' isURL()/url() build on.
 */
export function parseRequestURI(rawURL: string, options: GoURLOptions = {}): GoURLResult {
  const raw = toBytes(rawURL);
  const parsed = parse(raw, true, options);
  if (!parsed.ok) return fail(`parse ${goQuote(raw)}: ${parsed.error}`);
  return { ok: true, url: new GoURL(parsed.value) };
}

function parse(rawURL: string, viaRequest: boolean, options: GoURLOptions): Result<UrlFields> {
  if (containsCTLByte(rawURL)) return fail('net/url: invalid control character in URL');
  if (rawURL === '' && viaRequest) return fail('empty url');
  const url: UrlFields = {
    scheme: '',
    opaque: '',
    user: undefined,
    host: '',
    path: '',
    rawPath: '',
    omitHost: false,
    forceQuery: false,
    rawQuery: '',
    fragment: '',
    rawFragment: '',
  };
  if (rawURL === '*') {
    url.path = '*';
    return { ok: true, value: url };
  }

  const scheme = getScheme(rawURL);
  if (!scheme.ok) return scheme;
  url.scheme = scheme.value.scheme.toLowerCase();
  let rest = scheme.value.rest;

  if (rest.endsWith('?') && rest.indexOf('?') === rest.length - 1) {
    url.forceQuery = true;
    rest = rest.slice(0, -1);
  } else {
    const q = rest.indexOf('?');
    if (q >= 0) {
      url.rawQuery = rest.slice(q + 1);
      rest = rest.slice(0, q);
    }
  }

  if (!rest.startsWith('/')) {
    if (url.scheme !== '') {
      // Rootless paths (RFC 3986) are opaque.
      url.opaque = rest;
      return { ok: true, value: url };
    }
    if (viaRequest) return fail('invalid URI for request');
    // A colon in the first segment of a relative path would read as a scheme (golang.org/issue/16822).
    const slash = rest.indexOf('/');
    const segment = slash < 0 ? rest : rest.slice(0, slash);
    if (segment.includes(':')) return fail('first path segment in URL cannot contain colon');
  }

  if ((url.scheme !== '' || (!viaRequest && !rest.startsWith('///'))) && rest.startsWith('//')) {
    let authority = rest.slice(2);
    rest = '';
    const slash = authority.indexOf('/');
    if (slash >= 0) {
      rest = authority.slice(slash);
      authority = authority.slice(0, slash);
    }
    const auth = parseAuthority(url.scheme, authority, options.strictColons === true);
    if (!auth.ok) return auth;
    url.user = auth.value.user;
    url.host = auth.value.host;
  } else if (url.scheme !== '' && rest.startsWith('/')) {
    url.omitHost = true;
  }

  const path = unescapeAs(rest, 'path');
  if (!path.ok) return path;
  url.path = path.value;
  url.rawPath = escapeAs(path.value, 'path') === rest ? '' : rest;
  return { ok: true, value: url };
}

/** A scheme is [a-zA-Z][a-zA-Z0-9+.-]* followed by ':'; anything else means there is none. */
function getScheme(rawURL: string): Result<{ scheme: string; rest: string }> {
  for (let i = 0; i < rawURL.length; i++) {
    const c = rawURL.charCodeAt(i);
    if (isAlpha(c)) continue;
    if (isDigitCode(c) || c === 0x2b || c === 0x2d || c === 0x2e) {
      if (i === 0) return { ok: true, value: { scheme: '', rest: rawURL } };
      continue;
    }
    if (c === 0x3a) {
      if (i === 0) return fail('missing protocol scheme');
      return { ok: true, value: { scheme: rawURL.slice(0, i), rest: rawURL.slice(i + 1) } };
    }
    return { ok: true, value: { scheme: '', rest: rawURL } };
  }
  return { ok: true, value: { scheme: '', rest: rawURL } };
}

function parseAuthority(
  scheme: string,
  authority: string,
  strictColons: boolean,
): Result<{ user: UrlFields['user']; host: string }> {
  const at = authority.lastIndexOf('@');
  const host = parseHost(scheme, at < 0 ? authority : authority.slice(at + 1), strictColons);
  if (!host.ok) return host;
  if (at < 0) return { ok: true, value: { user: undefined, host: host.value } };
  const userinfo = authority.slice(0, at);
  if (!validUserinfo(userinfo)) return fail('net/url: invalid userinfo');
  const colon = userinfo.indexOf(':');
  if (colon < 0) {
    const name = unescapeAs(userinfo, 'userPassword');
    if (!name.ok) return name;
    return { ok: true, value: { user: { username: name.value, password: undefined }, host: host.value } };
  }
  const name = unescapeAs(userinfo.slice(0, colon), 'userPassword');
  if (!name.ok) return name;
  const password = unescapeAs(userinfo.slice(colon + 1), 'userPassword');
  if (!password.ok) return password;
  return { ok: true, value: { user: { username: name.value, password: password.value }, host: host.value } };
}

/**
 * host[:port], where host may be an IP-literal in brackets with an RFC 6874 zone. Colons outside brackets: the last
 * one starts the port, which is Go's behaviour for modules older than go 1.26 (GODEBUG urlstrictcolons=0), and so
 * kube-apiserver's; `strictColons` gives Go 1.26's default, which refuses extra colons in http(s) hosts.
 */
function parseHost(scheme: string, host: string, strictColons: boolean): Result<string> {
  const open = host.lastIndexOf('[');
  if (open > 0) return fail('invalid IP-literal');
  if (open === 0) {
    const close = host.lastIndexOf(']');
    if (close < 0) return fail("missing ']' in host");
    const colonPort = host.slice(close + 1);
    if (!validOptionalPort(colonPort)) return fail(`invalid port ${goQuote(colonPort)} after host`);
    const port = unescapeAs(colonPort, 'host');
    if (!port.ok) return port;
    const hostname = host.slice(1, close);
    // %25 starts the zone, which may %-encode more than the address part may.
    let unescaped: string;
    const zone = hostname.indexOf('%25');
    if (zone >= 0) {
      const addressPart = unescapeAs(hostname.slice(0, zone), 'host');
      if (!addressPart.ok) return addressPart;
      const zonePart = unescapeAs(hostname.slice(zone), 'zone');
      if (!zonePart.ok) return zonePart;
      unescaped = addressPart.value + zonePart.value;
    } else {
      const whole = unescapeAs(hostname, 'host');
      if (!whole.ok) return whole;
      unescaped = whole.value;
    }
    // Only an IPv6 address may stand in brackets (RFC 3986); IPv4-mapped IPv6 is still accepted.
    const addr = parseAddr(unescaped);
    if (!addr.ok) return fail(`invalid host: ${addr.error}`);
    if (addr.value === 4) return fail('invalid IP-literal');
    return { ok: true, value: `[${unescaped}]${port.value}` };
  }
  let colon = host.indexOf(':');
  if (colon !== -1) {
    const lastColon = host.lastIndexOf(':');
    if (lastColon !== colon && !(strictColons && (scheme === 'http' || scheme === 'https'))) colon = lastColon;
    const colonPort = host.slice(colon);
    if (!validOptionalPort(colonPort)) return fail(`invalid port ${goQuote(colonPort)} after host`);
  }
  return unescapeAs(host, 'host');
}

/** net/netip.ParseAddr, reduced to what parseHost needs: the address family, or Go's error text. */
function parseAddr(s: string): Result<4 | 6> {
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '.') return parseIPv4(s);
    if (c === ':') return parseIPv6(s);
    if (c === '%') return fail(addrError(s, 'missing IPv6 address'));
  }
  return fail(addrError(s, 'unable to parse IP'));
}

function addrError(input: string, msg: string, at = ''): string {
  const base = `ParseAddr(${goQuote(input)}): ${msg}`;
  return at === '' ? base : `${base} (at ${goQuote(at)})`;
}

function parseIPv4(s: string): Result<4> {
  const problem = checkIPv4Fields(s, 0, s.length);
  return problem === undefined ? { ok: true, value: 4 } : fail(problem);
}

/** parseIPv4Fields: four decimal octets, no leading zeros; `input` is what errors quote. */
function checkIPv4Fields(input: string, off: number, end: number): string | undefined {
  const s = input.slice(off, end);
  let val = 0;
  let pos = 0;
  let digits = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (isDigitCode(c)) {
      if (digits === 1 && val === 0) return addrError(input, 'IPv4 field has octet with leading zero');
      val = val * 10 + (c - 0x30);
      digits++;
      if (val > 255) return addrError(input, 'IPv4 field has value >255');
    } else if (c === 0x2e) {
      if (i === 0 || i === s.length - 1 || s[i - 1] === '.') {
        return addrError(input, 'IPv4 field must have at least one digit', s.slice(i));
      }
      if (pos === 3) return addrError(input, 'IPv4 address too long');
      pos++;
      val = 0;
      digits = 0;
    } else {
      return addrError(input, 'unexpected character', s.slice(i));
    }
  }
  if (pos < 3) return addrError(input, 'IPv4 address too short');
  return undefined;
}

function parseIPv6(input: string): Result<6> {
  let s = input;
  let zone = '';
  const pct = s.indexOf('%');
  if (pct !== -1) {
    zone = s.slice(pct + 1);
    s = s.slice(0, pct);
    if (zone === '') return fail(addrError(input, 'zone must be a non-empty string'));
  }
  let ellipsis = -1;
  if (s.length >= 2 && s[0] === ':' && s[1] === ':') {
    ellipsis = 0;
    s = s.slice(2);
    if (s.length === 0) return { ok: true, value: 6 };
  }
  let i = 0;
  while (i < 16) {
    let off = 0;
    let acc = 0;
    for (; off < s.length; off++) {
      const c = s.charCodeAt(off);
      if (!isHex(c)) break;
      acc = acc * 16 + unhex(c);
      if (off > 3) return fail(addrError(input, 'each group must have 4 or less digits', s));
      if (acc > 0xffff) return fail(addrError(input, 'IPv6 field has value >=2^16', s));
    }
    if (off === 0) return fail(addrError(input, 'each colon-separated field must have at least one digit', s));

    if (off < s.length && s[off] === '.') {
      if (ellipsis < 0 && i !== 12) {
        return fail(addrError(input, 'embedded IPv4 address must replace the final 2 fields of the address', s));
      }
      if (i + 4 > 16) {
        return fail(addrError(input, 'too many hex fields to fit an embedded IPv4 at the end of the address', s));
      }
      const end = zone.length > 0 ? input.length - zone.length - 1 : input.length;
      const problem = checkIPv4Fields(input, end - s.length, end);
      if (problem !== undefined) return fail(problem);
      s = '';
      i += 4;
      break;
    }

    i += 2;
    s = s.slice(off);
    if (s.length === 0) break;
    if (s[0] !== ':') return fail(addrError(input, 'unexpected character, want colon', s));
    if (s.length === 1) return fail(addrError(input, 'colon must be followed by more characters', s));
    s = s.slice(1);
    if (s[0] === ':') {
      if (ellipsis >= 0) return fail(addrError(input, 'multiple :: in address', s));
      ellipsis = i;
      s = s.slice(1);
      if (s.length === 0) break;
    }
  }
  if (s.length !== 0) return fail(addrError(input, 'trailing garbage after address', s));
  if (i < 16) {
    if (ellipsis < 0) return fail(addrError(input, 'address string too short'));
  } else if (ellipsis >= 0) {
    return fail(addrError(input, 'the :: must expand to at least one field of zeros'));
  }
  return { ok: true, value: 6 };
}

function splitHostPort(hostPort: string): { host: string; port: string } {
  let host = hostPort;
  let port = '';
  const colon = host.lastIndexOf(':');
  if (colon !== -1 && validOptionalPort(host.slice(colon))) {
    port = host.slice(colon + 1);
    host = host.slice(0, colon);
  }
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return { host, port };
}

/** "" or ":" followed by digits only. */
function validOptionalPort(port: string): boolean {
  if (port === '') return true;
  if (port[0] !== ':') return false;
  for (let i = 1; i < port.length; i++) {
    if (!isDigitCode(port.charCodeAt(i))) return false;
  }
  return true;
}

/** RFC 3986 §3.2.1 userinfo characters; pct-encoding is checked later by unescape. */
function validUserinfo(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (isAlpha(c) || isDigitCode(c)) continue;
    if ("-._:~!$&'()*+,;=%@".includes(s[i] ?? '')) continue;
    return false;
  }
  return true;
}

function containsCTLByte(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const b = s.charCodeAt(i);
    if (b < 0x20 || b === 0x7f) return true;
  }
  return false;
}

/** Whether byte c must be escaped in the given part of a URL (RFC 3986, with Go's deliberate deviations). */
function shouldEscape(c: number, mode: Mode): boolean {
  if (isAlpha(c) || isDigitCode(c)) return false;
  const ch = String.fromCharCode(c);
  if (mode === 'host' || mode === 'zone') {
    // Sub-delims, plus ':' and '[ ]' for port and IPv6, plus '< > "' which Parse rejects later if escaped.
    if ('!$&\'()*+,;=:[]<>"'.includes(ch)) return false;
  }
  if ('-_.~'.includes(ch)) return false;
  if ('$&+,/:;=?@'.includes(ch)) {
    switch (mode) {
      case 'path':
        return c === 0x3f;
      case 'pathSegment':
        return ch === '/' || ch === ';' || ch === ',' || ch === '?';
      case 'userPassword':
        return ch === '@' || ch === '/' || ch === '?' || ch === ':';
      case 'queryComponent':
        return true;
      case 'fragment':
        return false;
      default:
        break;
    }
  }
  if (mode === 'fragment' && '!()*'.includes(ch)) return false;
  return true;
}

function unescapeAs(s: string, mode: Mode): Result<string> {
  let n = 0;
  let hasPlus = false;
  for (let i = 0; i < s.length; ) {
    const c = s.charCodeAt(i);
    if (c === 0x25) {
      n++;
      if (i + 2 >= s.length || !isHex(s.charCodeAt(i + 1)) || !isHex(s.charCodeAt(i + 2))) {
        return fail(`invalid URL escape ${goQuote(s.slice(i, i + 3))}`);
      }
      // In a host, %-encoding is only for non-ASCII bytes, except %25 (RFC 6874).
      if (mode === 'host' && unhex(s.charCodeAt(i + 1)) < 8 && s.slice(i, i + 3) !== '%25') {
        return fail(`invalid URL escape ${goQuote(s.slice(i, i + 3))}`);
      }
      if (mode === 'zone') {
        const v = (unhex(s.charCodeAt(i + 1)) << 4) | unhex(s.charCodeAt(i + 2));
        if (s.slice(i, i + 3) !== '%25' && v !== 0x20 && shouldEscape(v, 'host')) {
          return fail(`invalid URL escape ${goQuote(s.slice(i, i + 3))}`);
        }
      }
      i += 3;
    } else if (c === 0x2b) {
      hasPlus = mode === 'queryComponent';
      i++;
    } else {
      if ((mode === 'host' || mode === 'zone') && c < 0x80 && shouldEscape(c, mode)) {
        return fail(`invalid character ${goQuote(s.slice(i, i + 1))} in host name`);
      }
      i++;
    }
  }
  if (n === 0 && !hasPlus) return { ok: true, value: s };

  let t = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25) {
      t += String.fromCharCode((unhex(s.charCodeAt(i + 1)) << 4) | unhex(s.charCodeAt(i + 2)));
      i += 2;
    } else if (c === 0x2b) {
      t += mode === 'queryComponent' ? ' ' : '+';
    } else {
      t += s[i];
    }
  }
  return { ok: true, value: t };
}

const UPPER_HEX = '0123456789ABCDEF';

function escapeAs(s: string, mode: Mode): string {
  let t = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x20 && mode === 'queryComponent') t += '+';
    else if (shouldEscape(c, mode)) t += `%${UPPER_HEX[c >> 4]}${UPPER_HEX[c & 15]}`;
    else t += s[i];
  }
  return t;
}

/** Whether s contains no byte that escaping would change (sub-delims, ':', '@', '[', ']' and '%' are fine). */
function validEncoded(s: string, mode: Mode): boolean {
  for (let i = 0; i < s.length; i++) {
    const ch = s[i] ?? '';
    if ("!$&'()*+,;=:@[]%".includes(ch)) continue;
    if (shouldEscape(s.charCodeAt(i), mode)) return false;
  }
  return true;
}

function isAlpha(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a);
}

function isDigitCode(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isHex(c: number): boolean {
  return isDigitCode(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

function unhex(c: number): number {
  if (isDigitCode(c)) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  return c - 0x41 + 10;
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8');
/** Whether every UTF-16 unit is ASCII, in which case the byte string is the string itself. */
function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

function toBytes(s: string): string {
  if (isAscii(s)) return s;
  let out = '';
  for (const b of utf8Encoder.encode(s)) out += String.fromCharCode(b);
  return out;
}

function fromBytes(b: string): string {
  if (isAscii(b)) return b;
  const bytes = new Uint8Array(b.length);
  for (let i = 0; i < b.length; i++) bytes[i] = b.charCodeAt(i);
  return utf8Decoder.decode(bytes);
}

const LOWER_HEX = '0123456789abcdef';
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

/** Go's strconv.Quote (the `%q` in url.Error and friends) over a byte string. */
export function goQuote(bytes: string): string {
  let out = '"';
  for (let i = 0; i < bytes.length; ) {
    const { rune, width } = decodeRune(bytes, i);
    if (rune < 0) {
      const b = bytes.charCodeAt(i);
      out += `\\x${LOWER_HEX[b >> 4]}${LOWER_HEX[b & 15]}`;
      i += 1;
      continue;
    }
    i += width;
    const ch = String.fromCodePoint(rune);
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (rune === 0x20 || (rune > 0x20 && rune !== 0x7f && PRINTABLE.test(ch))) out += ch;
    else if (rune === 0x07) out += '\\a';
    else if (rune === 0x08) out += '\\b';
    else if (rune === 0x0c) out += '\\f';
    else if (rune === 0x0a) out += '\\n';
    else if (rune === 0x0d) out += '\\r';
    else if (rune === 0x09) out += '\\t';
    else if (rune === 0x0b) out += '\\v';
    else if (rune < 0x20 || rune === 0x7f) out += `\\x${LOWER_HEX[rune >> 4]}${LOWER_HEX[rune & 15]}`;
    else if (rune < 0x10000) out += `\\u${rune.toString(16).padStart(4, '0')}`;
    else out += `\\U${rune.toString(16).padStart(8, '0')}`;
  }
  return `${out}"`;
}

/** utf8.DecodeRuneInString: rune -1 for an invalid (overlong, surrogate, truncated, out of range) sequence. */
function decodeRune(s: string, i: number): { rune: number; width: number } {
  const b0 = s.charCodeAt(i);
  if (b0 < 0x80) return { rune: b0, width: 1 };
  const cont = (k: number): number => {
    const b = s.charCodeAt(i + k);
    return b >= 0x80 && b <= 0xbf ? b & 0x3f : -1;
  };
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    const c1 = cont(1);
    return c1 < 0 ? { rune: -1, width: 1 } : { rune: ((b0 & 0x1f) << 6) | c1, width: 2 };
  }
  if (b0 >= 0xe0 && b0 <= 0xef) {
    const c1 = cont(1);
    const c2 = cont(2);
    if (c1 < 0 || c2 < 0) return { rune: -1, width: 1 };
    const r = ((b0 & 0x0f) << 12) | (c1 << 6) | c2;
    if (r < 0x800 || (r >= 0xd800 && r <= 0xdfff)) return { rune: -1, width: 1 };
    return { rune: r, width: 3 };
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    const c1 = cont(1);
    const c2 = cont(2);
    const c3 = cont(3);
    if (c1 < 0 || c2 < 0 || c3 < 0) return { rune: -1, width: 1 };
    const r = ((b0 & 0x07) << 18) | (c1 << 12) | (c2 << 6) | c3;
    if (r < 0x10000 || r > 0x10ffff) return { rune: -1, width: 1 };
    return { rune: r, width: 4 };
  }
  return { rune: -1, width: 1 };
}
