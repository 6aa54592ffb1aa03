import type { KubeObject } from '../admission/types';
import { DEFAULT_CLUSTER_DOMAIN } from '../policy-helpers/hosts';
import { asRecord, asString } from '../policy-helpers/object-access';
import { type CompactEntry, clusterKindOf, compact, Interner, type NamespaceEntry } from './compact';
import {
  type AuthorizationPolicyEntry,
  CLUSTER_KINDS,
  type ClusterKind,
  type ClusterView,
  type DestinationRuleEntry,
  type GatewayEntry,
  type PeerAuthenticationEntry,
  type ServiceEntryEntry,
  type VirtualServiceEntry,
} from './types';

const NONE: readonly never[] = Object.freeze([]);

/** A map from a key to a small list: most buckets hold one entry, so an array beats a Set on memory and speed. */
class Buckets<T> {
  private readonly map = new Map<string, T[]>();
  add(key: string, value: T): void {
    const list = this.map.get(key);
    if (list === undefined) this.map.set(key, [value]);
    else list.push(value);
  }
  delete(key: string, value: T): void {
    const list = this.map.get(key);
    if (list === undefined) return;
    const i = list.indexOf(value);
    if (i < 0) return;
    if (list.length === 1) this.map.delete(key);
    else list.splice(i, 1);
  }
  get(key: string): readonly T[] {
    return this.map.get(key) ?? NONE;
  }
  keys(): Iterable<string> {
    return this.map.keys();
  }
}

export interface ClusterIndexOptions {
  clusterDomain?: string;
}

const nsHostKey = (namespace: string, host: string) => `${namespace} ${host}`;

/** `namespace/name`, or the name alone for cluster-scoped kinds. */
export function objectKey(namespace: string, name: string): string {
  return namespace === '' ? name : `${namespace}/${name}`;
}

/**
 * The in-memory index behind the cluster view: one primary map per kind (by namespace/name) and the secondary
 * indexes the policies query (by resolved host, by namespace). Every lookup is a map access; every update replaces
 * one entry and its index slots. Only the watch loop (or a builder) writes; policies read through ClusterView.
 */
export class ClusterIndex implements ClusterView {
  readonly clusterDomain: string;
  private readonly intern = new Interner();
  private readonly syncedKinds = new Set<ClusterKind>();
  private readonly primary = new Map<ClusterKind, Map<string, CompactEntry['entry']>>(
    CLUSTER_KINDS.map((k) => [k, new Map()]),
  );
  private readonly drByHost = new Buckets<DestinationRuleEntry>();
  /** By namespace and host: Istio's lookup asks one namespace at a time. */
  private readonly drByNamespaceHost = new Buckets<DestinationRuleEntry>();
  private readonly vsByRefHost = new Buckets<VirtualServiceEntry>();
  private readonly seByHost = new Buckets<ServiceEntryEntry>();
  private readonly paWideByNamespace = new Buckets<PeerAuthenticationEntry>();
  private readonly apBaselineByNamespace = new Buckets<AuthorizationPolicyEntry>();
  /** Bumped on every change: lets callers cache what they derive until something moves. */
  private revisionCount = 0;

  constructor(options: ClusterIndexOptions = {}) {
    this.clusterDomain = options.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN;
  }

  /** An index of the given objects with every kind synced: the CLI's view of its files, a fixture's surroundings. */
  static fromObjects(
    objects: Iterable<unknown>,
    options: ClusterIndexOptions & {
      defaultNamespace?: string;
      /** Kinds the objects are not known to hold completely (the CLI's files seldom carry every Service). */
      incomplete?: readonly ClusterKind[];
    } = {},
  ): ClusterIndex {
    const index = new ClusterIndex(options);
    for (const o of objects) {
      const object = asRecord(o);
      if (object === undefined) continue;
      const kind = clusterKindOf(object);
      if (kind !== undefined) index.upsert(kind, object, options.defaultNamespace);
    }
    for (const kind of CLUSTER_KINDS) if (!options.incomplete?.includes(kind)) index.markSynced(kind);
    return index;
  }

  // ---- writes ----

  /** Adds or replaces an object; returns its key, or undefined when it has no name. */
  upsert(kind: ClusterKind, object: KubeObject, defaultNamespace = ''): string | undefined {
    const compacted = compact(kind, object, this.intern, this.clusterDomain, defaultNamespace);
    if (compacted === undefined) return undefined;
    const entry = compacted.entry;
    const key = objectKey('namespace' in entry ? entry.namespace : '', entry.name);
    const table = this.table(kind);
    const previous = table.get(key);
    if (previous !== undefined) this.unindex(kind, previous);
    table.set(key, entry);
    this.index(compacted);
    this.revisionCount++;
    return key;
  }

  /** Removes an object by key; a watch DELETED event carries the last state, of which only the key matters. */
  remove(kind: ClusterKind, key: string): boolean {
    const table = this.table(kind);
    const previous = table.get(key);
    if (previous === undefined) return false;
    this.unindex(kind, previous);
    table.delete(key);
    this.revisionCount++;
    return true;
  }

  /** The key an object would be stored under (for DELETED events and relists). */
  keyOf(kind: ClusterKind, object: KubeObject): string | undefined {
    const meta = asRecord(object.metadata) ?? {};
    const name = asString(meta.name);
    if (name === undefined || name === '') return undefined;
    return kind === 'Namespace' ? name : objectKey(asString(meta.namespace) ?? '', name);
  }

  /** After a relist: drops every object of the kind the list no longer had. Returns how many went. */
  retainOnly(kind: ClusterKind, keep: ReadonlySet<string>): number {
    let removed = 0;
    for (const key of [...this.table(kind).keys()]) {
      if (!keep.has(key) && this.remove(kind, key)) removed++;
    }
    return removed;
  }

  /** Forgets a kind entirely (no policy needs it any more). */
  clear(kind: ClusterKind): void {
    this.retainOnly(kind, new Set());
    this.syncedKinds.delete(kind);
  }

  markSynced(kind: ClusterKind, synced = true): void {
    if (synced) this.syncedKinds.add(kind);
    else this.syncedKinds.delete(kind);
  }

  count(kind: ClusterKind): number {
    return this.table(kind).size;
  }

  get revision(): number {
    return this.revisionCount;
  }

  private table(kind: ClusterKind): Map<string, CompactEntry['entry']> {
    return this.primary.get(kind) as Map<string, CompactEntry['entry']>;
  }

  private index(c: CompactEntry): void {
    switch (c.kind) {
      case 'VirtualService':
        for (const host of new Set(c.entry.subsetRefs.map((r) => r.host))) this.vsByRefHost.add(host, c.entry);
        return;
      case 'DestinationRule':
        this.drByHost.add(c.entry.host, c.entry);
        this.drByNamespaceHost.add(nsHostKey(c.entry.namespace, c.entry.host), c.entry);
        return;
      case 'ServiceEntry':
        for (const host of c.entry.hosts) this.seByHost.add(host, c.entry);
        return;
      case 'PeerAuthentication':
        if (c.entry.namespaceWide) this.paWideByNamespace.add(c.entry.namespace, c.entry);
        return;
      case 'AuthorizationPolicy':
        if (c.entry.denyAllBaseline) this.apBaselineByNamespace.add(c.entry.namespace, c.entry);
        return;
      default:
        return;
    }
  }

  private unindex(kind: ClusterKind, entry: CompactEntry['entry']): void {
    switch (kind) {
      case 'VirtualService': {
        const vs = entry as VirtualServiceEntry;
        for (const host of new Set(vs.subsetRefs.map((r) => r.host))) this.vsByRefHost.delete(host, vs);
        return;
      }
      case 'DestinationRule': {
        const dr = entry as DestinationRuleEntry;
        this.drByHost.delete(dr.host, dr);
        this.drByNamespaceHost.delete(nsHostKey(dr.namespace, dr.host), dr);
        return;
      }
      case 'ServiceEntry': {
        const se = entry as ServiceEntryEntry;
        for (const host of se.hosts) this.seByHost.delete(host, se);
        return;
      }
      case 'PeerAuthentication': {
        const pa = entry as PeerAuthenticationEntry;
        if (pa.namespaceWide) this.paWideByNamespace.delete(pa.namespace, pa);
        return;
      }
      case 'AuthorizationPolicy': {
        const ap = entry as AuthorizationPolicyEntry;
        if (ap.denyAllBaseline) this.apBaselineByNamespace.delete(ap.namespace, ap);
        return;
      }
      default:
        return;
    }
  }

  // ---- ClusterView ----

  synced(kind: ClusterKind): boolean {
    return this.syncedKinds.has(kind);
  }

  namespaceLabels(name: string): Readonly<Record<string, string>> | undefined {
    return (this.table('Namespace').get(name) as NamespaceEntry | undefined)?.labels;
  }

  hasService(namespace: string, name: string): boolean {
    return this.table('Service').has(objectKey(namespace, name));
  }

  destinationRules(host: string): readonly DestinationRuleEntry[] {
    return this.drByHost.get(host);
  }

  destinationRulesIn(namespace: string, host: string): readonly DestinationRuleEntry[] {
    return this.drByNamespaceHost.get(nsHostKey(namespace, host));
  }

  destinationRuleHosts(): Iterable<string> {
    return this.drByHost.keys();
  }

  virtualServicesRoutingTo(host: string): readonly VirtualServiceEntry[] {
    return this.vsByRefHost.get(host);
  }

  subsetRefHosts(): Iterable<string> {
    return this.vsByRefHost.keys();
  }

  gateway(namespace: string, name: string): GatewayEntry | undefined {
    return this.table('Gateway').get(objectKey(namespace, name)) as GatewayEntry | undefined;
  }

  serviceEntries(host: string): readonly ServiceEntryEntry[] {
    return this.seByHost.get(host);
  }

  namespaceWidePeerAuthentications(namespace: string): readonly PeerAuthenticationEntry[] {
    return this.paWideByNamespace.get(namespace);
  }

  denyAllBaselines(namespace: string): readonly AuthorizationPolicyEntry[] {
    return this.apBaselineByNamespace.get(namespace);
  }
}
