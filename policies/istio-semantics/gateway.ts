/**
 * Gateway (networking.istio.io): a DNS-label name, at least one server; per server its hosts (`namespace/host`,
 * IPs allowed), port (known protocol, 1..65535 or 0 with a Unix socket bind, unique name across servers), bind
 * address, and TLS settings that fit the protocol.
 */
import { asArray, asNumber, asRecord, asString, type Json } from '../../src/policy-helpers/object-access';
import { isDNS1123Label, quote, validateNamespaceSlashHost } from './hosts';
import { UNIX_PREFIX, validateIPAddress, validateUnixAddress } from './ip';
import { isHTTPProtocol, isTLSProtocol, parseProtocol, validatePort } from './ports';
import { Report } from './report';
import { serverTLSMode, validateServerTLS } from './server-tls';

export const GATEWAY_SEMANTICS_ANNOTATION = 'internal.istio.io/gateway-semantics';

/** Go's %v of a Port message, for messages that quote it. */
function describePort(port: Json): string {
  const fields = ['number', 'protocol', 'name', 'targetPort']
    .filter((k) => port[k] !== undefined && port[k] !== '' && port[k] !== 0)
    .map((k) => `${k}:${typeof port[k] === 'string' ? quote(port[k] as string) : String(port[k])}`);
  return fields.join(' ');
}

/** Returns whether the port itself had errors (then the protocol/TLS consistency check is skipped, as in istiod). */
function validateServerPort(port: Json | undefined, bind: string, path: string, report: Report): boolean {
  if (port === undefined) {
    report.error(path, 'port is required');
    return true;
  }
  const local = new Report();
  if (parseProtocol(port.protocol) === 'Unsupported') {
    local.error(
      `${path}.protocol`,
      `invalid protocol ${quote(asString(port.protocol) ?? '')}, supported protocols are HTTP, HTTP2, GRPC, GRPC-WEB, MONGO, REDIS, MYSQL, TCP`,
    );
  }
  const number = asNumber(port.number) ?? 0;
  if (number > 0 || !bind.startsWith(UNIX_PREFIX)) local.errorIf(`${path}.number`, validatePort(number));
  if ((asNumber(port.targetPort) ?? 0) > 0) local.error(`${path}.targetPort`, 'targetPort has no impact on Gateways');
  if ((asString(port.name) ?? '') === '') local.error(`${path}.name`, `port name must be set: ${describePort(port)}`);
  report.issues.push(...local.issues);
  return local.hasErrors;
}

function validateServer(server: Json, path: string, report: Report, gatewaySemantics: boolean): void {
  const hosts = asArray(server.hosts);
  if (hosts.length === 0) report.error(`${path}.hosts`, 'server config must contain at least one host');
  hosts.forEach((h, i) => {
    report.errors(`${path}.hosts[${i}]`, validateNamespaceSlashHost(asString(h) ?? '', true, gatewaySemantics));
  });

  const port = asRecord(server.port);
  const bind = asString(server.bind) ?? '';
  const portFailed = validateServerPort(port, bind, `${path}.port`, report);
  if (bind.startsWith(UNIX_PREFIX)) {
    report.errorIf(`${path}.bind`, validateUnixAddress(bind.slice(UNIX_PREFIX.length)));
    if (port !== undefined && (asNumber(port.number) ?? 0) !== 0) {
      report.error(`${path}.port.number`, `port number must be 0 for unix domain socket: ${describePort(port)}`);
    }
  } else if (bind !== '') {
    report.errorIf(`${path}.bind`, validateIPAddress(bind));
  }
  validateServerTLS(server.tls, `${path}.tls`, report);

  const tls = asRecord(server.tls);
  if (portFailed || port === undefined) return;
  const protocol = parseProtocol(port.protocol);
  if (isTLSProtocol(protocol) && tls === undefined) {
    report.error(path, 'server must have TLS settings for HTTPS/TLS protocols');
  } else if (!isTLSProtocol(protocol) && tls !== undefined) {
    if (isHTTPProtocol(protocol)) {
      // A plain HTTP server may only carry `tls.httpsRedirect` (its mode stays PASSTHROUGH).
      const mode = serverTLSMode(tls);
      const passthrough = mode === 'PASSTHROUGH' || mode === 'AUTO_PASSTHROUGH';
      const certs = ['caCertificates', 'privateKey', 'serverCertificate'].some((k) => (asString(tls[k]) ?? '') !== '');
      if (!passthrough || certs)
        report.error(`${path}.tls`, 'server cannot have TLS settings for plain text HTTP ports');
    } else {
      report.error(`${path}.tls`, 'server cannot have TLS settings for non HTTPS/TLS ports');
    }
  }
}

export function validateGateway(spec: Json, meta: Json, report: Report): void {
  const gatewaySemantics = asString(asRecord(meta.annotations)?.[GATEWAY_SEMANTICS_ANNOTATION]) === 'gateway';
  const name = asString(meta.name) ?? '';
  // Gateway names end up in generated Envoy resource names, so they must be DNS labels (no dots). A name still to
  // be generated (generateName) cannot be judged yet.
  const pendingName = name === '' && typeof meta.generateName === 'string';
  if (!pendingName && !isDNS1123Label(name) && !gatewaySemantics) {
    report.error('metadata.name', `invalid gateway name: ${quote(name)}`);
  }
  const servers = asArray(spec.servers);
  if (servers.length === 0) report.error('spec.servers', 'gateway must have at least one server');
  const portNames = new Set<string>();
  servers.forEach((entry, i) => {
    const at = `spec.servers[${i}]`;
    const server = asRecord(entry);
    if (server === undefined) {
      report.error(at, 'server may not be nil');
      return;
    }
    validateServer(server, at, report, gatewaySemantics);
    const port = asRecord(server.port);
    if (port === undefined) return;
    const portName = asString(port.name) ?? '';
    if (portNames.has(portName))
      report.error(`${at}.port.name`, `port names in servers must be unique: duplicate name ${portName}`);
    portNames.add(portName);
    if (!isHTTPProtocol(parseProtocol(port.protocol)) && asRecord(server.tls)?.httpsRedirect === true) {
      report.warn(`${at}.tls.httpsRedirect`, 'tls.httpsRedirect should only be used with http servers');
    }
  });
}
