/**
 * How a cross-object policy gets at the cluster view. Three cases:
 * - no view at all (meshguard runs without one): the policy checks nothing and says nothing;
 * - the view has not synced a kind the policy needs (start-up, lost permissions): one warning, never a denial,
 *   since an absence in an incomplete view proves nothing;
 * - synced: the policy reads it.
 */
import type { ClusterKind, ClusterView } from '../cluster/types';
import type { PolicyContext, PolicyFinding } from '../engine/policy';

export type ClusterAccess =
  | { state: 'ready'; view: ClusterView }
  | { state: 'absent' }
  | { state: 'not-synced'; kinds: ClusterKind[] };

export function clusterAccess(
  ctx: Pick<PolicyContext<unknown>, 'cluster'>,
  kinds: readonly ClusterKind[],
): ClusterAccess {
  const view = ctx.cluster;
  if (view === undefined) return { state: 'absent' };
  const missing = kinds.filter((k) => !view.synced(k));
  return missing.length === 0 ? { state: 'ready', view } : { state: 'not-synced', kinds: missing };
}

const PLURAL: Record<ClusterKind, string> = {
  Namespace: 'Namespaces',
  Service: 'Services',
  VirtualService: 'VirtualServices',
  DestinationRule: 'DestinationRules',
  Gateway: 'Gateways',
  ServiceEntry: 'ServiceEntries',
  PeerAuthentication: 'PeerAuthentications',
  AuthorizationPolicy: 'AuthorizationPolicies',
};

/** The warning for an unsynced view: what was not checked and why; capped at `warn` by its severity. */
export function notSyncedFinding(path: string, kinds: readonly ClusterKind[], what: string): PolicyFinding {
  return {
    path,
    message: `not checked: meshguard's view of ${kinds.map((k) => PLURAL[k]).join(' and ')} is not synced yet, so ${what} cannot be verified`,
    hint: 'nothing to change here; if this persists, check meshguard /status and its RBAC (list and watch)',
    severity: 'warning',
  };
}
