/**
 * From a full Kubernetes object (as listed, watched or read from a file) to the few fields cross-object policies
 * read. Nothing else is kept: no managedFields, annotations, status or spec beyond these fields, which is what keeps
 * a cached object at a few hundred bytes.
 */
import { isDenyAllBaseline } from '../../policies/deny-all-default/authorization-rules';
import type { KubeObject } from '../admission/types';
import { resolveHost } from '../policy-helpers/hosts';
import { asArray, asRecord, asRecords, asString, type Json } from '../policy-helpers/object-access';
import type {
  AuthorizationPolicyEntry,
  ClusterKind,
  DestinationRuleEntry,
  GatewayEntry,
  PeerAuthenticationEntry,
  ServiceEntryEntry,
  SubsetRef,
  VirtualServiceEntry,
} from './types';

export interface NamespaceEntry {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}

export interface ServiceKeyEntry {
  readonly namespace: string;
  readonly name: string;
}

export type CompactEntry =
  | { kind: 'Namespace'; entry: NamespaceEntry }
  | { kind: 'Service'; entry: ServiceKeyEntry }
  | { kind: 'VirtualService'; entry: VirtualServiceEntry }
  | { kind: 'DestinationRule'; entry: DestinationRuleEntry }
  | { kind: 'Gateway'; entry: GatewayEntry }
  | { kind: 'ServiceEntry'; entry: ServiceEntryEntry }
  | { kind: 'PeerAuthentication'; entry: PeerAuthenticationEntry }
  | { kind: 'AuthorizationPolicy'; entry: AuthorizationPolicyEntry };

const EMPTY: readonly string[] = Object.freeze([]);

/**
 * Shares equal strings (namespaces, hosts, subset names repeat across thousands of objects). Strings parsed from
 * JSON are fresh copies; keeping one copy of each is most of the saving on a large cluster.
 */
export class Interner {
  private readonly strings = new Map<string, string>();
  get(s: string): string {
    const found = this.strings.get(s);
    if (found !== undefined) return found;
    this.strings.set(s, s);
    return s;
  }
  get size(): number {
    return this.strings.size;
  }
}

function strings(v: unknown, intern: Interner, lower = false): readonly string[] {
  const out = asArray(v)
    .filter((x): x is string => typeof x === 'string')
    .map((x) => intern.get(lower ? x.toLowerCase() : x));
  return out.length === 0 ? EMPTY : out;
}

function exportTo(spec: Json, intern: Interner): readonly string[] | undefined {
  const e = strings(spec.exportTo, intern);
  return e.length === 0 ? undefined : e;
}

function hasLabels(selector: unknown, key: 'matchLabels' | 'labels'): boolean {
  const labels = asRecord(asRecord(selector)?.[key]);
  return labels !== undefined && Object.keys(labels).length > 0;
}

function created(meta: Json): number {
  const t = meta.creationTimestamp;
  if (t instanceof Date) return t.getTime();
  const ms = typeof t === 'string' ? Date.parse(t) : Number.NaN;
  return Number.isNaN(ms) ? 0 : ms;
}

/** Every destination of a VirtualService that names a subset: routes of http, tcp and tls, and http mirrors. */
export function subsetDestinations(spec: Json): Array<{ path: string; host: string; subset: string }> {
  const out: Array<{ path: string; host: string; subset: string }> = [];
  const add = (path: string, destination: unknown) => {
    const d = asRecord(destination);
    const host = asString(d?.host);
    const subset = asString(d?.subset);
    if (host !== undefined && host !== '' && subset !== undefined && subset !== '')
      out.push({ path: `${path}.subset`, host, subset });
  };
  for (const section of ['http', 'tcp', 'tls'] as const) {
    asRecords(spec[section]).forEach((route, i) => {
      asRecords(route.route).forEach((r, j) => {
        add(`spec.${section}[${i}].route[${j}].destination`, r.destination);
      });
      if (section === 'http') {
        add(`spec.http[${i}].mirror`, route.mirror);
        asRecords(route.mirrors).forEach((m, k) => {
          add(`spec.http[${i}].mirrors[${k}].destination`, m.destination);
        });
      }
    });
  }
  return out;
}

/** The cached form of one object; undefined for an object without a name. */
export function compact(
  kind: ClusterKind,
  object: KubeObject,
  intern: Interner,
  clusterDomain: string,
  defaultNamespace = '',
): CompactEntry | undefined {
  const meta = asRecord(object.metadata) ?? {};
  const name = asString(meta.name);
  if (name === undefined || name === '') return undefined;
  if (kind === 'Namespace') {
    const labels: Record<string, string> = {};
    for (const [k, v] of Object.entries(asRecord(meta.labels) ?? {}))
      if (typeof v === 'string') labels[intern.get(k)] = intern.get(v);
    return { kind, entry: { name, labels } };
  }
  const namespace = intern.get(asString(meta.namespace) || defaultNamespace);
  // Names are unique, so interning them would only cost; namespaces, hosts and subset names repeat.
  const base = { namespace, name };
  const spec = asRecord(object.spec) ?? {};
  switch (kind) {
    case 'Service':
      return { kind, entry: base };
    case 'VirtualService': {
      const seen = new Set<string>();
      const subsetRefs: SubsetRef[] = [];
      for (const d of subsetDestinations(spec)) {
        const host = intern.get(resolveHost(d.host, namespace, clusterDomain));
        const key = `${host} ${d.subset}`;
        if (seen.has(key)) continue;
        seen.add(key);
        subsetRefs.push({ host, subset: intern.get(d.subset) });
      }
      return { kind, entry: { ...base, exportTo: exportTo(spec, intern), subsetRefs } };
    }
    case 'DestinationRule': {
      const host = intern.get(resolveHost(asString(spec.host) ?? '', namespace, clusterDomain));
      const subsets = asRecords(spec.subsets)
        .map((s) => asString(s.name))
        .filter((s): s is string => s !== undefined && s !== '')
        .map((s) => intern.get(s));
      return {
        kind,
        entry: {
          ...base,
          exportTo: exportTo(spec, intern),
          host,
          subsets: subsets.length === 0 ? EMPTY : subsets,
          workloadSelector: hasLabels(spec.workloadSelector, 'matchLabels'),
        },
      };
    }
    case 'Gateway': {
      const hosts = asRecords(spec.servers).flatMap((s) => strings(s.hosts, intern, true));
      return { kind, entry: { ...base, hosts: hosts.length === 0 ? EMPTY : [...new Set(hosts)] } };
    }
    case 'ServiceEntry':
      return { kind, entry: { ...base, exportTo: exportTo(spec, intern), hosts: strings(spec.hosts, intern, true) } };
    case 'PeerAuthentication':
      return {
        kind,
        entry: { ...base, namespaceWide: !hasLabels(spec.selector, 'matchLabels'), created: created(meta) },
      };
    case 'AuthorizationPolicy':
      return { kind, entry: { ...base, denyAllBaseline: isDenyAllBaseline(spec) } };
  }
}

/** Which cached kind an object is, from its apiVersion and kind (any served version); undefined for the rest. */
export function clusterKindOf(object: KubeObject): ClusterKind | undefined {
  const apiVersion = typeof object.apiVersion === 'string' ? object.apiVersion : '';
  const kind = typeof object.kind === 'string' ? object.kind : '';
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  if (group === '') return kind === 'Namespace' || kind === 'Service' ? kind : undefined;
  if (group === 'networking.istio.io') {
    return kind === 'VirtualService' || kind === 'DestinationRule' || kind === 'Gateway' || kind === 'ServiceEntry'
      ? kind
      : undefined;
  }
  if (group === 'security.istio.io')
    return kind === 'PeerAuthentication' || kind === 'AuthorizationPolicy' ? kind : undefined;
  return undefined;
}

/** The cached form of a DestinationRule under review (not stored): for "what if" comparisons with the view. */
export function destinationRuleEntry(
  object: KubeObject,
  namespace: string,
  clusterDomain: string,
): DestinationRuleEntry | undefined {
  const c = compact('DestinationRule', object, new Interner(), clusterDomain, namespace);
  return c?.kind === 'DestinationRule' ? c.entry : undefined;
}
