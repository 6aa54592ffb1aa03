import type { KubeObject } from '../../src/admission/types';
import { matchesPattern } from '../../src/engine/name-patterns';
import { definePolicy, type PolicyContext, type PolicyFinding } from '../../src/engine/policy';
import { asRecord, asRecords, asString, type Json, metadataOf, specOf } from '../../src/policy-helpers/object-access';
import {
  actionOf,
  allowsEverything,
  describeBaseline,
  describeSource,
  isDenyAllBaseline,
  isNamespaceWide,
  namesCaller,
  scopingField,
  wildcardSourceIndices,
} from './authorization-rules';

interface Params {
  protectedNamespaces: string[];
  deleteAllowedUsers: string[];
}

/**
 * Deleting a namespace makes the namespace controller delete each object in it, through admission. Refusing it the
 * baseline would leave the namespace stuck Terminating, so it (and whoever else is listed) may always delete.
 */
const NAMESPACE_CONTROLLER = 'system:serviceaccount:kube-system:namespace-controller';

type Ctx = PolicyContext<Params>;

function objectName(object: KubeObject, ctx: Ctx): string {
  return `${ctx.namespace}/${asString(metadataOf(object).name) ?? '(unnamed)'}`;
}

function isProtected(ctx: Ctx): boolean {
  return ctx.params.protectedNamespaces.some((p) => matchesPattern(p, ctx.namespace));
}

/** Who an ALLOW policy reaches, in words: the mesh root namespace makes it mesh-wide. */
function audience(spec: Json, ctx: Ctx): string {
  const inRoot = ctx.namespace === ctx.meshRootNamespace;
  if (isNamespaceWide(spec)) {
    return inRoot
      ? `every workload in the mesh (${ctx.namespace} is the root namespace)`
      : `every workload in namespace ${ctx.namespace}`;
  }
  return inRoot
    ? `the selected workloads in every namespace (${ctx.namespace} is the root namespace)`
    : 'the selected workloads';
}

/** Why an ALLOW rule allows everything: empty, or only wildcard sources and operations. */
function allowAllReason(rule: Json, i: number): string {
  const from = asRecords(rule.from);
  const to = asRecords(rule.to);
  if (from.length === 0 && to.length === 0) return `rule ${i} is empty`;
  const wildcard = wildcardSourceIndices(rule)[0];
  const source = wildcard === undefined ? undefined : asRecord(from[wildcard]?.source);
  const fromPart = from.length === 0 ? 'no from' : `source ${describeSource(source)} (any caller)`;
  const toPart = to.length === 0 ? 'no to' : 'a to matching every operation';
  return `rule ${i} has ${fromPart}, ${toPart} and no when`;
}

function checkAllowRules(spec: Json, ctx: Ctx): PolicyFinding[] {
  const out: PolicyFinding[] = [];
  asRecords(spec.rules).forEach((rule, i) => {
    if (allowsEverything(rule)) {
      out.push({
        path: `spec.rules[${i}]`,
        message: `${allowAllReason(rule, i)}, so it allows every request to ${audience(spec, ctx)}; ALLOW rules must name callers or operations`,
        hint: 'list the callers that need access, e.g. from: [{source: {principals: ["cluster.local/ns/<ns>/sa/<sa>"]}}]',
      });
      return;
    }
    for (const j of wildcardSourceIndices(rule)) {
      const source = asRecord(asRecords(rule.from)[j]?.source);
      out.push({
        path: `spec.rules[${i}].from[${j}].source`,
        message: `rule ${i} source ${describeSource(source)} matches every caller; name the callers that need access`,
        hint: 'replace the wildcard with the principals or namespaces of the real clients',
        severity: 'warning',
      });
    }
    if (!namesCaller(rule)) {
      out.push({
        path: `spec.rules[${i}].from`,
        message: `rule ${i} has no from, so any caller may make the requests it allows; name the callers that need access`,
        hint: 'add from: [{source: {principals: [...]}}] (or namespaces) for the clients that need this',
        severity: 'warning',
      });
    }
  });
  return out;
}

/** The field whose change made a baseline stop denying everything, for the finding's path. */
function baselineChangePath(oldSpec: Json, spec: Json): string {
  const scope = scopingField(spec);
  if (scope !== undefined) return `spec.${scope}`;
  if (actionOf(spec) !== actionOf(oldSpec)) return 'spec.action';
  return 'spec.rules';
}

function checkBaselineUpdate(object: KubeObject, ctx: Ctx): PolicyFinding[] {
  const oldSpec = ctx.oldObject ? specOf(ctx.oldObject) : undefined;
  const spec = specOf(object);
  if (oldSpec === undefined || !isDenyAllBaseline(oldSpec) || isDenyAllBaseline(spec)) return [];
  return [
    {
      path: baselineChangePath(oldSpec, spec),
      message: `this update stops ${objectName(object, ctx)} (${describeBaseline(oldSpec)}) from denying all traffic in namespace ${ctx.namespace}; it is the namespace's deny-all baseline, which protected namespaces keep`,
      hint: 'leave the baseline as spec: {} and add a separate ALLOW policy with a selector and from for the traffic you need',
    },
  ];
}

function checkBaselineDelete(object: KubeObject, ctx: Ctx): PolicyFinding[] {
  const spec = specOf(object);
  if (!isDenyAllBaseline(spec)) return [];
  return [
    {
      path: 'spec',
      message: `${objectName(object, ctx)} (${describeBaseline(spec)}, no selector) is the deny-all baseline that keeps namespace ${ctx.namespace} default-deny; without it every workload with no ALLOW policy accepts every caller`,
      hint: 'to replace it, kubectl apply the new version under the same name (still denying all) instead of deleting it; to retire it for good, exempt it first',
    },
  ];
}

export default definePolicy<Params>({
  id: 'deny-all-default',
  summary:
    'AuthorizationPolicies keep namespaces default-deny: no allow-all ALLOW policies, callers named, the deny-all baseline kept.',
  appliesTo: [{ group: 'security.istio.io', kind: 'AuthorizationPolicy' }],
  operations: ['CREATE', 'UPDATE', 'DELETE'],
  defaultAction: 'deny',
  defaults: { protectedNamespaces: ['*'], deleteAllowedUsers: [NAMESPACE_CONTROLLER] },
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      protectedNamespaces: { type: 'array', items: { type: 'string', minLength: 1 } },
      deleteAllowedUsers: { type: 'array', items: { type: 'string', minLength: 1 } },
    },
  },
  check(object, ctx) {
    // Deleting a policy never widens what another one allows: only the baseline's deletion matters.
    if (ctx.operation === 'DELETE') {
      const deleter = ctx.userInfo?.username;
      if (deleter !== undefined && ctx.params.deleteAllowedUsers.includes(deleter)) return [];
      return isProtected(ctx) ? checkBaselineDelete(object, ctx) : [];
    }
    const spec = specOf(object);
    const out = actionOf(spec) === 'ALLOW' ? checkAllowRules(spec, ctx) : [];
    if (ctx.operation === 'UPDATE' && isProtected(ctx)) out.push(...checkBaselineUpdate(object, ctx));
    return out;
  },
});
