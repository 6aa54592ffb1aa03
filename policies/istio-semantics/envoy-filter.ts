/**
 * EnvoyFilter (networking.istio.io). istiod admits every EnvoyFilter with a warning (it patches Envoy internals that
 * change between releases) and checks each patch: an applyTo, a patch with an operation and (unless REMOVE) a
 * value, an RE2 proxy-version regex, and a match of the class the applyTo needs. Patches in the WAYPOINT context
 * are not checked by istiod. The patch value itself is an Envoy proto that istiod decodes with Envoy's own types;
 * meshguard does not carry Envoy's API, so it checks only what holds for every patched type: a `name` that is a
 * string, and no `@type` from Envoy's removed v2 API.
 */
import { asArray, asRecord, asString, type Json } from '../../src/policy-helpers/object-access';
import { checkNetworkingWorkloadSelector } from './labels';
import { re2CompileError } from './re2';
import type { Report } from './report';

export const ENVOY_FILTER_WARNING =
  'EnvoyFilter exposes internal implementation details that may change at any time. Prefer other APIs if possible, and exercise extreme caution, especially around upgrades.';

const HCM = 'envoy.filters.network.http_connection_manager';
const LISTENER_CLASS = new Set(['LISTENER', 'FILTER_CHAIN', 'NETWORK_FILTER', 'HTTP_FILTER']);
const ROUTE_CLASS = new Set(['ROUTE_CONFIGURATION', 'VIRTUAL_HOST', 'HTTP_ROUTE']);
const CLUSTER_CLASS = new Set(['CLUSTER', 'UPSTREAM_HTTP_FILTER']);
const OBJECT_TYPES = ['listener', 'routeConfiguration', 'cluster', 'waypoint'] as const;

/** Filter names Envoy renamed; matching on the old name still works but is deprecated. */
const DEPRECATED_FILTER_NAMES: Record<string, string> = {
  'envoy.http_connection_manager': HCM,
  'envoy.tcp_proxy': 'envoy.filters.network.tcp_proxy',
  'envoy.router': 'envoy.filters.http.router',
  'envoy.cors': 'envoy.filters.http.cors',
  'envoy.fault': 'envoy.filters.http.fault',
  'envoy.lua': 'envoy.filters.http.lua',
  'envoy.buffer': 'envoy.filters.http.buffer',
  'envoy.grpc_web': 'envoy.filters.http.grpc_web',
  'envoy.health_check': 'envoy.filters.http.health_check',
  'envoy.rate_limit': 'envoy.filters.http.ratelimit',
  'envoy.ext_authz': 'envoy.filters.http.ext_authz',
  'envoy.mongo_proxy': 'envoy.filters.network.mongo_proxy',
  'envoy.redis_proxy': 'envoy.filters.network.redis_proxy',
  'envoy.listener.tls_inspector': 'envoy.filters.listener.tls_inspector',
  'envoy.listener.original_dst': 'envoy.filters.listener.original_dst',
  'envoy.listener.http_inspector': 'envoy.filters.listener.http_inspector',
};

function deprecatedName(name: string, path: string, report: Report): void {
  const replacement = DEPRECATED_FILTER_NAMES[name];
  if (replacement !== undefined)
    report.warn(
      path,
      `using deprecated filter name ${JSON.stringify(name)}; use ${JSON.stringify(replacement)} instead`,
    );
}

function validateListenerMatch(applyTo: string, match: Json, path: string, report: Report): void {
  const listener = asRecord(match.listener);
  if (listener === undefined) {
    report.error(path, 'Envoy filter: applyTo for listener class objects cannot have non listener match');
    return;
  }
  const filter = asRecord(asRecord(listener.filterChain)?.filter);
  if (filter === undefined) return;
  const fp = `${path}.listener.filterChain.filter`;
  if (applyTo === 'LISTENER' || applyTo === 'FILTER_CHAIN') {
    report.warn(fp, `Envoy filter: filter match has no effect when used with ${applyTo}`);
  }
  const name = asString(filter.name) ?? '';
  if (name === '') {
    report.error(`${fp}.name`, 'Envoy filter: filter match has no name to match on');
    return;
  }
  const subFilter = asRecord(filter.subFilter);
  if (subFilter !== undefined) {
    if (applyTo !== 'HTTP_FILTER') {
      report.error(`${fp}.subFilter`, 'Envoy filter: subfilter match can be used with applyTo HTTP_FILTER only');
      return;
    }
    if (name !== HCM && name !== 'envoy.http_connection_manager') {
      report.error(`${fp}.subFilter`, `Envoy filter: subfilter match requires filter match with ${HCM}`);
      return;
    }
    if ((asString(subFilter.name) ?? '') === '') {
      report.error(`${fp}.subFilter.name`, 'Envoy filter: subfilter match has no name to match on');
      return;
    }
  }
  deprecatedName(name, `${fp}.name`, report);
  deprecatedName(asString(subFilter?.name) ?? '', `${fp}.subFilter.name`, report);
}

/** Every `@type` in a patch value, with its path. */
function typeUrls(value: unknown, path: string, out: Array<{ path: string; url: string }>): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      typeUrls(v, `${path}[${i}]`, out);
    });
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '@type' && typeof v === 'string') out.push({ path: `${path}[@type]`, url: v });
      else typeUrls(v, `${path}.${k}`, out);
    }
  }
}

/** The parts of istiod's decoding of the patch value that do not depend on Envoy's full API. */
function validatePatchValue(applyTo: string, value: unknown, path: string, report: Report): void {
  const v = asRecord(value);
  if (v === undefined) return;
  // Every patchable Envoy object but the bootstrap has a string `name`.
  if (applyTo !== 'BOOTSTRAP' && v.name !== undefined && v.name !== null && typeof v.name !== 'string') {
    report.error(
      `${path}.name`,
      `Envoy filter: json: cannot unmarshal ${typeof v.name === 'number' ? 'number' : typeof v.name === 'boolean' ? 'bool' : Array.isArray(v.name) ? 'array' : 'object'} into Go value of type string`,
    );
  }
  const urls: Array<{ path: string; url: string }> = [];
  typeUrls(v, path, urls);
  for (const { path: at, url } of urls) {
    if (/^type\.googleapis\.com\/envoy\..*\.v2(alpha)?\./.test(url)) {
      report.error(
        at,
        `referenced type unknown (hint: try using the v3 XDS API): could not resolve Any message type: ${url}`,
      );
    }
  }
}

function validatePatch(cp: Json, path: string, report: Report): void {
  const match = asRecord(cp.match);
  // istiod leaves waypoint patches to the waypoint's own processing.
  if (asString(match?.context) === 'WAYPOINT') return;
  const applyTo = asString(cp.applyTo) ?? 'INVALID';
  if (applyTo === 'INVALID') {
    report.error(`${path}.applyTo`, 'Envoy filter: missing applyTo');
    return;
  }
  const patch = asRecord(cp.patch);
  if (patch === undefined) {
    report.error(`${path}.patch`, 'Envoy filter: missing patch');
    return;
  }
  const operation = asString(patch.operation) ?? 'INVALID';
  if (operation === 'INVALID') {
    report.error(`${path}.patch.operation`, 'Envoy filter: missing patch operation');
    return;
  }
  if (operation !== 'REMOVE' && patch.value == null) {
    report.error(`${path}.patch.value`, 'Envoy filter: missing patch value for non-remove operation');
    return;
  }
  const proxyVersion = asString(asRecord(match?.proxy)?.proxyVersion) ?? '';
  if (proxyVersion !== '') {
    const problem = re2CompileError(proxyVersion);
    if (problem !== undefined) {
      report.error(`${path}.match.proxy.proxyVersion`, `Envoy filter: invalid regex for proxy version, [${problem}]`);
      return;
    }
  }
  if (match !== undefined && OBJECT_TYPES.some((t) => match[t] != null)) {
    const mp = `${path}.match`;
    if (LISTENER_CLASS.has(applyTo)) validateListenerMatch(applyTo, match, mp, report);
    else if (ROUTE_CLASS.has(applyTo) && match.routeConfiguration == null) {
      report.error(mp, 'Envoy filter: applyTo for http route class objects cannot have non route configuration match');
    } else if (CLUSTER_CLASS.has(applyTo) && match.cluster == null) {
      report.error(mp, 'Envoy filter: applyTo for cluster class objects cannot have non cluster match');
    }
  }
  validatePatchValue(applyTo, patch.value, `${path}.patch.value`, report);
}

export function validateEnvoyFilter(spec: Json, report: Report): void {
  report.warn('<root>', ENVOY_FILTER_WARNING);
  // istiod stops at a malformed selector.
  if (!checkNetworkingWorkloadSelector(spec, 'Envoy filter', report)) return;
  asArray(spec.configPatches).forEach((entry, i) => {
    const cp = asRecord(entry);
    if (cp === undefined) report.error(`spec.configPatches[${i}]`, 'Envoy filter: null config patch');
    else validatePatch(cp, `spec.configPatches[${i}]`, report);
  });
}
