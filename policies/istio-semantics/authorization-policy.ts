/**
 * AuthorizationPolicy (security.istio.io): selection (selector or target references), action and provider (CUSTOM
 * needs a provider and rules, only CUSTOM may have a provider, DENY needs rules), and every rule's sources,
 * operations and conditions: no empty entries, valid IPs, ports, path templates, service accounts and condition keys.
 * A DENY rule with only HTTP attributes is warned about: on TCP ports it denies everything.
 */
import { asArray, asRecord, asString, type Json } from '../../src/policy-helpers/object-access';
import { validateIPsOrCIDRs } from './ip';
import type { Report } from './report';
import { validatePolicySelection } from './target-refs';

const SOURCE_FIELDS = [
  'principals',
  'requestPrincipals',
  'namespaces',
  'ipBlocks',
  'remoteIpBlocks',
  'notPrincipals',
  'notRequestPrincipals',
  'notNamespaces',
  'notIpBlocks',
  'notRemoteIpBlocks',
  'serviceAccounts',
  'notServiceAccounts',
] as const;
/** Source fields that are L4 (identity/IP) attributes, usable on TCP ports. */
const TCP_SOURCE_FIELDS = SOURCE_FIELDS.filter((f) => f !== 'requestPrincipals' && f !== 'notRequestPrincipals');
const OPERATION_FIELDS = [
  'ports',
  'methods',
  'paths',
  'hosts',
  'notPorts',
  'notMethods',
  'notPaths',
  'notHosts',
] as const;
const CUSTOM_UNSUPPORTED_SOURCES: ReadonlyArray<[string, string]> = [
  ['namespaces', 'From.Namespaces'],
  ['notNamespaces', 'From.NotNamespaces'],
  ['serviceAccounts', 'From.ServiceAccounts'],
  ['notServiceAccounts', 'From.NotServiceAccounts'],
  ['principals', 'From.Principals'],
  ['notPrincipals', 'From.NotPrincipals'],
  ['requestPrincipals', 'From.RequestPrincipals'],
  ['notRequestPrincipals', 'From.NotRequestPrincipals'],
];

const strings = (v: unknown): string[] => asArray(v).map((x) => asString(x) ?? '');
const present = (v: unknown): boolean => v !== undefined && v !== null;

const NO_STRINGS: readonly string[] = Object.freeze([]);
/** strings(), without allocating for the many fields a source or operation leaves out. */
const fieldStrings = (v: unknown): readonly string[] => (Array.isArray(v) ? strings(v) : NO_STRINGS);
/** istiod names fields in messages with a capital: `principals` → `Principals`. */
const capitalized = (f: string): string => f.charAt(0).toUpperCase() + f.slice(1);
const SOURCE_KEYS: ReadonlyMap<string, string> = new Map(SOURCE_FIELDS.map((f) => [f, capitalized(f)]));
const OPERATION_KEYS: ReadonlyMap<string, string> = new Map(OPERATION_FIELDS.map((f) => [f, capitalized(f)]));
const IP_SOURCE_FIELDS = ['ipBlocks', 'notIpBlocks', 'remoteIpBlocks', 'notRemoteIpBlocks'] as const;
/** RFC 3986 pchar, what a path template's literal segments may hold. */
const PATH_LITERAL = /^[a-zA-Z0-9\-._~%!$&'()+,;:@=]+$/;

function emptyValues(key: string, values: readonly string[]): string | undefined {
  return values.includes('') ? `empty value not allowed, found in ${key}` : undefined;
}

/** security.CheckServiceAccount: `sa` or `namespace/sa`, at most 16, no wildcards. */
function serviceAccountError(key: string, values: readonly string[]): string | undefined {
  if (values.length > 16) return 'may not have more than 16 values';
  for (const value of values) {
    if (value === '') return `empty value not allowed, found in ${key}`;
    if (value.includes('*')) return `wildcard not allowed, found in ${key}`;
    const slashes = value.split('/').length - 1;
    if (slashes > 1)
      return `expected format 'serviceAccount' or 'namespace/serviceAccount', found ${JSON.stringify(value)} in ${key}`;
    if (value.length > 320) return `value cannot exceed 320 characters, found ${JSON.stringify(value)} in ${key}`;
    const [ns = '', sa] = value.split('/');
    if (sa !== undefined && ns === '') {
      return `expected format 'serviceAccount' or 'namespace/serviceAccount', found empty namespace ${JSON.stringify(value)} in ${key}`;
    }
    if (sa === '') {
      return `expected format 'serviceAccount' or 'namespace/serviceAccount', found empty serviceAccount ${JSON.stringify(value)} in ${key}`;
    }
  }
  return undefined;
}

/** security.ValidatePorts: decimal 0..65535. */
function portsError(values: readonly string[]): string[] {
  return values
    .filter((p) => !/^[0-9]+$/.test(p) || Number(p) > 65535)
    .map((p) => `bad port (${p}): strconv.ParseUint: parsing ${JSON.stringify(p)}: invalid syntax`);
}

/** `{*}` and `{**}` path templates: `{**}` last, no other braces, RFC 3986 pchar literals around them. */
function pathTemplateError(key: string, paths: readonly string[]): string | undefined {
  for (const original of paths) {
    // Every error below needs a brace in the path; most paths have none.
    if (!original.includes('{') && !original.includes('}')) continue;
    const hasTemplate = original.includes('{*}') || original.includes('{**}');
    const path = original.replace(/^\/+|\/+$/g, '');
    let matchAny = false;
    for (const glob of path.split('/')) {
      if (glob === '{*}' && !matchAny) continue;
      if (glob === '{**}' && !matchAny) {
        matchAny = true;
        continue;
      }
      if (glob === '{*}' || glob === '{**}')
        return `invalid or unsupported path ${path}, found in ${key}. {**} is not the last operator`;
      if (/[{}]/.test(glob)) {
        return `invalid or unsupported path ${path}, found in ${key}. Contains '{' or '}' beyond a supported path template`;
      }
      if (hasTemplate && !PATH_LITERAL.test(glob)) {
        return `invalid or unsupported path ${path}, found in ${key}. Contains segment ${glob} with invalid string literal`;
      }
    }
  }
  return undefined;
}

const mapKeyOk = (key: string): boolean => {
  const open = key.indexOf('[');
  return key.endsWith(']') && open > 0 && open < key.length - 2;
};

/** security.ValidateAttribute: the condition keys Istio knows, and values that fit them. */
export function conditionError(key: string, values: string[]): string | undefined {
  const empty = emptyValues(key, values);
  if (empty !== undefined) return empty;
  const badMapKey = `bad key (${key}): should have format a[b]`;
  if (key.startsWith('request.headers') || key.startsWith('request.experimental.inline.headers'))
    return mapKeyOk(key) ? undefined : badMapKey;
  if (key.startsWith('request.auth.claims') || key.startsWith('experimental.envoy.filters.'))
    return mapKeyOk(key) ? undefined : badMapKey;
  switch (key) {
    case 'source.ip':
    case 'remote.ip':
    case 'destination.ip':
      return validateIPsOrCIDRs(values)[0];
    case 'destination.port':
      return portsError(values)[0];
    case 'source.serviceAccount':
      return serviceAccountError(key, values);
    case 'source.namespace':
    case 'source.principal':
    case 'request.auth.principal':
    case 'request.auth.audiences':
    case 'request.auth.presenter':
    case 'connection.sni':
      return undefined;
    case 'destination.namespace':
      return `attribute ${key} is replaced by the metadata.namespace`;
    case 'destination.name':
    case 'destination.user':
      return `deprecated attribute ${key}: only supported in v1alpha1`;
  }
  if (key.startsWith('destination.labels')) return `attribute ${key} is replaced by the workload selector`;
  return `unknown attribute: ${key}`;
}

/** Each field of a source or operation read once; paths for messages are built only when there is one to report. */
function validateSource(source: Json, rulePath: string, i: number, report: Report): boolean {
  const at = `${rulePath}.source`;
  const values = new Map<string, readonly string[]>();
  for (const f of SOURCE_FIELDS) values.set(f, fieldStrings(source[f]));
  const v = (f: string): readonly string[] => values.get(f) ?? NO_STRINGS;
  const has = (fields: readonly string[]) => fields.some((f) => v(f).length > 0);
  if (
    has(['principals', 'notPrincipals', 'namespaces', 'notNamespaces']) &&
    has(['serviceAccounts', 'notServiceAccounts'])
  ) {
    report.error(at, `cannot set serviceAccounts with namespaces or principals, found at rule ${i}`);
  }
  if (!has(SOURCE_FIELDS)) report.error(at, `\`from.source\` must not be empty, found at rule ${i}`);
  for (const f of IP_SOURCE_FIELDS) {
    const list = v(f);
    if (list.length > 0) report.errors(`${at}.${f}`, validateIPsOrCIDRs(list));
  }
  for (const f of SOURCE_FIELDS) {
    const list = v(f);
    if (list.length === 0) continue;
    const key = SOURCE_KEYS.get(f) ?? capitalized(f);
    const problem =
      f === 'serviceAccounts' || f === 'notServiceAccounts' ? serviceAccountError(key, list) : emptyValues(key, list);
    report.errorIf(`${at}.${f}`, problem);
  }
  return TCP_SOURCE_FIELDS.some((f) => present(source[f]));
}

function validateOperation(op: Json, rulePath: string, i: number, report: Report): boolean {
  const at = `${rulePath}.operation`;
  const values = new Map<string, readonly string[]>();
  for (const f of OPERATION_FIELDS) values.set(f, fieldStrings(op[f]));
  const v = (f: string): readonly string[] => values.get(f) ?? NO_STRINGS;
  if (OPERATION_FIELDS.every((f) => v(f).length === 0))
    report.error(at, `\`to.operation\` must not be empty, found at rule ${i}`);
  if (v('ports').length > 0) report.errors(`${at}.ports`, portsError(v('ports')));
  if (v('notPorts').length > 0) report.errors(`${at}.notPorts`, portsError(v('notPorts')));
  for (const f of OPERATION_FIELDS) {
    const list = v(f);
    if (list.length > 0) report.errorIf(`${at}.${f}`, emptyValues(OPERATION_KEYS.get(f) ?? capitalized(f), list));
  }
  if (v('paths').length > 0) report.errorIf(`${at}.paths`, pathTemplateError('Paths', v('paths')));
  if (v('notPaths').length > 0) report.errorIf(`${at}.notPaths`, pathTemplateError('NotPaths', v('notPaths')));
  return present(op.ports) || present(op.notPorts);
}

export function validateAuthorizationPolicy(spec: Json, report: Report): void {
  validatePolicySelection(spec, report);
  const action = asString(spec.action) ?? 'ALLOW';
  const rules = spec.rules;
  const provider = asRecord(spec.provider);

  if (action === 'CUSTOM') {
    if (rules == null) {
      report.error(
        'spec.rules',
        'CUSTOM action without `rules` is meaningless as it will never be triggered, add an empty rule `{}` if you want it be triggered for every request',
      );
    } else if ((asString(provider?.name) ?? '') === '') {
      report.error('spec.provider.name', '`provider.name` must not be empty');
    }
    asArray(rules).forEach((entry, i) => {
      const rule = asRecord(entry) ?? {};
      asArray(rule.from).forEach((from, k) => {
        const source = asRecord(asRecord(from)?.source);
        if (source === undefined) return;
        for (const [field, name] of CUSTOM_UNSUPPORTED_SOURCES) {
          if (strings(source[field]).length > 0) {
            report.error(
              `spec.rules[${i}].from[${k}].source.${field}`,
              `${name} is currently not supported with CUSTOM action`,
            );
          }
        }
      });
      asArray(rule.when).forEach((when, k) => {
        const w = asRecord(when);
        if (w === undefined) {
          report.error(`spec.rules[${i}].when[${k}]`, 'when field cannot be nil');
          return;
        }
        const key = asString(w.key) ?? '';
        if (
          key === 'source.namespace' ||
          key === 'source.serviceAccount' ||
          key === 'source.principal' ||
          key.startsWith('request.auth.')
        ) {
          report.error(`spec.rules[${i}].when[${k}].key`, `${key} is currently not supported with CUSTOM action`);
        }
      });
    });
  }
  if (provider !== undefined && action !== 'CUSTOM') {
    report.error('spec.provider', `\`provider\` must not be with non CUSTOM action, found ${action}`);
  }
  if (action === 'DENY' && rules == null) {
    report.error(
      'spec.rules',
      'DENY action without `rules` is meaningless as it will never be triggered, add an empty rule `{}` if you want it be triggered for every request',
    );
  }

  asArray(rules).forEach((entry, i) => {
    const rulePath = `spec.rules[${i}]`;
    const rule = asRecord(entry);
    if (rule === undefined) {
      report.error(rulePath, `\`rule\` must not be nil, found at rule ${i}`);
      return;
    }
    if (Array.isArray(rule.from) && rule.from.length === 0)
      report.error(`${rulePath}.from`, `\`from\` must not be empty, found at rule ${i}`);
    let tcpInFrom = false;
    let tcpInTo = false;
    let fromExists = false;
    let toExists = false;
    asArray(rule.from).forEach((f, k) => {
      const at = `${rulePath}.from[${k}]`;
      const from = asRecord(f);
      if (from === undefined) {
        report.error(at, `\`from\` must not be nil, found at rule ${i}`);
        return;
      }
      const source = asRecord(from.source);
      if (source === undefined) {
        report.error(`${at}.source`, `\`from.source\` must not be nil, found at rule ${i}`);
        return;
      }
      fromExists = true;
      if (validateSource(source, at, i, report)) tcpInFrom = true;
    });
    if (Array.isArray(rule.to) && rule.to.length === 0)
      report.error(`${rulePath}.to`, `\`to\` must not be empty, found at rule ${i}`);
    asArray(rule.to).forEach((t, k) => {
      const at = `${rulePath}.to[${k}]`;
      const to = asRecord(t);
      if (to === undefined) {
        report.error(at, `\`to\` must not be nil, found at rule ${i}`);
        return;
      }
      const operation = asRecord(to.operation);
      if (operation === undefined) {
        report.error(`${at}.operation`, `\`to.operation\` must not be nil, found at rule ${i}`);
        return;
      }
      toExists = true;
      if (validateOperation(operation, at, i, report)) tcpInTo = true;
    });
    asArray(rule.when).forEach((c, k) => {
      const at = `${rulePath}.when[${k}]`;
      const condition = asRecord(c) ?? {};
      const key = asString(condition.key) ?? '';
      if (key === '') {
        report.error(`${at}.key`, '`key` must not be empty');
        return;
      }
      const values = strings(condition.values);
      const notValues = strings(condition.notValues);
      if (values.length === 0 && notValues.length === 0) {
        report.error(at, `at least one of \`values\` or \`notValues\` must be set for key ${key}`);
        return;
      }
      const valuesError = conditionError(key, values);
      if (valuesError !== undefined)
        report.error(`${at}.values`, `invalid \`value\` for \`key\` ${key}: ${valuesError}`);
      const notValuesError = conditionError(key, notValues);
      if (notValuesError !== undefined)
        report.error(`${at}.notValues`, `invalid \`notValue\` for \`key\` ${key}: ${notValuesError}`);
    });
    if (action === 'DENY' && ((fromExists && !toExists && !tcpInFrom) || (toExists && !tcpInTo))) {
      report.warn(
        rulePath,
        'configured AuthorizationPolicy will deny all traffic to TCP ports under its scope due to the use of only HTTP attributes in a DENY rule; it is recommended to explicitly specify the port',
      );
    }
  });
}
