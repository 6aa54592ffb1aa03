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
