import { ClusterIndex } from './cluster-index';

/**
 * The CLI's cluster view: every object of every file checked together (as `istioctl analyze --use-kube=false`
 * does), so a VirtualService is judged against the DestinationRules and Gateways beside it. Objects without a
 * namespace are in `defaultNamespace` (the CLI's --namespace). Services are seldom all in the files, so the view
 * does not claim to know them all.
 */
export function clusterViewOfObjects(
  objects: Iterable<unknown>,
  defaultNamespace: string,
  clusterDomain?: string,
): ClusterIndex {
  return ClusterIndex.fromObjects(objects, {
    defaultNamespace,
    incomplete: ['Service'],
    ...(clusterDomain ? { clusterDomain } : {}),
  });
}
