/**
 * VirtualService (networking.istio.io): hosts (no duplicates or overlapping wildcards; no bare `*` for the mesh),
 * gateways, delegate rules, every HTTP/TLS/TCP rule, exportTo, and the unreachable-rule warnings.
 */
import { asArray, asRecord, asRecords, asString, type Json } from '../../src/policy-helpers/object-access';
import { validateExportTo } from './export-to';
import { goList } from './go-format';
import { isJwtClaimRoute } from './headers';
import {
  hostIsSubsetOf,
  hostsOverlap,
  quote,
  validateWildcardDomain,
  validateWildcardDomainForGatewayRoute,
} from './hosts';
import { validateGatewayNames, validateHTTPRoute, validateRouteDestinations } from './http-route';
import { isValidIP, validateIPSubnet } from './ip';
import { validateLabels } from './labels';
import { validatePort } from './ports';
import { keyPath, type Report } from './report';
import { analyzeUnreachableRules } from './unreachable-routes';

const MESH_GATEWAY = 'mesh';
export const ROUTE_SEMANTICS_ANNOTATION = 'internal.istio.io/route-semantics';

const strings = (v: unknown): string[] => asArray(v).map((x) => asString(x) ?? '');

/** A VirtualService with gateways and without `mesh` among them is bound to gateways only. */
const boundToGatewaysOnly = (gateways: string[]): boolean => !gateways.includes(MESH_GATEWAY);

function validateSniHost(sni: string, path: string, hosts: string[], gateways: string[], report: Report): void {
  const problem = boundToGatewaysOnly(gateways)
    ? validateWildcardDomainForGatewayRoute(true, sni)
    : validateWildcardDomain(sni);
  if (problem !== undefined) {
    if (isValidIP(sni)) {
      report.warn(
        path,
        `using an IP address (${quote(sni)}) goes against SNI spec and most clients do not support this`,
      );
      return;
    }
    report.error(path, problem);
    return;
  }
  if (!hosts.some((h) => hostIsSubsetOf(sni, h))) {
    report.error(
      path,
      `SNI host ${quote(sni)} is not a compatible subset of any of the virtual service hosts: [${hosts.join(', ')}]`,
    );
  }
}

/** destinationSubnets, port, sourceLabels and gateways: the L4 conditions TLS and TCP matches share. */
function validateL4Match(m: Json, at: string, report: Report): void {
  asArray(m.destinationSubnets).forEach((s, k) => {
    report.errorIf(`${at}.destinationSubnets[${k}]`, validateIPSubnet(asString(s) ?? ''));
  });
  const port = typeof m.port === 'number' ? m.port : 0;
  if (port !== 0) report.errorIf(`${at}.port`, validatePort(port));
  validateLabels(m.sourceLabels, `${at}.sourceLabels`, report);
  validateGatewayNames(m.gateways, `${at}.gateways`, report, false);
}

function validateTLSRoute(rule: Json, path: string, spec: Json, report: Report, gatewaySemantics: boolean): void {
  const hosts = strings(spec.hosts);
  const gateways = strings(spec.gateways);
  const matches = asArray(rule.match);
  if (matches.length === 0) report.error(path, 'TLS route must have at least one match condition');
  matches.forEach((entry, j) => {
    const at = `${path}.match[${j}]`;
    const m = asRecord(entry);
    if (m === undefined) {
      report.error(at, 'TLS match may not be null');
      return;
    }
    const sniHosts = strings(m.sniHosts);
    if (sniHosts.length === 0) report.error(at, 'TLS match must have at least one SNI host');
    sniHosts.forEach((sni, k) => {
      validateSniHost(sni, `${at}.sniHosts[${k}]`, hosts, gateways, report);
    });
    validateL4Match(m, at, report);
  });
  if (asArray(rule.route).length === 0) report.error(path, 'TLS route is required');
  validateRouteDestinations(rule.route, `${path}.route`, report, gatewaySemantics);
}

function validateTCPRoute(rule: Json, path: string, report: Report, gatewaySemantics: boolean): void {
  asArray(rule.match).forEach((entry, j) => {
    const at = `${path}.match[${j}]`;
    const m = asRecord(entry);
    if (m === undefined) report.error(at, 'tcp match may not be nil');
    else validateL4Match(m, at, report);
  });
  if (asArray(rule.route).length === 0) report.error(path, 'TCP route is required');
  validateRouteDestinations(rule.route, `${path}.route`, report, gatewaySemantics);
}

export function validateVirtualService(spec: Json, meta: Json, namespace: string, report: Report): void {
  const hosts = strings(spec.hosts);
  const gateways = strings(spec.gateways);
  const http = asArray(spec.http);
  const tls = asArray(spec.tls);
  const tcp = asArray(spec.tcp);
  const delegate = hosts.length === 0;

  if (delegate) {
    // A VirtualService without hosts is a delegate: only HTTP rules, attached through a root's `delegate`.
    if (gateways.length > 0) report.error('spec.gateways', 'delegate virtual service must have no gateways specified');
    if (tls.length > 0) report.error('spec.tls', 'delegate virtual service must have no tls route specified');
    if (tcp.length > 0) report.error('spec.tcp', 'delegate virtual service must have no tcp route specified');
  }
  const gatewaySemantics = asString(asRecord(meta.annotations)?.[ROUTE_SEMANTICS_ANNOTATION]) === 'gateway';

  let appliesToMesh = true;
  let appliesToGateway = false;
  if (gateways.length > 0) {
    validateGatewayNames(spec.gateways, 'spec.gateways', report, gatewaySemantics);
    appliesToGateway = boundToGatewaysOnly(gateways);
    appliesToMesh = !appliesToGateway;
  }

  if (!appliesToGateway) {
    // JWT claims are only known where the JWT is validated: at a gateway.
    asRecords(spec.http).forEach((rule, i) => {
      asRecords(rule.match).forEach((m, j) => {
        for (const field of ['headers', 'withoutHeaders'] as const) {
          for (const key of Object.keys(asRecord(m[field]) ?? {})) {
            if (isJwtClaimRoute(key)) {
              report.error(
                keyPath(`spec.http[${i}].match[${j}].${field}`, key),
                `JWT claim based routing (key: ${key}) is only supported for gateway, found no gateways: ${goList(gateways)}`,
              );
            }
          }
        }
      });
    });
  }

  const sniRoutes = asRecords(spec.tls).some((r) => asRecords(r.match).some((m) => asArray(m.sniHosts).length > 0));
  let allHostsValid = true;
  hosts.forEach((host, i) => {
    const problem = appliesToGateway
      ? validateWildcardDomainForGatewayRoute(sniRoutes, host)
      : validateWildcardDomain(host);
    if (problem !== undefined) {
      if (!isValidIP(host)) {
        report.error(`spec.hosts[${i}]`, problem);
        allHostsValid = false;
      }
    } else if (appliesToMesh && host === '*') {
      report.error(`spec.hosts[${i}]`, 'wildcard host * is not allowed for virtual services bound to the mesh gateway');
      allHostsValid = false;
    }
  });
  if (allHostsValid) {
    for (let i = 0; i < hosts.length; i++) {
      for (let j = i + 1; j < hosts.length; j++) {
        const a = hosts[i] as string;
        const b = hosts[j] as string;
        if (hostsOverlap(a, b)) report.error(`spec.hosts[${j}]`, `duplicate hosts in virtual service: ${a} & ${b}`);
      }
    }
  }

  if (http.length === 0 && tcp.length === 0 && tls.length === 0) {
    report.error('spec', 'http, tcp or tls must be provided in virtual service');
  }
  http.forEach((rule, i) => {
    const r = asRecord(rule);
    if (r === undefined) report.error(`spec.http[${i}]`, 'http route may not be null');
    else validateHTTPRoute(r, `spec.http[${i}]`, report, delegate, gatewaySemantics);
  });
  tls.forEach((rule, i) => {
    const r = asRecord(rule);
    if (r !== undefined) validateTLSRoute(r, `spec.tls[${i}]`, spec, report, gatewaySemantics);
  });
  tcp.forEach((rule, i) => {
    const r = asRecord(rule);
    if (r !== undefined) validateTCPRoute(r, `spec.tcp[${i}]`, report, gatewaySemantics);
  });
  validateExportTo(namespace, spec.exportTo, 'spec.exportTo', report);
  analyzeUnreachableRules(spec, report);
}
