/**
 * ServiceEntry (networking.istio.io): hosts (no bare `*`; partial wildcards warned), addresses, ports (unique names
 * and numbers), and endpoints that fit the resolution mode: none for NONE, IPs for STATIC, IPs or host names for
 * DNS, wildcard hosts only for DYNAMIC_DNS.
 */
import { asArray, asNumber, asRecord, asString, type Json } from '../../src/policy-helpers/object-access';
import { validateExportTo } from './export-to';
import { quote, validateFQDN, validatePartialWildcard, validateWildcardDomain } from './hosts';
import { isValidIP, validateIPSubnet } from './ip';
import { checkNetworkingWorkloadSelector, validateLabels } from './labels';
import {
  isHTTPProtocol,
  isTCPProtocol,
  isTLSProtocol,
  parseProtocol,
  validatePort,
  validatePortName,
  validateProtocol,
} from './ports';
import { keyPath, type Report } from './report';
import { validateWorkloadEntryFields } from './workload-entry';

const AUTOALLOCATE_OPT_OUT = 'networking.istio.io/enable-autoallocate-ip';
const USE_WAYPOINT_LABEL = 'istio.io/use-waypoint';

/** Whether istiod allocates addresses to this entry itself (IP auto-allocation is on by default in recent Istio). */
function autoAllocates(spec: Json, meta: Json): boolean {
  const optOut =
    asString(asRecord(meta.labels)?.[AUTOALLOCATE_OPT_OUT]) ??
    asString(asRecord(meta.annotations)?.[AUTOALLOCATE_OPT_OUT]);
  if (optOut === 'false') return false;
  return (asString(spec.resolution) ?? 'NONE') !== 'NONE' && asArray(spec.addresses).length === 0;
}

function validateDNSEndpoints(spec: Json, ports: ReadonlySet<string>, report: Report): void {
  asArray(spec.endpoints).forEach((entry, i) => {
    const at = `spec.endpoints[${i}]`;
    const e = asRecord(entry);
    if (e === undefined) {
      report.error(at, 'endpoint cannot be nil');
      return;
    }
    const address = asString(e.address) ?? '';
    if (!isValidIP(address) && validateFQDN(address) !== undefined) {
      report.error(`${at}.address`, `endpoint address ${quote(address)} is not a valid FQDN or an IP address`);
    }
    validateLabels(e.labels, `${at}.labels`, report);
    for (const [name, port] of Object.entries(asRecord(e.ports) ?? {})) {
      const pp = keyPath(`${at}.ports`, name);
      if (!ports.has(name)) report.error(pp, `endpoint port ${String(port)} is not defined by the service entry`);
      report.errorIf(pp, validatePortName(name));
      report.errorIf(pp, validatePort(port));
    }
  });
}

export function validateServiceEntry(spec: Json, meta: Json, namespace: string, report: Report): void {
  // istiod stops at a malformed selector.
  if (!checkNetworkingWorkloadSelector(spec, 'service entry', report)) return;
  const hasSelector = spec.workloadSelector != null;
  const endpoints = asArray(spec.endpoints);
  if (hasSelector && spec.endpoints != null)
    report.error('spec', 'only one of WorkloadSelector or Endpoints is allowed in Service Entry');

  const hosts = asArray(spec.hosts).map((h) => asString(h) ?? '');
  if (hosts.length === 0) report.error('spec.hosts', 'service entry must have at least one host');
  hosts.forEach((host, i) => {
    const at = `spec.hosts[${i}]`;
    if (host === '*') {
      report.error(at, `invalid host ${host}`);
      return;
    }
    report.errorIf(at, validateWildcardDomain(host));
    const partial = validatePartialWildcard(host);
    if (partial !== undefined) report.warn(at, partial);
  });

  const addresses = asArray(spec.addresses).map((a) => asString(a) ?? '');
  addresses.forEach((a, i) => {
    report.errorIf(`spec.addresses[${i}]`, validateIPSubnet(a));
  });
  const resolution = asString(spec.resolution) ?? 'NONE';
  if (addresses.some((a) => a.includes('/')) && resolution !== 'NONE' && resolution !== 'STATIC') {
    report.error('spec.addresses', 'CIDR addresses are allowed only for NONE/STATIC resolution types');
  }

  const autoAllocation = autoAllocates(spec, meta);
  const portNames = new Set<string>();
  const portNumbers = new Set<number>();
  const ports = asArray(spec.ports);
  ports.forEach((entry, i) => {
    const at = `spec.ports[${i}]`;
    const port = asRecord(entry);
    if (port === undefined) {
      report.error(at, 'service entry port may not be null');
      return;
    }
    const name = asString(port.name) ?? '';
    const number = asNumber(port.number) ?? 0;
    const protocol = asString(port.protocol) ?? '';
    if (portNames.has(name)) report.error(`${at}.name`, `service entry port name ${quote(name)} already defined`);
    portNames.add(name);
    if (portNumbers.has(number)) report.error(`${at}.number`, `service entry port ${number} already defined`);
    portNumbers.add(number);
    const targetPort = asNumber(port.targetPort) ?? 0;
    if (targetPort !== 0) report.errorIf(`${at}.targetPort`, validatePort(targetPort));
    if (addresses.length === 0 && !autoAllocation && (protocol === '' || protocol === 'TCP')) {
      report.warn(
        at,
        'addresses are required for ports serving TCP (or unset) protocol when IP Autoallocation is not enabled',
      );
    }
    report.errorIf(`${at}.name`, validatePortName(name));
    report.errorIf(`${at}.protocol`, validateProtocol(protocol));
    report.errorIf(`${at}.number`, validatePort(number));
  });

  switch (resolution) {
    case 'NONE':
      if (endpoints.length > 0)
        report.error('spec.endpoints', 'no endpoints should be provided for resolution type none');
      if (hasSelector)
        report.warn('spec.workloadSelector', 'workloadSelector should not be set when resolution mode is NONE');
      break;
    case 'STATIC':
      endpoints.forEach((entry, i) => {
        const e = asRecord(entry);
        if (e === undefined) report.error(`spec.endpoints[${i}]`, 'endpoint cannot be nil');
        else validateWorkloadEntryFields(e, `spec.endpoints[${i}]`, report, portNames, false);
      });
      break;
    case 'DNS':
    case 'DNS_ROUND_ROBIN':
      if (endpoints.length === 0) {
        hosts.forEach((host, i) => {
          if (validateFQDN(host) !== undefined) {
            report.error(
              `spec.hosts[${i}]`,
              `hosts must be FQDN if no endpoints are provided for resolution mode ${resolution}`,
            );
          }
        });
      }
      if (resolution === 'DNS_ROUND_ROBIN' && endpoints.length > 1) {
        report.error('spec.endpoints', `there must only be 0 or 1 endpoint for resolution mode ${resolution}`);
      }
      validateDNSEndpoints(spec, portNames, report);
      if (
        addresses.length > 0 &&
        hosts.length > 1 &&
        ports.some((p) => isTCPProtocol(parseProtocol(asRecord(p)?.protocol)))
      ) {
        report.warn(
          'spec.hosts',
          'service entry can not have more than one host specified simultaneously with address and tcp port',
        );
      }
      break;
    case 'DYNAMIC_DNS':
      // Resolved per request by a dynamic forward proxy: wildcard hosts, no static endpoints.
      hosts.forEach((host, i) => {
        if (host !== '*' && !host.startsWith('*.')) {
          report.error(`spec.hosts[${i}]`, `hosts must be wildcard (*.example.com) for resolution mode ${resolution}`);
        }
      });
      if (endpoints.length > 0)
        report.error('spec.endpoints', `no endpoints should be provided for resolution type ${resolution}`);
      if (spec.location === 'MESH_INTERNAL' && (asString(asRecord(meta.labels)?.[USE_WAYPOINT_LABEL]) ?? '') !== '') {
        report.error(
          `metadata.labels[${USE_WAYPOINT_LABEL}]`,
          `resolution mode ${resolution} with location MESH_INTERNAL cannot be used with a waypoint`,
        );
      }
      break;
    default:
      report.error('spec.resolution', `unsupported resolution type ${resolution}`);
  }

  // Plain TCP cannot tell several hosts apart (HTTP has the Host header, TLS the SNI), unless hosts are ignored (NONE).
  if (resolution !== 'NONE' && hosts.length > 1) {
    const index = ports.findIndex((p) => {
      const protocol = parseProtocol(asRecord(p)?.protocol);
      return !isHTTPProtocol(protocol) && !isTLSProtocol(protocol);
    });
    if (index >= 0) report.error(`spec.ports[${index}]`, 'multiple hosts provided with non-HTTP, non-TLS ports');
  }
  validateExportTo(namespace, spec.exportTo, 'spec.exportTo', report, { isServiceEntry: true });
}
