/**
 * Host names the way istiod validates them (pkg/config/validation/agent and pkg/config/host): RFC 1123 labels, a
 * wildcard allowed only as the whole first label or as its prefix (`*`, `*.example.com`, `*foo.example.com`), no
 * all-numeric top-level domain, and the `namespace/host` form of Sidecar egress and Gateway server hosts.
 */
import { boundedMemo } from '../../src/bounded-memo';
import { isValidIP } from './ip';

const DNS1123_LABEL_MAX = 63;
const DNS1123_LABEL = /^[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?$/;
/** `*`, or a label optionally prefixed by `*` or `*-`. */
const WILDCARD_FIRST_LABEL = /^(?:\*|(?:\*|\*-)?[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?)$/;

/** Go's %q for the ASCII strings these messages quote. */
export const quote = (s: string): string => JSON.stringify(s);

export function isDNS1123Label(value: string): boolean {
  return value.length <= DNS1123_LABEL_MAX && DNS1123_LABEL.test(value);
}

export function isWildcardDNS1123Label(value: string): boolean {
  return value.length <= DNS1123_LABEL_MAX && WILDCARD_FIRST_LABEL.test(value);
}

/** strconv.Atoi succeeds: an optional sign and decimal digits that fit in an int64. */
function isGoInt(s: string): boolean {
  if (!/^[+-]?[0-9]+$/.test(s)) return false;
  const n = BigInt(s);
  return n >= -(2n ** 63n) && n < 2n ** 63n;
}

function dns1123Preconditions(name: string): string | undefined {
  if (name.length > 255) return `domain name ${quote(name)} too long (max 255)`;
  if (name.length === 0) return 'empty domain name not allowed';
  return undefined;
}

/**
 * dns1123Labels() by domain. A mesh names the same few hosts everywhere (every route destination, every review), and
 * the check splits and tests each label. Bounded because the names come from admitted objects; a domain reaches
 * here only within the 255-character limit.
 */
const dns1123Labels = boundedMemo(dns1123LabelsUncached, { maxEntries: 1024 });

function dns1123LabelsUncached(domain: string): string | undefined {
  const parts = domain.split('.');
  const tld = parts[parts.length - 1] ?? '';
  if (isGoInt(tld))
    return `domain name ${quote(domain)} invalid (top level domain ${quote(tld)} cannot be all-numeric)`;
  for (let i = 0; i < parts.length; i++) {
    const label = parts[i] ?? '';
    // A trailing dot (`istio.io.`) leaves an empty last label, which is allowed.
    if (i === parts.length - 1 && label === '') return undefined;
    if (!isDNS1123Label(label)) return `domain name ${quote(domain)} invalid (label ${quote(label)} invalid)`;
  }
  return undefined;
}

/** A fully-qualified (or short) host name without wildcards. */
export function validateFQDN(fqdn: string): string | undefined {
  return dns1123Preconditions(fqdn) ?? dns1123Labels(fqdn);
}

function splitFirstLabel(domain: string): [string, string | undefined] {
  const dot = domain.indexOf('.');
  return dot < 0 ? [domain, undefined] : [domain.slice(0, dot), domain.slice(dot + 1)];
}

/** A host name whose first label may be a wildcard: `*`, `*.example.com`, `*foo.example.com`. */
export function validateWildcardDomain(domain: string): string | undefined {
  const pre = dns1123Preconditions(domain);
  if (pre !== undefined) return pre;
  const [first, rest] = splitFirstLabel(domain);
  if (!isWildcardDNS1123Label(first)) return `domain name ${quote(domain)} invalid (label ${quote(first)} invalid)`;
  return rest === undefined ? undefined : dns1123Labels(rest);
}

/** Hosts of a VirtualService bound to gateways: SNI hosts may also be Istio's generated `outbound_.<port>_...` names. */
export function validateWildcardDomainForGatewayRoute(sni: boolean, domain: string): string | undefined {
  const pre = dns1123Preconditions(domain);
  if (pre !== undefined) return pre;
  const [first, rest] = splitFirstLabel(domain);
  if (sni && first === 'outbound_') {
    return /outbound_.([0-8].*).*/.test(domain)
      ? undefined
      : `domain name ${quote(domain)} invalid (label ${quote(first)} invalid)`;
  }
  if (!isWildcardDNS1123Label(first)) return `domain name ${quote(domain)} invalid (label ${quote(first)} invalid)`;
  return rest === undefined ? undefined : dns1123Labels(rest);
}

/** A `*` anywhere but as the whole host or a leading `*.` label. */
export function validatePartialWildcard(host: string): string | undefined {
  return host.includes('*') && host.length !== 1 && !host.startsWith('*.')
    ? `partial wildcard ${quote(host)} not allowed`
    : undefined;
}

function hostnamePart(hostname: string, isGateway: boolean): string[] {
  const out: string[] = [];
  if (hostname !== '*' && !hostname.includes('.')) out.push('short names (non FQDN) are not allowed');
  const err = validateWildcardDomain(hostname);
  // A Gateway also accepts an IP address as a host.
  if (err !== undefined && (!isGateway || !isValidIP(hostname))) out.push(err);
  const partial = validatePartialWildcard(hostname);
  if (partial !== undefined) out.push(partial);
  return out;
}

/**
 * `namespace/dnsName` hosts of Sidecar egress listeners (namespace `*`, `.`, `~` or a DNS label) and Gateway servers
 * (namespace `*`, `.` or a DNS label; `~` only for Gateways translated from the Gateway API; the namespace may be
 * omitted).
 */
export function validateNamespaceSlashHost(hostname: string, isGateway: boolean, gatewaySemantics: boolean): string[] {
  const slash = hostname.indexOf('/');
  if (slash < 0) {
    return isGateway ? hostnamePart(hostname, true) : ['host must be of form namespace/dnsName'];
  }
  const ns = hostname.slice(0, slash);
  const dnsName = hostname.slice(slash + 1);
  const out: string[] = [];
  if (ns === '' || dnsName === '') out.push('config namespace and dnsName in host entry cannot be empty');
  if (!isGateway) {
    if (ns !== '*' && ns !== '.' && ns !== '~' && !isDNS1123Label(ns))
      out.push(`invalid namespace value ${quote(ns)} in sidecar`);
  } else if (ns !== '*' && ns !== '.' && (ns !== '~' || !gatewaySemantics) && !isDNS1123Label(ns)) {
    out.push(`invalid namespace value ${quote(ns)} in gateway`);
  }
  out.push(...hostnamePart(dnsName, isGateway));
  return [...new Set(out)];
}

const isWildcarded = (h: string): boolean => h.startsWith('*');

/** host.Name.Matches: the two names (wildcards included) have some host in common. */
export function hostsOverlap(a: string, b: string): boolean {
  if (isWildcarded(a)) {
    if (isWildcarded(b)) return a.length < b.length ? b.slice(1).endsWith(a.slice(1)) : a.slice(1).endsWith(b.slice(1));
    return b.endsWith(a.slice(1));
  }
  if (isWildcarded(b)) return a.endsWith(b.slice(1));
  return a === b;
}

/** host.Name.SubsetOf: every host `a` names is also named by `b`. */
export function hostIsSubsetOf(a: string, b: string): boolean {
  if (isWildcarded(a)) {
    if (!isWildcarded(b)) return false;
    return a.length >= b.length && a.slice(1).endsWith(b.slice(1));
  }
  if (isWildcarded(b)) return a.endsWith(b.slice(1));
  return a === b;
}
