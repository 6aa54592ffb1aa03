/**
 * Which DestinationRules Istio applies to a host, seen from a namespace, following pilot's lookup
 * (PushContext.destinationRule):
 *
 * 1. rules in the client's own namespace that are visible there (`exportTo` absent, `*`, `.` or the namespace);
 * 2. else rules in the service's namespace exported to the client;
 * 3. else rules in the mesh root namespace exported to the client.
 *
 * Within a namespace the most specific host wins (exact, then the longest wildcard), and the rules of one namespace
 * with that host are merged (subsets added together). Rules in any other namespace never apply.
 */
import type { ClusterView, DestinationRuleEntry } from '../cluster/types';
import { coveringWildcards, isVisibleTo, serviceNamespaceOf } from './hosts';

/** One DestinationRule replaced (or removed, `replacement` undefined): the cluster as it would be after a change. */
export interface DestinationRuleOverride {
  namespace: string;
  name: string;
  replacement: DestinationRuleEntry | undefined;
}

export interface AppliedRules {
  /** The namespace whose rules apply, and why it was chosen. */
  namespace: string;
  tier: 'client namespace' | 'service namespace' | 'root namespace';
  /** The host the rules are written for (the host itself or a wildcard covering it). */
  host: string;
  /** Shared with other callers (results are cached): read, never change. */
  rules: readonly DestinationRuleEntry[];
  subsets: ReadonlySet<string>;
}

/** The rules of one namespace for one host name, with the override applied. */
function rulesWith(
  view: ClusterView,
  namespace: string,
  key: string,
  override?: DestinationRuleOverride,
): readonly DestinationRuleEntry[] {
  const found = view.destinationRulesIn(namespace, key);
  if (override === undefined || override.namespace !== namespace) return found;
  const kept = found.filter((r) => r.name !== override.name);
  if (override.replacement !== undefined && override.replacement.host === key) kept.push(override.replacement);
  return kept;
}

/** The namespace of the service behind a host: Kubernetes from its name, else a ServiceEntry visible to the client. */
export function serviceNamespace(view: ClusterView, host: string, clientNamespace: string): string | undefined {
  const k8s = serviceNamespaceOf(host, view.clusterDomain);
  if (k8s !== undefined) return k8s;
  return view.serviceEntries(host).find((se) => isVisibleTo(se.exportTo, se.namespace, clientNamespace))?.namespace;
}

/** Lookups without an override, per view, until the view changes: many routes to one host cost one lookup. */
const memo = new WeakMap<ClusterView, { revision: number; results: Map<string, AppliedRules | undefined> }>();
const MEMO_LIMIT = 10_000;

export function appliedDestinationRules(
  view: ClusterView,
  host: string,
  clientNamespace: string,
  rootNamespace: string,
  override?: DestinationRuleOverride,
): AppliedRules | undefined {
  if (override !== undefined) return lookup(view, host, clientNamespace, rootNamespace, override);
  let cache = memo.get(view);
  if (cache === undefined || cache.revision !== view.revision || cache.results.size > MEMO_LIMIT) {
    cache = { revision: view.revision, results: new Map() };
    memo.set(view, cache);
  }
  const key = `${clientNamespace} ${rootNamespace} ${host}`;
  if (cache.results.has(key)) return cache.results.get(key);
  const result = lookup(view, host, clientNamespace, rootNamespace);
  cache.results.set(key, result);
  return result;
}

function lookup(
  view: ClusterView,
  host: string,
  clientNamespace: string,
  rootNamespace: string,
  override?: DestinationRuleOverride,
): AppliedRules | undefined {
  const keys = host.startsWith('*') ? [host] : [host, ...coveringWildcards(host)];
  const tier = (
    namespace: string,
    name: AppliedRules['tier'],
    visible: (r: DestinationRuleEntry) => boolean,
  ): AppliedRules | undefined => {
    for (const key of keys) {
      const rules = rulesWith(view, namespace, key, override).filter(visible);
      if (rules.length > 0) {
        const subsets = new Set<string>();
        for (const r of rules) for (const s of r.subsets) subsets.add(s);
        return { namespace, tier: name, host: key, rules, subsets };
      }
    }
    return undefined;
  };
  const local = tier(clientNamespace, 'client namespace', (r) => isVisibleTo(r.exportTo, r.namespace, clientNamespace));
  if (local !== undefined) return local;
  const exported = (r: DestinationRuleEntry) => isVisibleTo(r.exportTo, r.namespace, clientNamespace);
  const svcNs = serviceNamespace(view, host, clientNamespace);
  if (svcNs !== undefined && svcNs !== clientNamespace) {
    const found = tier(svcNs, 'service namespace', exported);
    if (found !== undefined) return found;
  }
  if (rootNamespace !== clientNamespace) return tier(rootNamespace, 'root namespace', exported);
  return undefined;
}

/** Every rule for the host (exact name) anywhere that defines the subset: for "is shadowed" hints. */
export function rulesDefiningSubset(view: ClusterView, host: string, subset: string): DestinationRuleEntry[] {
  return view.destinationRules(host).filter((r) => r.subsets.includes(subset));
}

export const describeRule = (r: { namespace: string; name: string }): string => `${r.namespace}/${r.name}`;

/** A short list of names for messages: `a, b, c and 4 more`. */
export function listNames(names: readonly string[], max = 3): string {
  if (names.length <= max) return names.join(', ');
  return `${names.slice(0, max).join(', ')} and ${names.length - max} more`;
}
