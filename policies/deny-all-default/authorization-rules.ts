/**
 * Istio AuthorizationPolicy semantics, as small pure predicates.
 *
 * - ALLOW (the default action) with no rules matches nothing, so it denies every request to its workloads;
 *   `spec: {}` without a selector is the classic namespace deny-all baseline.
 * - DENY with an empty rule (`rules: [{}]`) matches, and so denies, every request.
 * - A rule matches when every field it sets matches: `from` entries are ORed, `to` entries are ORed, `when`
 *   conditions are ANDed; an empty rule matches everything.
 */
import { asArray, asRecord, asRecords, asString, type Json } from '../../src/policy-helpers/object-access';

export type AuthorizationAction = 'ALLOW' | 'DENY' | 'AUDIT' | 'CUSTOM';

/** The action, ALLOW when unset (Istio's default). */
export function actionOf(spec: Json): AuthorizationAction {
  const action = asString(spec.action);
  return action === 'DENY' || action === 'AUDIT' || action === 'CUSTOM' ? action : 'ALLOW';
}

/** The field that narrows the policy to some workloads (`selector` with labels, `targetRef`, `targetRefs`), if any. */
export function scopingField(spec: Json): 'selector' | 'targetRef' | 'targetRefs' | undefined {
  const labels = asRecord(asRecord(spec.selector)?.matchLabels);
  // A selector without labels selects every workload in the namespace, as no selector does.
  if (labels !== undefined && Object.keys(labels).length > 0) return 'selector';
  if (asRecord(spec.targetRef) !== undefined) return 'targetRef';
  if (asArray(spec.targetRefs).length > 0) return 'targetRefs';
  return undefined;
}

export function isNamespaceWide(spec: Json): boolean {
  return scopingField(spec) === undefined;
}

const SOURCE_FIELDS = [
  'principals',
  'notPrincipals',
  'requestPrincipals',
  'notRequestPrincipals',
  'namespaces',
  'notNamespaces',
  'ipBlocks',
  'notIpBlocks',
  'remoteIpBlocks',
  'notRemoteIpBlocks',
  'serviceAccounts',
  'notServiceAccounts',
  'trustDomains',
  'notTrustDomains',
] as const;

const OPERATION_FIELDS = [
  'hosts',
  'notHosts',
  'ports',
  'notPorts',
  'methods',
  'notMethods',
  'paths',
  'notPaths',
] as const;

/** The fields of a source or operation that are set to a non-empty list (an empty list constrains nothing). */
function setFields(entry: Json | undefined, fields: readonly string[]): string[] {
  return fields.filter((f) => asArray(entry?.[f]).length > 0);
}

function values(entry: Json | undefined, field: string): string[] {
  return asArray(entry?.[field]).filter((v): v is string => typeof v === 'string');
}

/**
 * Values that match any caller in a source field. `requestPrincipals: ["*"]` is deliberately absent: it requires a
 * valid JWT, which is the documented way to demand request authentication, not an allow-all.
 */
const WILDCARD_SOURCE_VALUES: Readonly<Record<string, readonly string[]>> = {
  principals: ['*'],
  namespaces: ['*'],
  ipBlocks: ['0.0.0.0/0', '::/0'],
  remoteIpBlocks: ['0.0.0.0/0', '::/0'],
};

/** Values that match any request in an operation field (`"*"` is a presence match; `/*` a prefix match on `/`). */
const WILDCARD_OPERATION_VALUES: Readonly<Record<string, readonly string[]>> = {
  hosts: ['*'],
  methods: ['*'],
  paths: ['*', '/*'],
};

function isWildcardEntry(
  entry: Json | undefined,
  fields: readonly string[],
  wildcards: Readonly<Record<string, readonly string[]>>,
): boolean {
  return setFields(entry, fields).every((f) => values(entry, f).some((v) => wildcards[f]?.includes(v)));
}

/** A `from[j].source` that matches every caller: nothing set, or only wildcards (`principals: ["*"]`). */
export function isWildcardSource(source: Json | undefined): boolean {
  return isWildcardEntry(source, SOURCE_FIELDS, WILDCARD_SOURCE_VALUES);
}

/** A `to[j].operation` that matches every request: nothing set, or only wildcards (`paths: ["*"]`). */
export function isWildcardOperation(operation: Json | undefined): boolean {
  return isWildcardEntry(operation, OPERATION_FIELDS, WILDCARD_OPERATION_VALUES);
}

/** A `from[j].source` / `to[j].operation` that sets nothing at all. */
function isEmptyEntry(entry: Json | undefined, fields: readonly string[]): boolean {
  return setFields(entry, fields).length === 0;
}

/** Indices of the `from` entries whose source matches every caller. */
export function wildcardSourceIndices(rule: Json): number[] {
  return asRecords(rule.from).flatMap((f, j) => (isWildcardSource(asRecord(f.source)) ? [j] : []));
}

function fromMatchesAnyCaller(rule: Json): boolean {
  const from = asRecords(rule.from);
  return from.length === 0 || wildcardSourceIndices(rule).length > 0;
}

function toMatchesAnyOperation(rule: Json): boolean {
  const to = asRecords(rule.to);
  return to.length === 0 || to.some((t) => isWildcardOperation(asRecord(t.operation)));
}

/** A rule that matches every request, wildcards included: in an ALLOW policy it allows everything. */
export function allowsEverything(rule: Json): boolean {
  return fromMatchesAnyCaller(rule) && toMatchesAnyOperation(rule) && asArray(rule.when).length === 0;
}

/** A rule that matches every request by setting nothing (`{}`, or only empty `from`/`to` entries). */
export function isEmptyRule(rule: Json): boolean {
  const from = asRecords(rule.from);
  const to = asRecords(rule.to);
  return (
    (from.length === 0 || from.some((f) => isEmptyEntry(asRecord(f.source), SOURCE_FIELDS))) &&
    (to.length === 0 || to.some((t) => isEmptyEntry(asRecord(t.operation), OPERATION_FIELDS))) &&
    asArray(rule.when).length === 0
  );
}

/**
 * `when` keys that identify the caller (its workload identity, namespace, address or JWT); a rule that tests one
 * of them does not admit "any caller" even without `from`. Request headers are set by the caller, so they do not count.
 */
const CALLER_CONDITION_PREFIXES = ['source.', 'remote.ip', 'request.auth.'];

export function namesCaller(rule: Json): boolean {
  if (asRecords(rule.from).length > 0) return true;
  return asRecords(rule.when).some((w) => CALLER_CONDITION_PREFIXES.some((p) => (asString(w.key) ?? '').startsWith(p)));
}

/** The namespace-wide policy that denies every request: ALLOW with no rules, or DENY with an empty rule. */
export function isDenyAllBaseline(spec: Json): boolean {
  if (!isNamespaceWide(spec)) return false;
  const action = actionOf(spec);
  const rules = asRecords(spec.rules);
  if (action === 'ALLOW') return rules.length === 0;
  if (action === 'DENY') return rules.some(isEmptyRule);
  return false;
}

/** How a baseline denies everything, for messages. */
export function describeBaseline(spec: Json): string {
  return actionOf(spec) === 'DENY' ? 'DENY with an empty rule' : 'ALLOW with no rules';
}

/** A source in YAML-ish flow form for messages: `principals: ["*"]`. */
export function describeSource(source: Json | undefined): string {
  const fields = setFields(source, SOURCE_FIELDS);
  if (fields.length === 0) return '{}';
  return fields.map((f) => `${f}: ${JSON.stringify(values(source, f))}`).join(', ');
}
