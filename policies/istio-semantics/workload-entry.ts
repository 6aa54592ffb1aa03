/**
 * WorkloadEntry and WorkloadGroup (networking.istio.io), and the endpoints of a ServiceEntry, which are
 * WorkloadEntries too: an address (IP, host name or Unix socket; only a network without address gets a warning),
 * named ports, labels, and a WorkloadGroup's template, metadata labels and readiness probe.
 */
import { asArray, asNumber, asRecord, asString, type Json } from '../../src/policy-helpers/object-access';
import { validateStrictHeaderName } from './headers';
import { quote, validateFQDN } from './hosts';
import { isValidIP, UNIX_PREFIX, validateUnixAddress } from './ip';
import { labelsInvalid, validateLabels } from './labels';
import { validatePort, validatePortName } from './ports';
import { keyPath, type Report } from './report';

/**
 * One workload entry at `path`. `servicePorts`: the port names of the enclosing ServiceEntry (endpoint ports must be
 * among them); `allowFQDN`: whether the address may be a host name (not for STATIC ServiceEntry endpoints).
 */
export function validateWorkloadEntryFields(
  we: Json,
  path: string,
  report: Report,
  servicePorts: ReadonlySet<string> | undefined,
  allowFQDN: boolean,
): void {
  const address = asString(we.address) ?? '';
  const network = asString(we.network) ?? '';
  if (address === '') {
    if (network === '') {
      report.error(`${path}.address`, 'address is required');
      return;
    }
    report.warn(`${path}.address`, `address is unset with network ${quote(network)}`);
  }
  const ports = asRecord(we.ports) ?? {};
  const unix = address.startsWith(UNIX_PREFIX);
  if (unix) {
    report.errorIf(`${path}.address`, validateUnixAddress(address.slice(UNIX_PREFIX.length)));
    if (Object.keys(ports).length > 0) report.error(`${path}.ports`, `unix endpoint ${address} must not include ports`);
  } else if (address !== '' && !isValidIP(address)) {
    if (!allowFQDN) report.error(`${path}.address`, `endpoint address ${quote(address)} is not a valid IP address`);
    else if (validateFQDN(address) !== undefined) {
      report.error(`${path}.address`, `endpoint address ${quote(address)} is not a valid FQDN or an IP address`);
    }
  }
  for (const [name, port] of Object.entries(ports)) {
    const at = keyPath(`${path}.ports`, name);
    if (servicePorts !== undefined && !servicePorts.has(name))
      report.error(at, `endpoint port ${String(port)} is not defined by the service entry`);
    report.errorIf(at, validatePortName(name));
    report.errorIf(at, validatePort(port));
  }
  validateLabels(we.labels, `${path}.labels`, report);
  if (unix && servicePorts !== undefined && servicePorts.size !== 1) {
    report.error(`${path}.address`, 'exactly 1 service port required for unix endpoints');
  }
}

export function validateWorkloadEntry(spec: Json, report: Report): void {
  validateWorkloadEntryFields(spec, 'spec', report, undefined, true);
}

function validateProbe(probe: unknown, report: Report): void {
  const p = asRecord(probe);
  if (p === undefined) return;
  const path = 'spec.probe';
  for (const field of [
    'periodSeconds',
    'initialDelaySeconds',
    'timeoutSeconds',
    'successThreshold',
    'failureThreshold',
  ]) {
    if ((asNumber(p[field]) ?? 0) < 0) report.error(`${path}.${field}`, `${field} must be non-negative`);
  }
  if (p.httpGet != null) {
    const h = asRecord(p.httpGet) ?? {};
    report.errorIf(`${path}.httpGet.port`, validatePort(h.port));
    const scheme = asString(h.scheme) ?? '';
    if (scheme !== '' && scheme !== 'HTTPS' && scheme !== 'HTTP')
      report.error(`${path}.httpGet.scheme`, 'httpGet.scheme must be one of "HTTPS", "HTTP"');
    asArray(h.httpHeaders).forEach((header, i) => {
      const hh = asRecord(header);
      if (hh === undefined) report.error(`${path}.httpGet.httpHeaders[${i}]`, 'invalid nil header');
      else report.errorIf(`${path}.httpGet.httpHeaders[${i}].name`, validateStrictHeaderName(asString(hh.name) ?? ''));
    });
  } else if (p.tcpSocket != null) {
    report.errorIf(`${path}.tcpSocket.port`, validatePort(asRecord(p.tcpSocket)?.port));
  } else if (p.exec != null) {
    if (asArray(asRecord(p.exec)?.command).length === 0)
      report.error(`${path}.exec.command`, 'exec.command is required');
  } else if (p.grpc != null) {
    report.errorIf(`${path}.grpc.port`, validatePort(asRecord(p.grpc)?.port));
  } else {
    report.error(path, 'unknown health check method <nil>');
  }
}

export function validateWorkloadGroup(spec: Json, report: Report): void {
  if (spec.template == null) {
    report.error('spec.template', 'template is required');
    return;
  }
  // The template is not a full WorkloadEntry: the address and other fields are filled in at registration.
  const metadata = asRecord(spec.metadata);
  if (metadata !== undefined) {
    const problem = labelsInvalid(metadata.labels);
    if (problem !== undefined) {
      report.error('spec.metadata.labels', `invalid labels: ${problem}`);
      return;
    }
  }
  validateProbe(spec.probe, report);
}
