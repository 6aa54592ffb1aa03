/**
 * DestinationRule traffic policies (also a Sidecar's inbound connection pools): connection pool limits and
 * timeouts, outlier detection, load balancing (consistent hash, locality and zone-aware settings, warm-up),
 * client TLS, per-port settings, tunnelling and PROXY protocol.
 */
import { asArray, asNumber, asRecord, asRecords, asString, type Json } from '../../src/policy-helpers/object-access';
import { durationMillis, validateDuration } from './durations';
import { validateFQDN } from './hosts';
import { validateIPAddress } from './ip';
import { validateLocalityLbSetting, validateZoneAwareLbSetting } from './locality';
import { validatePort } from './ports';
import type { Report } from './report';

const present = (v: unknown): boolean => v !== undefined && v !== null;

/** Integer percentages (outlier detection): 0 to 100. */
function validatePercent(v: unknown, path: string, report: Report): void {
  const n = asNumber(v) ?? 0;
  if (n < 0 || n > 100) report.error(path, `percentage ${n} is not in range 0..100`);
}

function durationAt(v: unknown, path: string, report: Report): void {
  if (present(v)) report.errorIf(path, validateDuration(v));
}

export function validateConnectionPool(pool: unknown, path: string, report: Report): void {
  const p = asRecord(pool);
  if (p === undefined) return;
  if (!present(p.http) && !present(p.tcp)) {
    report.error(path, 'connection pool must have at least one field');
    return;
  }
  const http = asRecord(p.http);
  if (http !== undefined) {
    const at = `${path}.http`;
    const nonNegative: Array<[string, string]> = [
      ['http1MaxPendingRequests', 'http1 max pending requests must be non-negative'],
      ['http2MaxRequests', 'http2 max requests must be non-negative'],
      ['maxRequestsPerConnection', 'max requests per connection must be non-negative'],
      ['maxRetries', 'max retries must be non-negative'],
      ['maxConcurrentStreams', 'max concurrent streams must be non-negative'],
    ];
    for (const [field, message] of nonNegative)
      if ((asNumber(http[field]) ?? 0) < 0) report.error(`${at}.${field}`, message);
    durationAt(http.idleTimeout, `${at}.idleTimeout`, report);
    if (http.h2UpgradePolicy === 'UPGRADE' && http.useClientProtocol === true) {
      report.error(at, 'use client protocol must not be true when H2UpgradePolicy is UPGRADE');
    }
    const keepAlive = asRecord(http.http2KeepAlive);
    if (keepAlive !== undefined) {
      durationAt(keepAlive.interval, `${at}.http2KeepAlive.interval`, report);
      durationAt(keepAlive.timeout, `${at}.http2KeepAlive.timeout`, report);
    }
  }
  const tcp = asRecord(p.tcp);
  if (tcp !== undefined) {
    const at = `${path}.tcp`;
    if ((asNumber(tcp.maxConnections) ?? 0) < 0)
      report.error(`${at}.maxConnections`, 'max connections must be non-negative');
    durationAt(tcp.connectTimeout, `${at}.connectTimeout`, report);
    durationAt(tcp.maxConnectionDuration, `${at}.maxConnectionDuration`, report);
    // 0s turns the idle timeout off and is allowed.
    if (present(tcp.idleTimeout) && durationMillis(tcp.idleTimeout) !== 0)
      durationAt(tcp.idleTimeout, `${at}.idleTimeout`, report);
    const keepalive = asRecord(tcp.tcpKeepalive);
    if (keepalive !== undefined) {
      durationAt(keepalive.time, `${at}.tcpKeepalive.time`, report);
      durationAt(keepalive.interval, `${at}.tcpKeepalive.interval`, report);
    }
  }
}

export function validateOutlierDetection(outlier: unknown, path: string, report: Report): void {
  const o = asRecord(outlier);
  if (o === undefined) return;
  durationAt(o.baseEjectionTime, `${path}.baseEjectionTime`, report);
  if ((asNumber(o.consecutiveErrors) ?? 0) !== 0) {
    report.warn(
      `${path}.consecutiveErrors`,
      'outlier detection consecutive errors is deprecated, use consecutiveGatewayErrors or consecutive5xxErrors instead',
    );
  }
  if (o.splitExternalLocalOriginErrors !== true && (asNumber(o.consecutiveLocalOriginFailures) ?? 0) > 0) {
    report.error(
      `${path}.consecutiveLocalOriginFailures`,
      'outlier detection consecutive local origin failures is specified, but split external local origin errors is set to false',
    );
  }
  durationAt(o.interval, `${path}.interval`, report);
  validatePercent(o.maxEjectionPercent, `${path}.maxEjectionPercent`, report);
  validatePercent(o.minHealthPercent, `${path}.minHealthPercent`, report);
}

/** Envoy's primality test for Maglev table sizes. */
function isPrime(x: number): boolean {
  if (x !== 0 && x < 4) return true;
  if (x % 2 === 0) return false;
  const limit = Math.floor(Math.sqrt(x));
  for (let f = 3; f <= limit; f += 2) if (x % f === 0) return false;
  return true;
}

export function validateLoadBalancer(lb: unknown, outlier: unknown, path: string, report: Report): void {
  const l = asRecord(lb);
  if (l === undefined) return;
  const hash = asRecord(l.consistentHash);
  if (hash !== undefined) {
    const at = `${path}.consistentHash`;
    const cookie = asRecord(hash.httpCookie);
    if (cookie !== undefined) {
      if ((asString(cookie.name) ?? '') === '') report.error(`${at}.httpCookie.name`, 'name required for HttpCookie');
      asRecords(cookie.attributes).forEach((a, i) => {
        if ((asString(a.name) ?? '') === '')
          report.error(`${at}.httpCookie.attributes[${i}].name`, 'cookie attribute name is required');
      });
    }
    const minimumRingSize = asNumber(hash.minimumRingSize) ?? 0;
    if (minimumRingSize !== 0) {
      report.warn(
        `${at}.minimumRingSize`,
        "consistent hash MinimumRingSize is deprecated, use ConsistentHashLB's RingHash configuration instead",
      );
      if (present(hash.ringHash) || present(hash.maglev))
        report.error(at, 'only one of MinimumRingSize or Maglev/Ringhash can be specified');
    }
    const maglev = asRecord(hash.maglev);
    if (maglev !== undefined) {
      const size = asNumber(maglev.tableSize) ?? 0;
      if (size === 0) report.error(`${at}.maglev.tableSize`, 'tableSize must be set for maglev');
      if (size >= 5000011) report.error(`${at}.maglev.tableSize`, 'tableSize must be less than 5000011 for maglev');
      if (!isPrime(size)) report.error(`${at}.maglev.tableSize`, 'tableSize must be a prime number for maglev');
    }
  }
  if (present(l.localityLbSetting) && present(l.zoneAwareLbSetting)) {
    report.error(path, 'only one of localityLbSetting or zoneAwareLbSetting can be set');
  }
  validateLocalityLbSetting(l.localityLbSetting, outlier, `${path}.localityLbSetting`, report);
  validateZoneAwareLbSetting(l.zoneAwareLbSetting, outlier, `${path}.zoneAwareLbSetting`, report);
  const warmup = asRecord(l.warmup);
  if (warmup !== undefined) {
    const at = `${path}.warmup`;
    if (!present(warmup.duration)) report.error(at, 'duration is required');
    else durationAt(warmup.duration, `${at}.duration`, report);
    if ((asNumber(warmup.minimumPercent) ?? 0) > 100) {
      report.error(`${at}.minimumPercent`, 'minimumPercent value should be less than or equal to 100');
    }
    if (present(warmup.aggression) && (asNumber(warmup.aggression) ?? 0) < 1) {
      report.error(`${at}.aggression`, 'aggression should be greater than or equal to 1');
    }
  }
}

/** Client-side TLS (ClientTLSSettings): certificate sources that exclude each other, and what MUTUAL needs. */
export function validateClientTLS(tls: unknown, path: string, report: Report): void {
  const t = asRecord(tls);
  if (t === undefined) return;
  const mode = asString(t.mode) ?? 'DISABLE';
  const str = (k: string): string => asString(t[k]) ?? '';
  const sansSet = asArray(t.subjectAltNames).length > 0;
  if (t.insecureSkipVerify === true) {
    if (mode === 'SIMPLE' && (str('caCertificates') !== '' || str('credentialName') !== '' || sansSet)) {
      report.error(
        path,
        'cannot specify CaCertificates or CredentialName or SubjectAltNames when InsecureSkipVerify is set true',
      );
    }
    if (mode === 'MUTUAL' && (str('caCertificates') !== '' || sansSet)) {
      report.error(path, 'cannot specify CaCertificates or SubjectAltNames when InsecureSkipVerify is set true');
    }
  }
  if ((mode === 'SIMPLE' || mode === 'MUTUAL') && str('credentialName') !== '') {
    if (
      str('clientCertificate') !== '' ||
      str('caCertificates') !== '' ||
      str('privateKey') !== '' ||
      str('caCrl') !== ''
    ) {
      report.error(path, 'cannot specify client certificates or CA certificate or CA CRL If credentialName is set');
    }
    // The credential supplies the certificates.
    return;
  }
  if (mode === 'MUTUAL') {
    if (str('clientCertificate') === '') report.error(path, 'client certificate required for mutual tls');
    if (str('privateKey') === '') report.error(path, 'private key required for mutual tls');
  }
}

function validateTunnel(tunnel: unknown, path: string, report: Report): void {
  const t = asRecord(tunnel);
  if (t === undefined) return;
  const protocol = asString(t.protocol) ?? '';
  if (protocol !== '' && protocol !== 'CONNECT' && protocol !== 'POST') {
    report.error(`${path}.protocol`, 'tunnel protocol must be "CONNECT" or "POST"');
  }
  const host = asString(t.targetHost) ?? '';
  const fqdnError = validateFQDN(host);
  const ipError = validateIPAddress(host);
  if (fqdnError !== undefined && ipError !== undefined) {
    report.error(`${path}.targetHost`, `tunnel target host must be valid FQDN or IP address: ${fqdnError}; ${ipError}`);
  }
  const portError = validatePort(asNumber(t.targetPort) ?? 0);
  if (portError !== undefined) report.error(`${path}.targetPort`, `tunnel target port is invalid: ${portError}`);
}

function validatePortTrafficPolicies(settings: unknown, path: string, report: Report): void {
  asArray(settings).forEach((entry, i) => {
    const at = `${path}[${i}]`;
    const s = asRecord(entry);
    if (s === undefined) {
      report.error(at, 'traffic policy may not be null');
      return;
    }
    if (!present(s.port)) report.error(at, 'portTrafficPolicy must have valid port');
    if (!present(s.outlierDetection) && !present(s.connectionPool) && !present(s.loadBalancer) && !present(s.tls)) {
      report.error(at, 'port traffic policy must have at least one field');
      return;
    }
    validateOutlierDetection(s.outlierDetection, `${at}.outlierDetection`, report);
    validateConnectionPool(s.connectionPool, `${at}.connectionPool`, report);
    validateLoadBalancer(s.loadBalancer, s.outlierDetection, `${at}.loadBalancer`, report);
    validateClientTLS(s.tls, `${at}.tls`, report);
  });
}

const POLICY_FIELDS = [
  'outlierDetection',
  'connectionPool',
  'loadBalancer',
  'tls',
  'portLevelSettings',
  'tunnel',
  'proxyProtocol',
  'retryBudget',
];

export function validateTrafficPolicy(policy: unknown, path: string, report: Report): void {
  const p = asRecord(policy) as Json | undefined;
  if (p === undefined) return;
  if (POLICY_FIELDS.every((f) => !present(p[f]))) {
    report.error(path, 'traffic policy must have at least one field');
    return;
  }
  if (present(p.tunnel) && present(p.proxyProtocol)) {
    report.error(path, 'tunnel and proxyProtocol must not be set together');
    return;
  }
  validateOutlierDetection(p.outlierDetection, `${path}.outlierDetection`, report);
  validateConnectionPool(p.connectionPool, `${path}.connectionPool`, report);
  validateLoadBalancer(p.loadBalancer, p.outlierDetection, `${path}.loadBalancer`, report);
  validateClientTLS(p.tls, `${path}.tls`, report);
  validatePortTrafficPolicies(p.portLevelSettings, `${path}.portLevelSettings`, report);
  validateTunnel(p.tunnel, `${path}.tunnel`, report);
}
