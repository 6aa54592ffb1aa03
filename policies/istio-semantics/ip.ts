/**
 * IP addresses and CIDR blocks as Go's net/netip parses them (istiod validates with netip.ParseAddr and
 * netip.ParsePrefix): dotted-decimal IPv4 without leading zeros, IPv6 with an optional `%zone`, prefixes with a
 * decimal length and no zone. JavaScript has no equivalent with the same edge cases, hence this small reimplementation.
 */

export type ParsedAddr = { ok: true; family: 4 | 6; zoned: boolean } | { ok: false; error: string };

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isHex = (c: string | undefined): boolean => c !== undefined && /^[0-9a-fA-F]$/.test(c);

function ipv4Fields(s: string): string | undefined {
  const parts = s.split('.');
  if (parts.length < 4) return 'IPv4 address too short';
  if (parts.length > 4) return 'IPv4 address too long';
  for (const part of parts) {
    if (part === '') return 'IPv4 field must have at least one digit';
    for (const c of part) if (!isDigit(c)) return 'unexpected character';
    if (part.length > 1 && part[0] === '0') return 'IPv4 field has octet with leading zero';
    if (Number(part) > 255) return 'IPv4 field has value >255';
  }
  return undefined;
}

function ipv6(input: string): string | undefined {
  let s = input;
  const pct = s.indexOf('%');
  if (pct !== -1) {
    if (pct === s.length - 1) return 'zone must be a non-empty string';
    s = s.slice(0, pct);
  }
  let groups = 0;
  let ellipsis = false;
  if (s.startsWith('::')) {
    ellipsis = true;
    s = s.slice(2);
    if (s === '') return undefined;
  }
  while (groups < 8) {
    let n = 0;
    while (n < s.length && isHex(s[n])) n++;
    if (n === 0) return 'each colon-separated field must have at least one digit';
    if (n > 4) return 'each group must have 4 or less digits';
    if (s[n] === '.') {
      // An embedded IPv4 address fills the last two groups.
      if (!ellipsis && groups !== 6) return 'embedded IPv4 address must replace the final 2 fields of the address';
      if (groups + 2 > 8) return 'too many hex fields to fit an embedded IPv4 at the end of the address';
      const problem = ipv4Fields(s);
      if (problem !== undefined) return problem;
      groups += 2;
      s = '';
      break;
    }
    groups++;
    s = s.slice(n);
    if (s === '') break;
    if (s[0] !== ':') return 'unexpected character, want colon';
    if (s.length === 1) return 'colon must be followed by more characters';
    s = s.slice(1);
    if (s[0] === ':') {
      if (ellipsis) return 'multiple :: in address';
      ellipsis = true;
      s = s.slice(1);
      if (s === '') break;
    }
  }
  if (s !== '') return 'trailing garbage after address';
  if (groups < 8 && !ellipsis) return 'address string too short';
  if (groups === 8 && ellipsis) return 'the :: must expand to at least one field of zeros';
  return undefined;
}

/** netip.ParseAddr. */
export function parseAddr(s: string): ParsedAddr {
  for (const c of s) {
    if (c === '.') {
      const problem = ipv4Fields(s);
      return problem === undefined ? { ok: true, family: 4, zoned: false } : { ok: false, error: problem };
    }
    if (c === ':') {
      const problem = ipv6(s);
      return problem === undefined ? { ok: true, family: 6, zoned: s.includes('%') } : { ok: false, error: problem };
    }
    if (c === '%') return { ok: false, error: 'missing IPv6 address' };
  }
  return { ok: false, error: 'unable to parse IP' };
}

/** Istio's netutil.IsValidIPAddress. */
export function isValidIP(s: string): boolean {
  return parseAddr(s).ok;
}

/** netip.ParsePrefix: `addr/bits`, no zone, bits without sign or leading zero, within the family's width. */
export function parsePrefix(s: string): string | undefined {
  const slash = s.lastIndexOf('/');
  if (slash < 0) return "no '/'";
  const addr = parseAddr(s.slice(0, slash));
  if (!addr.ok) return addr.error;
  if (addr.zoned) return 'IPv6 zones cannot be present in a prefix';
  const bits = s.slice(slash + 1);
  if (!/^(0|[1-9][0-9]*)$/.test(bits)) return `bad bits after slash: ${JSON.stringify(bits)}`;
  if (Number(bits) > (addr.family === 4 ? 32 : 128)) return 'prefix length out of range';
  return undefined;
}

/** agent.ValidateIPAddress. */
export function validateIPAddress(addr: string): string | undefined {
  return isValidIP(addr) ? undefined : `${addr} is not a valid IP`;
}

/** agent.ValidateIPSubnet: `a.b.c.d/xx`, `2001:1::1/64`, or a single address. */
export function validateIPSubnet(subnet: string): string | undefined {
  if (subnet.split('/').length - 1 === 1) {
    return parsePrefix(subnet) === undefined ? undefined : `${subnet} is not a valid CIDR block`;
  }
  return validateIPAddress(subnet);
}

/** security.ValidateIPs, used by AuthorizationPolicy ipBlocks and IP conditions. */
export function validateIPsOrCIDRs(values: readonly string[]): string[] {
  const out: string[] = [];
  for (const v of values) {
    if (v.includes('/')) {
      const problem = parsePrefix(v);
      if (problem !== undefined) out.push(`bad CIDR range (${v}): netip.ParsePrefix(${JSON.stringify(v)}): ${problem}`);
    } else if (!isValidIP(v)) {
      out.push(`bad IP address (${v})`);
    }
  }
  return out;
}

export const UNIX_PREFIX = 'unix://';

/** A Unix domain socket path after `unix://`: absolute and not a directory, or an abstract socket (`@name`). */
export function validateUnixAddress(addr: string): string | undefined {
  if (addr === '') return 'unix address must not be empty';
  if (addr.startsWith('@')) return undefined;
  return !addr.startsWith('/') || addr.endsWith('/') ? `${addr} is not an absolute path to a file` : undefined;
}
