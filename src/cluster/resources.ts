import type { EngineConfig } from '../config/engine-config';
import type { ClusterKind } from './types';

/** How the API server serves one kind the view watches. Versions are tried in order; the first served one is used. */
export interface WatchedResource {
  kind: ClusterKind;
  /** '' for the core group. */
  group: string;
  versions: readonly string[];
  plural: string;
  clusterScoped: boolean;
}

const ISTIO_NETWORKING = ['v1', 'v1beta1', 'v1alpha3'];
const ISTIO_SECURITY = ['v1', 'v1beta1'];

export const RESOURCES: Readonly<Record<ClusterKind, WatchedResource>> = {
  Namespace: { kind: 'Namespace', group: '', versions: ['v1'], plural: 'namespaces', clusterScoped: true },
  Service: { kind: 'Service', group: '', versions: ['v1'], plural: 'services', clusterScoped: false },
  VirtualService: {
    kind: 'VirtualService',
    group: 'networking.istio.io',
    versions: ISTIO_NETWORKING,
    plural: 'virtualservices',
    clusterScoped: false,
  },
  DestinationRule: {
    kind: 'DestinationRule',
    group: 'networking.istio.io',
    versions: ISTIO_NETWORKING,
    plural: 'destinationrules',
    clusterScoped: false,
  },
  Gateway: {
    kind: 'Gateway',
    group: 'networking.istio.io',
    versions: ISTIO_NETWORKING,
    plural: 'gateways',
    clusterScoped: false,
  },
  ServiceEntry: {
    kind: 'ServiceEntry',
    group: 'networking.istio.io',
    versions: ISTIO_NETWORKING,
    plural: 'serviceentries',
    clusterScoped: false,
  },
  PeerAuthentication: {
    kind: 'PeerAuthentication',
    group: 'security.istio.io',
    versions: ISTIO_SECURITY,
    plural: 'peerauthentications',
    clusterScoped: false,
  },
  AuthorizationPolicy: {
    kind: 'AuthorizationPolicy',
    group: 'security.istio.io',
    versions: ISTIO_SECURITY,
    plural: 'authorizationpolicies',
    clusterScoped: false,
  },
};

/** The collection path across all namespaces: `/api/v1/services`, `/apis/networking.istio.io/v1/gateways`. */
export function collectionPath(resource: WatchedResource, version: string): string {
  return resource.group === ''
    ? `/api/${version}/${resource.plural}`
    : `/apis/${resource.group}/${version}/${resource.plural}`;
}

/**
 * The kinds the configuration needs watched: those read by a policy that is on somewhere (its own action, or a
 * namespace override that turns it on), and Namespaces when an override selects namespaces by label.
 */
export function neededKinds(config: EngineConfig): ClusterKind[] {
  const kinds = new Set<ClusterKind>();
  for (const configured of config.policies) {
    const reads = configured.policy.clusterKinds;
    if (reads === undefined || reads.length === 0) continue;
    const on =
      configured.action !== 'off' ||
      config.namespaceOverrides.some((o) => {
        const a = o.policies[configured.policy.id];
        return a !== undefined && a !== 'off';
      });
    if (on) for (const k of reads) kinds.add(k);
  }
  if (config.namespaceOverrides.some((o) => o.namespaceSelector !== undefined)) kinds.add('Namespace');
  return [...kinds].sort();
}
