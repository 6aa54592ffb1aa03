import { definePolicy } from '../../src/engine/policy';
import { clusterAccess, notSyncedFinding } from '../../src/policy-helpers/cluster';
import { listNames } from '../../src/policy-helpers/destination-rules';
import { asRecord, asString, metadataOf, specOf } from '../../src/policy-helpers/object-access';

type Params = Record<string, never>;

const KINDS = ['PeerAuthentication'] as const;

function createdAt(v: unknown): number {
  const ms = typeof v === 'string' ? Date.parse(v) : Number.NaN;
  return Number.isNaN(ms) ? Number.POSITIVE_INFINITY : ms;
}

export default definePolicy<Params>({
  id: 'peer-authentication-unique',
  summary: 'At most one namespace-wide PeerAuthentication per namespace, and one mesh-wide in the root namespace.',
  appliesTo: [{ group: 'security.istio.io', kind: 'PeerAuthentication' }],
  defaultAction: 'deny',
  defaults: {},
  paramsSchema: { type: 'object', additionalProperties: false, properties: {} },
  clusterKinds: KINDS,
  check(object, ctx) {
    const labels = asRecord(asRecord(specOf(object).selector)?.matchLabels);
    if (labels !== undefined && Object.keys(labels).length > 0) return [];
    const access = clusterAccess(ctx, KINDS);
    if (access.state === 'absent') return [];
    if (access.state === 'not-synced')
      return [
        notSyncedFinding(
          'spec.selector',
          access.kinds,
          'whether this namespace already has a namespace-wide PeerAuthentication',
        ),
      ];
    const meta = metadataOf(object);
    const name = asString(meta.name) ?? '';
    // One pass, a few names: a namespace with hundreds of rivals must not cost hundreds per review.
    const mine = ctx.operation === 'CREATE' ? Number.POSITIVE_INFINITY : createdAt(meta.creationTimestamp);
    let count = 0;
    let ignored = false;
    const shown: string[] = [];
    for (const r of access.view.namespaceWidePeerAuthentications(ctx.namespace)) {
      if (r.name === name) continue;
      count++;
      if (r.created <= mine) ignored = true;
      if (shown.length < 3) shown.push(`${r.namespace}/${r.name}`);
    }
    if (count === 0) return [];
    const names = count > 3 ? `${shown.join(', ')} and ${count - 3} more` : listNames(shown);
    const where =
      ctx.namespace === ctx.meshRootNamespace
        ? `the root namespace ${ctx.namespace} already has the mesh-wide PeerAuthentication`
        : `namespace ${ctx.namespace} already has the namespace-wide PeerAuthentication`;
    return [
      {
        path: 'spec.selector',
        message: `no selector, and ${where} ${names}; Istio applies only the oldest and ignores the others${ignored ? ', so this one would be ignored' : ''}`,
        hint: `change ${count === 1 ? names : 'the existing one'} instead, or add spec.selector.matchLabels to cover some workloads only`,
      },
    ];
  },
});
