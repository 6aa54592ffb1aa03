/**
 * The cluster view: what cross-object policies may know about objects other than the one under review. It is a
 * read-only, synchronous interface over a compact in-memory index; the webhook fills it from list+watch, the CLI
 * from the files it checks, tests from fixtures. A policy never waits on it and never sees a full object.
 */

/** The kinds the view can hold. */
export const CLUSTER_KINDS = [
  'Namespace',
  'Service',
  'VirtualService',
  'DestinationRule',
  'Gateway',
  'ServiceEntry',
  'PeerAuthentication',
  'AuthorizationPolicy',
] as const;
export type ClusterKind = (typeof CLUSTER_KINDS)[number];

export interface NamespacedEntry {
  readonly namespace: string;
  readonly name: string;
}

/** Undefined `exportTo` is Istio's default: every namespace. */
export interface ExportedEntry extends NamespacedEntry {
  readonly exportTo: readonly string[] | undefined;
}

export interface DestinationRuleEntry extends ExportedEntry {
  /** `spec.host` resolved against the rule's namespace (see resolveHost). */
  readonly host: string;
  readonly subsets: readonly string[];
  /** A `workloadSelector` with labels: Istio applies the rule to those workloads only and never merges it. */
  readonly workloadSelector: boolean;
}

/** A subset a VirtualService routes to (`destination.subset`, mirrors included), with the host resolved. */
export interface SubsetRef {
  readonly host: string;
  readonly subset: string;
}

export interface VirtualServiceEntry extends ExportedEntry {
  readonly subsetRefs: readonly SubsetRef[];
}

export interface GatewayEntry extends NamespacedEntry {
  /** `spec.servers[].hosts`, lower case, as written (`[namespace/]host`). */
  readonly hosts: readonly string[];
}

export interface ServiceEntryEntry extends ExportedEntry {
  /** Lower case, as written. */
  readonly hosts: readonly string[];
}

export interface PeerAuthenticationEntry extends NamespacedEntry {
  /** No selector (or one without labels): the policy covers the whole namespace (the mesh in the root namespace). */
  readonly namespaceWide: boolean;
  /** metadata.creationTimestamp in ms since the epoch (0 when unknown): Istio keeps the oldest of rivals. */
  readonly created: number;
}

export interface AuthorizationPolicyEntry extends NamespacedEntry {
  /** A namespace-wide policy that denies every request (see deny-all-default's isDenyAllBaseline). */
  readonly denyAllBaseline: boolean;
}

export interface ClusterView {
  /** The Kubernetes cluster domain hosts are resolved with (`cluster.local`). */
  readonly clusterDomain: string;
  /** Changes with every update: lets helpers cache what they derive from the view until it changes. */
  readonly revision: number;
  /** Whether this kind's initial list has completed, so an absence in the view means an absence in the cluster. */
  synced(kind: ClusterKind): boolean;
  /** Labels of a namespace the view holds; undefined when unknown. */
  namespaceLabels(name: string): Readonly<Record<string, string>> | undefined;
  /** Whether a Kubernetes Service exists. */
  hasService(namespace: string, name: string): boolean;
  /** DestinationRules whose resolved host is exactly this name (a wildcard name finds rules written with it). */
  destinationRules(host: string): readonly DestinationRuleEntry[];
  /** The same, in one namespace only. */
  destinationRulesIn(namespace: string, host: string): readonly DestinationRuleEntry[];
  /** Every resolved DestinationRule host known, for wildcard queries (rare: wildcard rules being changed). */
  destinationRuleHosts(): Iterable<string>;
  /** VirtualServices that route to a subset of exactly this resolved host. */
  virtualServicesRoutingTo(host: string): readonly VirtualServiceEntry[];
  /** Every resolved host some VirtualService routes to a subset of. */
  subsetRefHosts(): Iterable<string>;
  gateway(namespace: string, name: string): GatewayEntry | undefined;
  /** ServiceEntries with this host, exactly as written (lower case). */
  serviceEntries(host: string): readonly ServiceEntryEntry[];
  /** Namespace-wide PeerAuthentications of a namespace. */
  namespaceWidePeerAuthentications(namespace: string): readonly PeerAuthenticationEntry[];
  /** Deny-all baseline AuthorizationPolicies of a namespace. */
  denyAllBaselines(namespace: string): readonly AuthorizationPolicyEntry[];
}
