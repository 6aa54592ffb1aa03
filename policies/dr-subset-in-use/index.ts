import { destinationRuleEntry } from '../../src/cluster/compact';
import type { ClusterView, DestinationRuleEntry } from '../../src/cluster/types';
import { definePolicy, type PolicyFinding } from '../../src/engine/policy';
import { clusterAccess, notSyncedFinding } from '../../src/policy-helpers/cluster';
import { appliedDestinationRules, listNames } from '../../src/policy-helpers/destination-rules';
import { DEFAULT_CLUSTER_DOMAIN, hostsIntersect, isWildcardName } from '../../src/policy-helpers/hosts';
import { asRecords, asString, specOf } from '../../src/policy-helpers/object-access';

interface Params {
  deleteAllowedUsers: string[];
}

const KINDS = ['VirtualService', 'DestinationRule', 'ServiceEntry'] as const;

/**
 * Deleting a namespace makes the namespace controller delete every object in it, in no particular order: refusing
 * it a DestinationRule whose VirtualServices are about to go too would leave the namespace stuck Terminating.
 */
const NAMESPACE_CONTROLLER = 'system:serviceaccount:kube-system:namespace-controller';

export default definePolicy<Params>({
  id: 'dr-subset-in-use',
  summary: 'A DestinationRule update or deletion may not remove a subset that a VirtualService still routes to (503s).',
  appliesTo: [{ group: 'networking.istio.io', kind: 'DestinationRule' }],
  operations: ['UPDATE', 'DELETE'],
  defaultAction: 'deny',
  defaults: { deleteAllowedUsers: [] },
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: { deleteAllowedUsers: { type: 'array', items: { type: 'string', minLength: 1 } } },
  },
  clusterKinds: KINDS,
  check(object, ctx) {
    const deleting = ctx.operation === 'DELETE';
    if (deleting) {
      const user = ctx.userInfo?.username ?? '';
      if (user === NAMESPACE_CONTROLLER || ctx.params.deleteAllowedUsers.includes(user)) return [];
    }
    const oldObject = deleting ? object : ctx.oldObject;
    if (oldObject === undefined) return [];
    const access = clusterAccess(ctx, KINDS);
    if (access.state === 'absent') return [];
    const domain = ctx.cluster?.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN;
    const before = destinationRuleEntry(oldObject, ctx.namespace, domain);
    const after = deleting ? undefined : destinationRuleEntry(object, ctx.namespace, domain);
    if (before === undefined || before.subsets.length === 0) return [];
    const kept = new Set(after !== undefined && after.host === before.host ? after.subsets : []);
    const removed = before.subsets.filter((s) => !kept.has(s));
    if (removed.length === 0) return [];
    const hostChanged = after !== undefined && after.host !== before.host;
    const oldSubsets = asRecords(specOf(oldObject).subsets).map((s) => asString(s.name));
    const pathOf = (subset: string): string => {
      if (hostChanged) return 'spec.host';
      if (!deleting) return 'spec.subsets';
      const i = oldSubsets.indexOf(subset);
      return i < 0 ? 'spec.subsets' : `spec.subsets[${i}]`;
    };
    if (access.state === 'not-synced')
      return [
        notSyncedFinding(
          pathOf(removed[0] as string),
          access.kinds,
          'which VirtualServices still route to the removed subsets',
        ),
      ];

    const routedBy = usersOfRemovedSubsets(access.view, before, after, removed, ctx.meshRootNamespace);
    const out: PolicyFinding[] = [];
    for (const subset of removed) {
      const users = routedBy.get(subset);
      if (users === undefined || users.size === 0) continue;
      const names = [...users].sort();
      const verb = deleting
        ? 'deleting this DestinationRule removes'
        : hostChanged
          ? `moving to host ${after?.host} removes`
          : 'removes';
      out.push({
        path: pathOf(subset),
        message: `${verb} subset ${subset} of ${before.host}, which VirtualService${names.length === 1 ? '' : 's'} ${listNames(names)} still route${names.length === 1 ? 's' : ''} to; their requests would fail with 503`,
        hint: `first change ${names.length === 1 ? 'that VirtualService' : 'those VirtualServices'} to stop routing to subset ${subset}, then remove it`,
      });
    }
    return out;
  },
});

/**
 * For each removed subset, the VirtualServices that route to it through this rule now and would not find it after
 * the change: computed with Istio's own lookup (client namespace, service namespace, root namespace) with the rule
 * as it is and as it would be, so a subset still defined by another applicable rule does not count.
 */
function usersOfRemovedSubsets(
  view: ClusterView,
  before: DestinationRuleEntry,
  after: DestinationRuleEntry | undefined,
  removed: readonly string[],
  rootNamespace: string,
): Map<string, Set<string>> {
  const removedSet = new Set(removed);
  const hosts = isWildcardName(before.host)
    ? [...view.subsetRefHosts()].filter((h) => hostsIntersect(before.host, h))
    : [before.host];
  const out = new Map<string, Set<string>>();
  const asIs = { namespace: before.namespace, name: before.name, replacement: before };
  const changed = { namespace: before.namespace, name: before.name, replacement: after };
  for (const host of hosts) {
    for (const vs of view.virtualServicesRoutingTo(host)) {
      for (const ref of vs.subsetRefs) {
        if (ref.host !== host || !removedSet.has(ref.subset)) continue;
        const now = appliedDestinationRules(view, host, vs.namespace, rootNamespace, asIs);
        if (!now?.rules.includes(before) || !now.subsets.has(ref.subset)) continue;
        const then = appliedDestinationRules(view, host, vs.namespace, rootNamespace, changed);
        if (then?.subsets.has(ref.subset)) continue;
        let users = out.get(ref.subset);
        if (users === undefined) {
          users = new Set();
          out.set(ref.subset, users);
        }
        users.add(`${vs.namespace}/${vs.name}`);
      }
    }
  }
  return out;
}
