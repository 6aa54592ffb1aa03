import { subsetDestinations } from '../../src/cluster/compact';
import type { ClusterView } from '../../src/cluster/types';
import { matchesPattern } from '../../src/engine/name-patterns';
import { definePolicy, type PolicyFinding } from '../../src/engine/policy';
import { clusterAccess, notSyncedFinding } from '../../src/policy-helpers/cluster';
import {
  appliedDestinationRules,
  describeRule,
  listNames,
  rulesDefiningSubset,
} from '../../src/policy-helpers/destination-rules';
import { resolveHost, serviceNamespaceOf } from '../../src/policy-helpers/hosts';
import { specOf } from '../../src/policy-helpers/object-access';

interface Params {
  ignoreHosts: string[];
}

const KINDS = ['DestinationRule', 'ServiceEntry'] as const;

/**
 * Whether the host names nothing the mesh knows: no Kubernetes Service and no ServiceEntry (a typo, most often).
 * Only said when the view holds every Service (the webhook's does; the CLI's files seldom do).
 */
function unknownHost(view: ClusterView, host: string): boolean {
  if (!view.synced('Service') || view.serviceEntries(host).length > 0) return false;
  const ns = serviceNamespaceOf(host, view.clusterDomain);
  if (ns === undefined) return false;
  return !view.hasService(ns, host.slice(0, host.indexOf('.')));
}

export default definePolicy<Params>({
  id: 'vs-subset-defined',
  summary: 'Every subset a VirtualService routes to is defined by the DestinationRule Istio applies to that host.',
  appliesTo: [{ group: 'networking.istio.io', kind: 'VirtualService' }],
  // GitOps tools often apply the VirtualService before its DestinationRule: flag, do not block, unless configured.
  defaultAction: 'warn',
  defaults: { ignoreHosts: [] },
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: { ignoreHosts: { type: 'array', items: { type: 'string', minLength: 1 } } },
  },
  clusterKinds: [...KINDS, 'Service'],
  check(object, ctx) {
    const refs = subsetDestinations(specOf(object));
    if (refs.length === 0) return [];
    const access = clusterAccess(ctx, KINDS);
    if (access.state === 'absent') return [];
    if (access.state === 'not-synced')
      return [notSyncedFinding(refs[0]?.path ?? 'spec', access.kinds, 'the subsets this VirtualService routes to')];
    const view = access.view;
    const out: PolicyFinding[] = [];
    for (const ref of refs) {
      const host = resolveHost(ref.host, ctx.namespace, view.clusterDomain);
      if (ctx.params.ignoreHosts.some((p) => matchesPattern(p.toLowerCase(), host))) continue;
      const applied = appliedDestinationRules(view, host, ctx.namespace, ctx.meshRootNamespace);
      if (applied?.subsets.has(ref.subset)) continue;
      const appliedRules = new Set(applied?.rules);
      const elsewhere = rulesDefiningSubset(view, host, ref.subset).filter((r) => !appliedRules.has(r));
      const shadowed =
        elsewhere.length === 0
          ? ''
          : ` (${listNames(elsewhere.map(describeRule))} ${elsewhere.length === 1 ? 'defines' : 'define'} it but ${applied === undefined ? 'is not visible' : 'does not apply'} here)`;
      if (applied === undefined && unknownHost(view, host)) {
        out.push({
          path: ref.path.replace(/\.subset$/, '.host'),
          message: `host ${host} is no Service or ServiceEntry host and no DestinationRule defines subset ${ref.subset} for it: requests to it fail`,
          hint: 'check the host for a typo: a short name is resolved in the VirtualService namespace',
        });
      } else if (applied === undefined) {
        out.push({
          path: ref.path,
          message: `no DestinationRule for ${host} applies in namespace ${ctx.namespace}, so subset ${ref.subset} is undefined${shadowed}: requests to it get 503`,
          hint: `create a DestinationRule for ${host} defining subset ${ref.subset}, and apply it before this VirtualService`,
        });
      } else {
        const rules = listNames(applied.rules.map(describeRule));
        const defined = [...applied.subsets].sort();
        out.push({
          path: ref.path,
          message: `subset ${ref.subset} is not in ${rules} (subsets: ${defined.length === 0 ? 'none' : listNames(defined, 5)}), the DestinationRule applied to ${host} here${shadowed}: requests to it get 503`,
          hint: `add subset ${ref.subset} to ${applied.rules.length === 1 ? rules : 'one of those rules'}, or route to one of its subsets`,
        });
      }
    }
    return out;
  },
});
