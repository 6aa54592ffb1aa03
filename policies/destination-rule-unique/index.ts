import { destinationRuleEntry } from '../../src/cluster/compact';
import type { DestinationRuleEntry } from '../../src/cluster/types';
import { definePolicy } from '../../src/engine/policy';
import { clusterAccess, notSyncedFinding } from '../../src/policy-helpers/cluster';
import { describeRule, listNames } from '../../src/policy-helpers/destination-rules';
import { commonVisibility, DEFAULT_CLUSTER_DOMAIN } from '../../src/policy-helpers/hosts';

type Params = Record<string, never>;

const KINDS = ['DestinationRule'] as const;

export default definePolicy<Params>({
  id: 'destination-rule-unique',
  summary: 'No two DestinationRules of a namespace for the same host visible to the same namespace.',
  appliesTo: [{ group: 'networking.istio.io', kind: 'DestinationRule' }],
  defaultAction: 'deny',
  defaults: {},
  paramsSchema: { type: 'object', additionalProperties: false, properties: {} },
  clusterKinds: KINDS,
  check(object, ctx) {
    const access = clusterAccess(ctx, KINDS);
    if (access.state === 'absent') return [];
    const domain = ctx.cluster?.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN;
    const mine = destinationRuleEntry(object, ctx.namespace, domain);
    // A rule with a workload selector applies to those workloads only and is never merged with others.
    if (mine === undefined || mine.host === '' || mine.workloadSelector) return [];
    if (access.state === 'not-synced')
      return [notSyncedFinding('spec.host', access.kinds, 'whether another DestinationRule already covers this host')];
    // Stop at a few: the message names three; a namespace with hundreds of copies must not cost hundreds per review.
    const rivals: Array<{ rule: DestinationRuleEntry; where: string }> = [];
    for (const r of access.view.destinationRulesIn(mine.namespace, mine.host)) {
      if (r.name === mine.name || r.workloadSelector) continue;
      const where = commonVisibility(mine, r);
      if (where !== undefined) rivals.push({ rule: r, where });
      if (rivals.length > 3) break;
    }
    if (rivals.length === 0) return [];
    const shown = rivals.slice(0, 3).map((r) => describeRule(r.rule));
    const names = rivals.length > 3 ? `${shown.join(', ')} and more` : listNames(shown);
    const where = rivals[0]?.where ?? mine.namespace;
    return [
      {
        path: 'spec.host',
        message: `${names} ${rivals.length === 1 ? 'is' : 'are'} also for host ${mine.host}, visible like this one in namespace ${where}; Istio merges such rules (the oldest one's traffic policy wins) or drops conflicting subsets`,
        hint: `put everything for ${mine.host} in one DestinationRule, or make their exportTo disjoint`,
      },
    ];
  },
});
