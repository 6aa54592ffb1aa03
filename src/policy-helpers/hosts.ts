/**
 * Whether a host in an Istio object names a service inside the mesh. Istio resolves short names (`reviews`)
 * against the object's namespace and the Kubernetes domain (`reviews.prod.svc.cluster.local`). `name.namespace`
 * is ambiguous with external domains (`example.com`), so only single labels and the Kubernetes suffixes count.
 */
export const DEFAULT_MESH_DOMAIN_SUFFIXES = ['.svc.cluster.local', '.svc', '.cluster.local'];

export function isInMeshHost(host: string, suffixes: readonly string[] = DEFAULT_MESH_DOMAIN_SUFFIXES): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  if (h === '' || h === '*') return false;
  if (!h.includes('.')) return true;
  return suffixes.some((s) => h.endsWith(s.toLowerCase()));
}

/** A wildcard host (`*`, `*.example.com`) as Istio spells it: only a leading `*` is a wildcard. */
export function isWildcardHost(host: string): boolean {
  return host === '*' || host.startsWith('*.') || host.endsWith('/*');
}

/**
 * Host resolution and visibility as Istio applies them to configuration (pilot's `ResolveShortnameToFQDN`,
 * `host.Name.Matches` and `exportTo`), for the policies that compare one object's hosts with other objects'.
 */
export const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';

/** Istio's reserved gateway name for the sidecars of the mesh. */
export const MESH_GATEWAY = 'mesh';

/**
 * The name Istio keys a host by: lower case, no trailing dot, and a short name (a single label) completed with the
 * object's namespace and the cluster domain (`reviews` in `bookinfo` → `reviews.bookinfo.svc.cluster.local`).
 * Anything with a dot is taken as written, as Istio does: `reviews.bookinfo` is not expanded (and so matches no
 * Kubernetes service), `*` and `*.example.com` stay wildcards.
 */
export function resolveHost(host: string, namespace: string, clusterDomain = DEFAULT_CLUSTER_DOMAIN): string {
  const h = host.trim().toLowerCase().replace(/\.$/, '');
  if (h === '' || h === '*' || h.includes('.')) return h;
  return `${h}.${namespace}.svc.${clusterDomain}`;
}

/** The namespace of a Kubernetes service host (`name.namespace.svc.<domain>`), else undefined. */
export function serviceNamespaceOf(fqdn: string, clusterDomain = DEFAULT_CLUSTER_DOMAIN): string | undefined {
  const suffix = `.svc.${clusterDomain}`;
  if (!fqdn.endsWith(suffix)) return undefined;
  const parts = fqdn.slice(0, -suffix.length).split('.');
  return parts.length === 2 && parts[0] !== '' && parts[1] !== '' && !parts[0]?.includes('*') ? parts[1] : undefined;
}

/** `*`, `*.example.com` or `*example.com`: Istio treats a leading `*` as "any prefix". */
export function isWildcardName(host: string): boolean {
  return host.startsWith('*');
}

/**
 * `host.Name.Matches`: whether two host names, either of which may be a wildcard, have a host in common
 * (`*.example.com` and `api.example.com`; `*.example.com` and `*.api.example.com`).
 */
export function hostsIntersect(a: string, b: string): boolean {
  if (isWildcardName(a)) {
    if (isWildcardName(b))
      return a.length < b.length ? b.slice(1).endsWith(a.slice(1)) : a.slice(1).endsWith(b.slice(1));
    return b.endsWith(a.slice(1));
  }
  if (isWildcardName(b)) return a.endsWith(b.slice(1));
  return a === b;
}

/**
 * The wildcard names that could cover a concrete host, most specific first, as Istio's most-specific-match picks
 * them: `a.b.c` → `*.b.c`, `*.c`, `*`. Lets a caller find wildcard entries with a few map lookups instead of a scan.
 */
export function coveringWildcards(host: string): string[] {
  const out: string[] = [];
  let dot = host.indexOf('.');
  while (dot >= 0) {
    out.push(`*${host.slice(dot)}`);
    dot = host.indexOf('.', dot + 1);
  }
  out.push('*');
  return out;
}

/**
 * Whether an object in `ownerNamespace` with this `exportTo` is visible to configuration in `viewerNamespace`.
 * No `exportTo` means every namespace (Istio's default unless meshConfig changes it); `.` the owner's namespace,
 * `*` every namespace, `~` none, anything else a namespace name.
 */
export function isVisibleTo(
  exportTo: readonly string[] | undefined,
  ownerNamespace: string,
  viewerNamespace: string,
): boolean {
  if (exportTo === undefined || exportTo.length === 0) return true;
  return exportTo.some((e) => e === '*' || (e === '.' ? ownerNamespace === viewerNamespace : e === viewerNamespace));
}

/**
 * Whether two objects' `exportTo` reach a namespace in common, and one such namespace (the owners' first when it
 * qualifies, for messages). Used to tell when Istio would see both at once.
 */
export function commonVisibility(
  a: { namespace: string; exportTo: readonly string[] | undefined },
  b: { namespace: string; exportTo: readonly string[] | undefined },
): string | undefined {
  const named = (x: typeof a): string[] | '*' => {
    if (x.exportTo === undefined || x.exportTo.length === 0 || x.exportTo.includes('*')) return '*';
    return x.exportTo.filter((e) => e !== '~').map((e) => (e === '.' ? x.namespace : e));
  };
  const na = named(a);
  const nb = named(b);
  for (const candidate of [a.namespace, b.namespace]) {
    if ((na === '*' || na.includes(candidate)) && (nb === '*' || nb.includes(candidate))) return candidate;
  }
  if (na === '*') return nb === '*' ? a.namespace : nb[0];
  if (nb === '*') return na[0];
  return na.find((n) => nb.includes(n));
}

/**
 * A VirtualService's reference to a Gateway, resolved as Istio does: `name` (the VirtualService's namespace),
 * `namespace/name`, or the deprecated `name.namespace.svc.<domain>` form; `mesh` is not a Gateway.
 */
export function resolveGatewayRef(ref: string, namespace: string): { namespace: string; name: string } | undefined {
  const r = ref.trim();
  if (r === '' || r === MESH_GATEWAY) return undefined;
  const slash = r.indexOf('/');
  if (slash >= 0) return { namespace: r.slice(0, slash), name: r.slice(slash + 1) };
  const dot = r.indexOf('.');
  if (dot >= 0) {
    const [name, ns] = r.split('.');
    return { namespace: ns ?? namespace, name: name ?? r };
  }
  return { namespace, name: r };
}

/**
 * A Gateway server host (`[namespace/]host`, namespace `*`, `.` or a name) and whether it serves a VirtualService
 * host of `vsNamespace`: the namespace part admits the VirtualService's namespace and the hosts intersect.
 */
export function gatewayHostServes(
  serverHost: string,
  gatewayNamespace: string,
  vsHost: string,
  vsNamespace: string,
): boolean {
  const slash = serverHost.indexOf('/');
  const ns = slash >= 0 ? serverHost.slice(0, slash) : '*';
  const host = (slash >= 0 ? serverHost.slice(slash + 1) : serverHost).toLowerCase();
  if (ns !== '*' && (ns === '.' ? gatewayNamespace !== vsNamespace : ns !== vsNamespace)) return false;
  return hostsIntersect(host, vsHost);
}
