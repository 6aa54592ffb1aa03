/**
 * Sidecar (networking.istio.io): ingress listeners (port, bind, default endpoint on loopback or a Unix socket,
 * restricted TLS, connection pools), egress listeners (one catch-all, last; unique ports and sockets;
 * `namespace/host` hosts, with warnings for hosts another entry already covers) and the outbound traffic policy.
 */
import { asArray, asNumber, asRecord, asString, type Json } from '../../src/policy-helpers/object-access';
import { validateFQDN, validateNamespaceSlashHost } from './hosts';
import { validateDestination } from './http-route';
import { UNIX_PREFIX, validateIPAddress, validateUnixAddress } from './ip';
import { checkNetworkingWorkloadSelector } from './labels';
import {
  isHTTPProtocol,
  isTLSProtocol,
  parseProtocol,
  validatePort,
  validatePortName,
  validateProtocol,
} from './ports';
import type { Report } from './report';
import { validateServerTLS } from './server-tls';
import { validateConnectionPool } from './traffic-policy';

const LOOPBACK_OR_ANY = new Set(['', '127.0.0.1', '0.0.0.0', '::1', '::']);

/** Go's net.SplitHostPort. */
export function splitHostPort(hostport: string): { host: string; port: string } | { error: string } {
  const fail = (why: string) => ({ error: `address ${hostport}: ${why}` });
  const i = hostport.lastIndexOf(':');
  if (i < 0) return fail('missing port in address');
  let host: string;
  let j = 0;
  let k = 0;
  if (hostport.startsWith('[')) {
    const end = hostport.indexOf(']');
    if (end < 0) return fail("missing ']' in address");
    if (end + 1 === hostport.length) return fail('missing port in address');
    if (end + 1 !== i)
      return fail(hostport[end + 1] === ':' ? 'too many colons in address' : 'missing port in address');
    host = hostport.slice(1, end);
    j = 1;
    k = end + 1;
  } else {
    host = hostport.slice(0, i);
    if (host.includes(':')) return fail('too many colons in address');
  }
  if (hostport.slice(j).includes('[')) return fail("unexpected '[' in address");
  if (hostport.slice(k).includes(']')) return fail("unexpected ']' in address");
  return { host, port: hostport.slice(i + 1) };
}

function validateDefaultEndpoint(endpoint: string, path: string, report: Report): void {
  if (endpoint.startsWith(UNIX_PREFIX)) {
    report.errorIf(path, validateUnixAddress(endpoint.slice(UNIX_PREFIX.length)));
    return;
  }
  const split = splitHostPort(endpoint);
  const host = 'error' in split ? '' : split.host;
  const port = 'error' in split ? '' : split.port;
  if ('error' in split) report.error(path, split.error);
  if (!LOOPBACK_OR_ANY.has(host)) {
    report.error(
      path,
      'sidecar: defaultEndpoint must be of form 127.0.0.1:<port>,0.0.0.0:<port>,[::1]:port,[::]:port,unix://filepath or unset',
    );
  }
  if (!/^[+-]?[0-9]+$/.test(port)) {
    report.error(
      path,
      `sidecar: defaultEndpoint port (${port}) is not a number: strconv.Atoi: parsing ${JSON.stringify(port)}: invalid syntax`,
    );
  } else {
    report.errorIf(path, validatePort(Number(port)));
  }
}

function validateIngress(ingress: unknown[], namespaceReport: Report): void {
  const report = namespaceReport;
  const ports = new Set<number>();
  ingress.forEach((entry, i) => {
    const at = `spec.ingress[${i}]`;
    const listener = asRecord(entry);
    if (listener === undefined) {
      report.error(at, 'sidecar: ingress may not be null');
      return;
    }
    const port = asRecord(listener.port);
    if (port === undefined) {
      report.error(`${at}.port`, 'sidecar: port is required for ingress listeners');
      return;
    }
    if ((asNumber(port.targetPort) ?? 0) > 0)
      report.error(`${at}.port.targetPort`, 'targetPort has no impact on Sidecars');
    const name = asString(port.name) ?? '';
    if (name !== '') report.errorIf(`${at}.port.name`, validatePortName(name));
    report.errorIf(`${at}.port.protocol`, validateProtocol(asString(port.protocol) ?? ''));
    const number = asNumber(port.number) ?? 0;
    report.errorIf(`${at}.port.number`, validatePort(number));
    const bind = asString(listener.bind) ?? '';
    if (bind !== '') report.errorIf(`${at}.bind`, validateIPAddress(bind));
    if (ports.has(number)) report.error(`${at}.port.number`, 'sidecar: ports on IP bound listeners must be unique');
    ports.add(number);

    const defaultEndpoint = asString(listener.defaultEndpoint) ?? '';
    if (defaultEndpoint !== '') validateDefaultEndpoint(defaultEndpoint, `${at}.defaultEndpoint`, report);

    const protocol = parseProtocol(port.protocol);
    const tls = asRecord(listener.tls);
    if (tls !== undefined) {
      const tp = `${at}.tls`;
      if (asArray(tls.subjectAltNames).length > 0)
        report.error(`${tp}.subjectAltNames`, 'sidecar: subjectAltNames is not supported in ingress tls');
      if (tls.httpsRedirect === true) report.error(`${tp}.httpsRedirect`, 'sidecar: httpsRedirect is not supported');
      if ((asString(tls.credentialName) ?? '') !== '')
        report.error(`${tp}.credentialName`, 'sidecar: credentialName is not currently supported');
      if (asArray(tls.credentialNames).length > 0)
        report.error(`${tp}.credentialNames`, 'sidecar: credentialNames is not currently supported');
      if (asArray(tls.tlsCertificates).length > 0)
        report.error(`${tp}.tlsCertificates`, 'sidecar: tls_certificates is not currently supported');
      const mode = asString(tls.mode) ?? 'PASSTHROUGH';
      if (mode === 'ISTIO_MUTUAL' || mode === 'AUTO_PASSTHROUGH') {
        report.error(`${tp}.mode`, `cannot set mode to ${mode} in sidecar ingress tls`);
      }
      if (!isTLSProtocol(protocol)) report.error(tp, 'server cannot have TLS settings for non HTTPS/TLS ports');
      validateServerTLS(tls, tp, report);
    }
    validateConnectionPool(listener.connectionPool, `${at}.connectionPool`, report);
    if (asRecord(listener.connectionPool)?.http != null && !isHTTPProtocol(protocol)) {
      report.warn(
        `${at}.connectionPool.http`,
        `sidecar: HTTP connection pool settings are configured for port ${number} (${JSON.stringify(name)}) but its protocol is not HTTP (${asString(port.protocol) ?? ''}); only TCP settings will apply`,
      );
    }
  });
}

function validateEgressPort(listener: Json, port: Json, at: string, report: Report): void {
  const name = asString(port.name) ?? '';
  if (name !== '') report.errorIf(`${at}.port.name`, validatePortName(name));
  const bind = asString(listener.bind) ?? '';
  const number = asNumber(port.number) ?? 0;
  report.errorIf(`${at}.port.protocol`, validateProtocol(asString(port.protocol) ?? ''));
  if (number === 0) {
    // Port 0 means a Unix domain socket listener.
    if (!bind.startsWith(UNIX_PREFIX))
      report.error(`${at}.bind`, 'sidecar: ports with 0 value must have a unix domain socket bind address');
    else report.errorIf(`${at}.bind`, validateUnixAddress(bind.slice(UNIX_PREFIX.length)));
    const capture = asString(listener.captureMode) ?? 'DEFAULT';
    if (capture !== 'DEFAULT' && capture !== 'NONE') {
      report.error(`${at}.captureMode`, 'sidecar: captureMode must be DEFAULT/NONE for unix domain socket listeners');
    }
  } else {
    report.errorIf(`${at}.port.number`, validatePort(number));
    if (bind !== '') report.errorIf(`${at}.bind`, validateIPAddress(bind));
  }
}

/** Warnings for egress hosts another entry of the same listener already selects. */
function duplicateEgressHosts(hosts: string[], at: string, namespace: string, report: Report): void {
  const byNamespace = new Map<string, Set<string>>();
  hosts.forEach((hostname, k) => {
    const slash = hostname.indexOf('/');
    if (slash < 0) return;
    let ns = hostname.slice(0, slash);
    const svc = hostname.slice(slash + 1);
    if (ns === '.') ns = namespace;
    const services = byNamespace.get(ns) ?? new Set<string>();
    byNamespace.set(ns, services);
    if (svc !== '*' ? services.has(svc) || services.has('*') : services.size > 0) {
      report.warn(`${at}.hosts[${k}]`, `duplicated egress host: ${hostname}`);
    }
    services.add(svc);
  });
  if (byNamespace.get('*')?.has('*') && byNamespace.size !== 1) {
    report.warn(`${at}.hosts`, '`*/*` host select all resources, no other hosts can be added');
  }
}

function validateEgress(egress: unknown[], namespace: string, report: Report): void {
  const ports = new Set<number>();
  const sockets = new Set<string>();
  let catchAll = false;
  egress.forEach((entry, i) => {
    const at = `spec.egress[${i}]`;
    const listener = asRecord(entry);
    if (listener === undefined) {
      report.error(at, 'egress listener may not be null');
      return;
    }
    const port = asRecord(listener.port);
    if (port === undefined) {
      // The listener without a port catches all other outbound traffic: only one, and last.
      if (catchAll) {
        report.error(at, 'sidecar: egress can have only one listener with empty port');
        return;
      }
      if (i === egress.length - 1) catchAll = true;
      else report.error(at, 'sidecar: the egress listener with empty port should be the last listener in the list');
    } else {
      if ((asNumber(port.targetPort) ?? 0) > 0)
        report.error(`${at}.port.targetPort`, 'targetPort has no impact on Sidecars');
      validateEgressPort(listener, port, at, report);
      const number = asNumber(port.number) ?? 0;
      if (number === 0) {
        const bind = asString(listener.bind) ?? '';
        if (sockets.has(bind))
          report.error(`${at}.bind`, 'sidecar: unix domain socket values for listeners must be unique');
        sockets.add(bind);
      } else {
        if (ports.has(number)) report.error(`${at}.port.number`, 'sidecar: ports on IP bound listeners must be unique');
        ports.add(number);
      }
    }
    const hosts = asArray(listener.hosts).map((h) => asString(h) ?? '');
    if (hosts.length === 0) {
      report.error(`${at}.hosts`, 'sidecar: egress listener must contain at least one host');
      return;
    }
    duplicateEgressHosts(hosts, at, namespace, report);
    hosts.forEach((h, k) => {
      report.errors(`${at}.hosts[${k}]`, validateNamespaceSlashHost(h, false, false));
    });
  });
}

function validateOutboundTrafficPolicy(policy: unknown, report: Report): void {
  const p = asRecord(policy);
  const proxy = asRecord(p?.egressProxy);
  if (p === undefined || proxy === undefined) return;
  const at = 'spec.outboundTrafficPolicy.egressProxy';
  if ((asString(p.mode) ?? 'REGISTRY_ONLY') !== 'ALLOW_ANY') {
    report.error(at, 'sidecar: egress_proxy must be set only with ALLOW_ANY outbound_traffic_policy mode');
    return;
  }
  report.errorIf(`${at}.host`, validateFQDN(asString(proxy.host) ?? ''));
  if (proxy.port == null) {
    report.error(`${at}.port`, 'sidecar: egress_proxy port must be non-nil');
    return;
  }
  validateDestination(proxy, at, report);
}

export function validateSidecar(spec: Json, namespace: string, report: Report): void {
  // istiod stops at a malformed selector.
  if (!checkNetworkingWorkloadSelector(spec, 'sidecar', report)) return;
  const ingress = asArray(spec.ingress);
  const egress = asArray(spec.egress);
  if (
    ingress.length === 0 &&
    egress.length === 0 &&
    spec.outboundTrafficPolicy == null &&
    spec.inboundConnectionPool == null
  ) {
    report.error('spec', 'sidecar: empty configuration provided');
    return;
  }
  validateIngress(ingress, report);
  validateConnectionPool(spec.inboundConnectionPool, 'spec.inboundConnectionPool', report);
  validateEgress(egress, namespace, report);
  validateOutboundTrafficPolicy(spec.outboundTrafficPolicy, report);
}
