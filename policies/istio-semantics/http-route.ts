/**
 * One `spec.http[i]` rule of a VirtualService: what it does (route, redirect, direct response or delegate, never
 * two), its matches, header manipulation, CORS, fault injection, mirroring, retries, rewrites and destinations.
 */
import { asArray, asNumber, asRecord, asString, type Json } from '../../src/policy-helpers/object-access';
import { hasSubSecondPart, validateDuration } from './durations';
import { goFixed, goFloat } from './go-format';
import {
  isAuthorityHeader,
  validateCorsHeaderName,
  validateHeaderOperationName,
  validateHeaderValue,
  validateMatchHeaderName,
  validateRequestHeaderSetName,
} from './headers';
import { isDNS1123Label, quote, validateFQDN, validateWildcardDomain } from './hosts';
import { validateLabels } from './labels';
import { validatePort } from './ports';
import { validateRegex } from './re2';
import { keyPath, type Report } from './report';
import { stringMatchKind, validateStringMatch, validateStringMatchRegex } from './string-match';

const KB = 1024;
const MB = 1024 * KB;

const present = (v: unknown): boolean => v !== undefined && v !== null;

/** Status codes Go's net/http knows (http.StatusText is non-empty), accepted as retryOn entries. */
const KNOWN_HTTP_STATUSES = new Set([
  100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 307, 308, 400,
  401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 418, 421, 422, 423, 424, 425,
  426, 428, 429, 431, 451, 500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511,
]);

/** Envoy's x-envoy-retry-on and x-envoy-retry-grpc-on policies. */
const RETRY_ON_POLICIES = new Set([
  '5xx',
  'gateway-error',
  'reset',
  'reset-before-request',
  'connect-failure',
  'retriable-4xx',
  'refused-stream',
  'retriable-status-codes',
  'retriable-headers',
  'envoy-ratelimited',
  'http3-post-connect-failure',
  'cancelled',
  'deadline-exceeded',
  'internal',
  'resource-exhausted',
  'unavailable',
]);

const GRPC_STATUSES = new Set([
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
]);

const CORS_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', '*']);

/** A VirtualService `gateways` list (or a match's): `namespace/name`, or a legacy FQDN / short name such as `mesh`. */
export function validateGatewayNames(names: unknown, path: string, report: Report, gatewaySemantics: boolean): void {
  const list = asArray(names);
  for (let i = 0; i < list.length; i++) {
    const name = asString(list[i]) ?? '';
    const at = `${path}[${i}]`;
    const slash = name.indexOf('/');
    if (slash < 0) {
      if (name.includes('.')) {
        const parts = name.split('.');
        report.warn(
          at,
          `using legacy gatewayName format ${quote(name)}; prefer the <namespace>/<name> format: ${quote(`${parts[1]}/${parts[0]}`)}`,
        );
      }
      report.errorIf(at, validateFQDN(name));
      // istiod stops at the first name without a namespace: later entries are not checked.
      return;
    }
    const ns = name.slice(0, slash);
    const gw = name.slice(slash + 1);
    if (ns === '' || gw === '') report.error(at, 'config namespace and gateway name cannot be empty');
    if (!isDNS1123Label(ns)) report.error(at, `invalid value for namespace: ${quote(ns)}`);
    if (!isDNS1123Label(gw) && !gatewaySemantics) report.error(at, `invalid value for gateway name: ${quote(gw)}`);
  }
}

export function validateSubsetName(name: string): string | undefined {
  if (name === '') return 'subset name cannot be empty';
  return isDNS1123Label(name) ? undefined : `subset name is invalid: ${name}`;
}

/** A route, mirror or egress-proxy destination: host (no bare `*`), subset name, port number. */
export function validateDestination(destination: unknown, path: string, report: Report): void {
  const d = asRecord(destination);
  if (d === undefined) return;
  const host = asString(d.host) ?? '';
  if (host === '*') report.error(`${path}.host`, `invalid destination host ${host}`);
  else report.errorIf(`${path}.host`, validateWildcardDomain(host));
  const subset = asString(d.subset);
  if (subset !== undefined && subset !== '') report.errorIf(`${path}.subset`, validateSubsetName(subset));
  if (present(d.port)) report.errorIf(`${path}.port.number`, validatePort(asNumber(asRecord(d.port)?.number) ?? 0));
}

/** Weighted destinations of a TCP or TLS rule (and, with header checks, of an HTTP rule). */
export function validateRouteDestinations(
  routes: unknown,
  path: string,
  report: Report,
  gatewaySemantics: boolean,
  withHeaders = false,
): void {
  const list = asArray(routes);
  let total = 0;
  list.forEach((entry, i) => {
    const at = `${path}[${i}]`;
    const r = asRecord(entry);
    if (r === undefined) {
      report.error(at, 'weight may not be nil');
      return;
    }
    if (!present(r.destination)) report.error(`${at}.destination`, 'destination is required');
    if (withHeaders) validateHeaderOperations(r.headers, `${at}.headers`, report);
    if (!gatewaySemantics) validateDestination(r.destination, `${at}.destination`, report);
    const weight = asNumber(r.weight) ?? 0;
    if (weight < 0) report.error(`${at}.weight`, `weight ${weight} < 0`);
    total += weight;
  });
  if (list.length > 1 && total === 0) report.error(path, 'total destination weight = 0');
}

/** `headers.request` / `headers.response` add, set and remove. */
export function validateHeaderOperations(headers: unknown, path: string, report: Report): void {
  const h = asRecord(headers);
  if (h === undefined) return;
  for (const direction of ['request', 'response'] as const) {
    const ops = asRecord(h[direction]);
    if (ops === undefined) continue;
    const base = `${path}.${direction}`;
    for (const op of ['add', 'set'] as const) {
      for (const [name, value] of Object.entries(asRecord(ops[op]) ?? {})) {
        const at = keyPath(`${base}.${op}`, name);
        report.errorIf(
          at,
          direction === 'request' ? validateRequestHeaderSetName(name) : validateHeaderOperationName(name),
        );
        report.errorIf(at, validateHeaderValue(asString(value) ?? ''));
      }
    }
    asArray(ops.remove).forEach((name, i) => {
      report.errorIf(`${base}.remove[${i}]`, validateHeaderOperationName(asString(name) ?? ''));
    });
  }
}

/** The authority may be rewritten once: by `rewrite.authority` or by setting/adding `:authority`/`host`. */
function validateAuthorityRewrite(http: Json, path: string, report: Report): void {
  let current = asString(asRecord(http.rewrite)?.authority) ?? '';
  const request = asRecord(asRecord(http.headers)?.request);
  for (const op of ['set', 'add'] as const) {
    for (const [name, value] of Object.entries(asRecord(request?.[op]) ?? {})) {
      if (!isAuthorityHeader(name)) continue;
      const v = asString(value) ?? '';
      if (current !== '') {
        report.error(
          keyPath(`${path}.headers.request.${op}`, name),
          `authority header cannot be set multiple times: have ${quote(current)}, attempting to set ${quote(v)}`,
        );
        return;
      }
      current = v;
    }
  }
}

function validateMatches(http: Json, path: string, report: Report): void {
  asArray(http.match).forEach((entry, j) => {
    const m = asRecord(entry);
    if (m === undefined) return;
    const at = `${path}.match[${j}]`;
    for (const [name, value] of Object.entries(asRecord(m.headers) ?? {})) {
      const hp = keyPath(`${at}.headers`, name);
      if (!present(value)) report.error(hp, `header match ${name} cannot be null`);
      report.errorIf(hp, validateMatchHeaderName(name));
      report.errorIf(hp, validateStringMatch(value, 'headers'));
    }
    for (const [name, value] of Object.entries(asRecord(m.withoutHeaders) ?? {})) {
      const hp = keyPath(`${at}.withoutHeaders`, name);
      report.errorIf(hp, validateMatchHeaderName(name));
      // A regex of `*` is not RE2: Envoy reads it as "header present".
      if (present(value) && asRecord(value)?.regex !== '*')
        report.errorIf(hp, validateStringMatch(value, 'withoutHeaders'));
    }
    // The URI may be an empty prefix (Envoy allows it there); scheme, method and authority may not.
    report.errorIf(`${at}.uri`, validateStringMatchRegex(m.uri, 'uri'));
    report.errorIf(`${at}.scheme`, validateStringMatch(m.scheme, 'scheme'));
    report.errorIf(`${at}.method`, validateStringMatch(m.method, 'method'));
    report.errorIf(`${at}.authority`, validateStringMatch(m.authority, 'authority'));
    for (const [name, value] of Object.entries(asRecord(m.queryParams) ?? {})) {
      report.errorIf(keyPath(`${at}.queryParams`, name), validateStringMatch(value, 'queryParams'));
    }
    const port = asNumber(m.port) ?? 0;
    if (port !== 0) report.errorIf(`${at}.port`, validatePort(port));
    validateLabels(m.sourceLabels, `${at}.sourceLabels`, report);
    validateGatewayNames(m.gateways, `${at}.gateways`, report, false);
    const sourceNamespace = asString(m.sourceNamespace) ?? '';
    if (sourceNamespace !== '' && !isDNS1123Label(sourceNamespace)) {
      report.error(`${at}.sourceNamespace`, `sourceNamespace match ${sourceNamespace} is invalid`);
    }
  });
}

type RouteType = 'independent' | 'root' | 'delegate';

function validateConflicts(http: Json, routeType: RouteType, path: string, report: Report): void {
  const name = asString(http.name) ?? '';
  const routes = asArray(http.route);
  if (routeType === 'root') {
    // A delegating rule only delegates.
    if (present(http.redirect)) report.error(`${path}.redirect`, `root HTTP route ${name} must not specify redirect`);
    if (present(http.route)) report.error(`${path}.route`, `root HTTP route ${name} must not specify route`);
    return;
  }
  if (routeType === 'delegate' && present(http.delegate)) {
    report.error(`${path}.delegate`, 'delegate HTTP route cannot contain delegate');
  }
  if (present(http.redirect)) {
    if (routes.length > 0) report.error(path, 'HTTP route cannot contain both route and redirect');
    if (present(http.fault)) report.error(path, 'HTTP route cannot contain both fault and redirect');
    if (present(http.rewrite)) report.error(path, 'HTTP route rule cannot contain both rewrite and redirect');
    if (present(http.directResponse))
      report.error(path, 'HTTP route rule cannot contain both direct_response and redirect');
  } else if (present(http.directResponse)) {
    if (routes.length > 0) report.error(path, 'HTTP route cannot contain both route and direct_response');
    if (present(http.fault)) report.error(path, 'HTTP route cannot contain both fault and direct_response');
    if (present(http.rewrite)) report.error(path, 'HTTP route rule cannot contain both rewrite and direct_response');
  } else if (routes.length === 0) {
    report.error(path, 'HTTP route, redirect or direct_response is required');
  }
  if (present(http.mirror) && asArray(http.mirrors).length > 0) {
    report.error(path, 'HTTP route cannot contain both mirror and mirrors');
  }
}

function validateCors(cors: unknown, path: string, report: Report): void {
  const c = asRecord(cors);
  if (c === undefined) return;
  asArray(c.allowOrigins).forEach((origin, i) => {
    const at = `${path}.allowOrigins[${i}]`;
    const match = stringMatchKind(origin);
    if (match === undefined || match.value === '') {
      report.error(at, `'${match?.value ?? ''}' is not a valid match type for CORS allow origins`);
      return;
    }
    report.errorIf(at, validateStringMatchRegex(origin, 'corsPolicy.allowOrigins'));
  });
  asArray(c.allowMethods).forEach((method, i) => {
    const m = asString(method) ?? '';
    if (!CORS_METHODS.has(m)) report.error(`${path}.allowMethods[${i}]`, `${quote(m)} is not a supported HTTP method`);
  });
  for (const field of ['allowHeaders', 'exposeHeaders'] as const) {
    asArray(c[field]).forEach((name, i) => {
      report.errorIf(`${path}.${field}[${i}]`, validateCorsHeaderName(asString(name) ?? ''));
    });
  }
  if (present(c.maxAge)) {
    const problem = validateDuration(c.maxAge);
    report.errorIf(`${path}.maxAge`, problem);
    if (problem === undefined && hasSubSecondPart(c.maxAge)) {
      report.error(`${path}.maxAge`, 'max_age duration is accurate only to seconds precision');
    }
  }
}

/** Fault and mirror percentages: 0, or between 0.0001 and 100. */
function validatePercentage(percentage: unknown, path: string, report: Report): void {
  const p = asRecord(percentage);
  if (p === undefined) return;
  const v = asNumber(p.value) ?? 0;
  if (v < 0 || v > 100 || (v > 0 && v < 0.0001)) {
    report.error(`${path}.value`, `percentage ${goFloat(v)} is neither 0.0, nor in range [0.0001, 100.0]`);
  }
}

function validateHTTPStatus(status: number, path: string, report: Report): void {
  if (status < 200 || status > 600) report.error(path, `HTTP status ${status} is not in range 200-599`);
}

function validateFault(fault: unknown, path: string, report: Report): void {
  const f = asRecord(fault);
  if (f === undefined) return;
  if (!present(f.abort) && !present(f.delay))
    report.error(path, 'HTTP fault injection must have an abort and/or a delay');
  const abort = asRecord(f.abort);
  if (abort !== undefined) {
    const at = `${path}.abort`;
    validatePercentage(abort.percentage, `${at}.percentage`, report);
    if (present(abort.grpcStatus)) {
      const status = asString(abort.grpcStatus) ?? '';
      if (!GRPC_STATUSES.has(status)) {
        report.error(
          `${at}.grpcStatus`,
          `gRPC status ${quote(status)} is not supported. See https://github.com/grpc/grpc/blob/master/doc/statuscodes.md for a list of supported codes, for example 'NOT_FOUND'`,
        );
      }
    } else if (present(abort.http2Error)) {
      report.error(`${at}.http2Error`, 'HTTP/2 abort fault injection not supported yet');
    } else if (present(abort.httpStatus)) {
      validateHTTPStatus(asNumber(abort.httpStatus) ?? 0, `${at}.httpStatus`, report);
    } else {
      report.warn(at, 'abort configured, but error type not set');
    }
  }
  const delay = asRecord(f.delay);
  if (delay !== undefined) {
    const at = `${path}.delay`;
    validatePercentage(delay.percentage, `${at}.percentage`, report);
    if (present(delay.fixedDelay)) report.errorIf(`${at}.fixedDelay`, validateDuration(delay.fixedDelay));
    else if (present(delay.exponentialDelay)) {
      report.errorIf(`${at}.exponentialDelay`, validateDuration(delay.exponentialDelay));
      report.error(`${at}.exponentialDelay`, 'exponentialDelay not supported yet');
    }
  }
}

function validateRetries(retries: unknown, path: string, report: Report): void {
  const r = asRecord(retries);
  if (r === undefined) return;
  const attempts = asNumber(r.attempts) ?? 0;
  const retryOn = asString(r.retryOn) ?? '';
  if (attempts < 0) report.error(`${path}.attempts`, 'attempts cannot be negative');
  if (attempts === 0 && (present(r.perTryTimeout) || retryOn !== '' || present(r.retryRemoteLocalities))) {
    report.error(path, 'http retry policy configured when attempts are set to 0 (disabled)');
  }
  if (present(r.perTryTimeout)) report.errorIf(`${path}.perTryTimeout`, validateDuration(r.perTryTimeout));
  if (retryOn !== '') {
    for (const policy of retryOn.split(',')) {
      const code = /^[+-]?[0-9]+$/.test(policy) ? Number(policy) : 0;
      if (!KNOWN_HTTP_STATUSES.has(code) && !RETRY_ON_POLICIES.has(policy)) {
        report.error(`${path}.retryOn`, `${quote(policy)} is not a valid retryOn policy`);
      }
    }
  }
  if (present(r.backoff)) report.errorIf(`${path}.backoff`, validateDuration(r.backoff));
}

function validateRedirect(http: Json, path: string, report: Report): void {
  const r = asRecord(http.redirect);
  if (r === undefined) return;
  const uri = asString(r.uri) ?? '';
  const prefixRewrite = asString(r.prefixRewrite) ?? '';
  const scheme = asString(r.scheme) ?? '';
  const hasPort = present(r.port) || present(r.derivePort);
  if (uri === '' && prefixRewrite === '' && (asString(r.authority) ?? '') === '' && !hasPort && scheme === '') {
    report.error(path, 'redirect must specify URI, authority, scheme, or port');
    return;
  }
  const code = asNumber(r.redirectCode) ?? 0;
  if (code !== 0 && (code < 300 || code > 399)) {
    report.error(`${path}.redirectCode`, `${code} is not a valid redirect code, must be 3xx`);
    return;
  }
  if (scheme !== '' && scheme !== 'http' && scheme !== 'https') {
    report.error(`${path}.scheme`, 'invalid redirect scheme, must be "http" or "https"');
    return;
  }
  const port = asNumber(r.port) ?? 0;
  if (port > 0) {
    const problem = validatePort(port);
    if (problem !== undefined) {
      report.error(`${path}.port`, problem);
      return;
    }
  }
  if (prefixRewrite !== '') {
    // Envoy's redirect rewrites the path one way only, and a prefix rewrite needs a prefix to replace.
    if (uri !== '') report.error(path, 'redirect may only contain one of uri or prefixRewrite');
    asArray(http.match).forEach((m, j) => {
      const kind = stringMatchKind(asRecord(m)?.uri)?.kind;
      if (kind === 'exact' || kind === 'regex') {
        report.error(
          `${path}.prefixRewrite`,
          `redirect prefixRewrite requires a prefix URI match, but match[${j}] is an ${kind} match`,
        );
      }
    });
  }
}

function validateDirectResponse(directResponse: unknown, path: string, report: Report): void {
  const d = asRecord(directResponse);
  if (d === undefined) return;
  const body = asRecord(d.body);
  if (body !== undefined) {
    let size = 0;
    if (typeof body.string === 'string') size = Buffer.byteLength(body.string, 'utf8');
    else if (typeof body.bytes === 'string') size = Buffer.from(body.bytes, 'base64').length;
    if (size > MB)
      report.error(
        `${path}.body`,
        'large direct_responses may impact control plane performance, must be less than 1MB',
      );
    else if (size > 100 * KB)
      report.warn(`${path}.body`, 'large direct_responses may impact control plane performance');
  }
  validateHTTPStatus(asNumber(d.status) ?? 0, `${path}.status`, report);
}

function validateMirrors(mirrors: unknown, path: string, report: Report): void {
  asArray(mirrors).forEach((entry, i) => {
    const at = `${path}[${i}]`;
    const m = asRecord(entry);
    if (m === undefined) {
      report.error(at, 'mirror cannot be null');
      return;
    }
    if (!present(m.destination)) {
      report.error(at, 'destination is required for mirrors');
      return;
    }
    validateDestination(m.destination, `${at}.destination`, report);
    const percentage = asRecord(m.percentage);
    if (percentage !== undefined) {
      const v = asNumber(percentage.value) ?? 0;
      if (v > 100)
        report.error(`${at}.percentage.value`, `mirror percentage must have a max value of 100 (it has ${goFixed(v)})`);
      if (v < 0)
        report.error(`${at}.percentage.value`, `mirror percentage must have a min value of 0 (it has ${goFixed(v)})`);
    }
  });
}

function validateRewrite(rewrite: unknown, path: string, report: Report): void {
  const r = asRecord(rewrite);
  if (r === undefined) return;
  const uri = asString(r.uri) ?? '';
  const regexRewrite = asRecord(r.uriRegexRewrite);
  if (uri !== '' && regexRewrite !== undefined) {
    report.error(path, 'rewrite may only contain one of URI or UriRegexRewrite');
    return;
  }
  if (uri === '' && regexRewrite === undefined && (asString(r.authority) ?? '') === '') {
    report.error(
      path,
      'rewrite must specify at least one of URI, UriRegexRewrite, or authority. Only one of URI or UriRegexRewrite may be specified',
    );
    return;
  }
  if (regexRewrite !== undefined) {
    const match = asString(regexRewrite.match) ?? '';
    if (match === '' || (asString(regexRewrite.rewrite) ?? '') === '') {
      report.error(
        `${path}.uriRegexRewrite`,
        'UriRegexRewrite has errors\nUriRegexRewrite requires both Rewrite and Match fields to be specified',
      );
      return;
    }
    const problem = validateRegex(match, 'HTTPRewrite.UriRegexRewrite.Match');
    if (problem !== undefined) report.error(`${path}.uriRegexRewrite.match`, `UriRegexRewrite has errors\n${problem}`);
  }
}

/** One HTTP rule; `delegate` is true inside a delegate VirtualService (one without hosts). */
export function validateHTTPRoute(
  http: Json,
  path: string,
  report: Report,
  delegate: boolean,
  gatewaySemantics: boolean,
): void {
  const routeType: RouteType = delegate ? 'delegate' : present(http.delegate) ? 'root' : 'independent';
  validateConflicts(http, routeType, path, report);
  validateMatches(http, path, report);
  validateHeaderOperations(http.headers, `${path}.headers`, report);
  validateCors(http.corsPolicy, `${path}.corsPolicy`, report);
  validateFault(http.fault, `${path}.fault`, report);

  if (present(http.mirrorPercent)) {
    const v = asNumber(http.mirrorPercent) ?? 0;
    if (v > 100) report.error(`${path}.mirrorPercent`, `mirror_percent must have a max value of 100 (it has ${v})`);
    report.warn(`${path}.mirrorPercent`, 'using deprecated setting "mirrorPercent", use "mirrorPercentage" instead');
  }
  const mirrorPercentage = asRecord(http.mirrorPercentage);
  if (mirrorPercentage !== undefined) {
    const v = asNumber(mirrorPercentage.value) ?? 0;
    if (v > 100)
      report.error(
        `${path}.mirrorPercentage.value`,
        `mirror_percentage must have a max value of 100 (it has ${goFixed(v)})`,
      );
    if (v < 0)
      report.error(
        `${path}.mirrorPercentage.value`,
        `mirror_percentage must have a min value of 0 (it has ${goFixed(v)})`,
      );
  }
  validateDestination(http.mirror, `${path}.mirror`, report);
  validateMirrors(http.mirrors, `${path}.mirrors`, report);
  validateRedirect(http, `${path}.redirect`, report);
  validateDirectResponse(http.directResponse, `${path}.directResponse`, report);
  validateRetries(http.retries, `${path}.retries`, report);
  validateRewrite(http.rewrite, `${path}.rewrite`, report);
  validateAuthorityRewrite(http, path, report);
  validateRouteDestinations(http.route, `${path}.route`, report, gatewaySemantics, true);
  if (present(http.timeout)) report.errorIf(`${path}.timeout`, validateDuration(http.timeout));
}
