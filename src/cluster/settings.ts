import { DEFAULT_CLUSTER_DOMAIN } from '../policy-helpers/hosts';
import { parseGoDuration } from '../schema/go-duration';

export type ClusterViewMode = 'auto' | 'on' | 'off';

export interface ClusterViewSettings {
  /** `auto`: on inside a cluster (KUBERNETES_SERVICE_HOST set), off elsewhere. */
  mode: ClusterViewMode;
  /** How long readiness waits for the initial sync before meshguard serves anyway (policies then warn). */
  syncTimeoutMs: number;
  clusterDomain: string;
}

export const DEFAULT_SYNC_TIMEOUT = '30s';

/**
 * The cluster view's settings, from the environment (the chart sets them; `meshguard serve` reads them):
 *   MESHGUARD_CLUSTER_VIEW          auto | on | off                   default auto
 *   MESHGUARD_CLUSTER_SYNC_TIMEOUT  Go duration                       default 30s
 *   MESHGUARD_CLUSTER_DOMAIN        the Kubernetes cluster domain     default cluster.local
 * The API server is the in-cluster one, or KUBECONFIG's current context.
 */
export function clusterViewSettings(env: NodeJS.ProcessEnv = process.env): ClusterViewSettings {
  const mode = (env.MESHGUARD_CLUSTER_VIEW ?? 'auto').trim() || 'auto';
  if (mode !== 'auto' && mode !== 'on' && mode !== 'off')
    throw new Error(`MESHGUARD_CLUSTER_VIEW=${mode}: must be auto, on or off`);
  const timeoutText = (env.MESHGUARD_CLUSTER_SYNC_TIMEOUT ?? DEFAULT_SYNC_TIMEOUT).trim() || DEFAULT_SYNC_TIMEOUT;
  const parsed = parseGoDuration(timeoutText);
  if (!parsed.ok || parsed.nanos < 0n)
    throw new Error(`MESHGUARD_CLUSTER_SYNC_TIMEOUT=${timeoutText}: must be a duration such as 30s or 2m`);
  const clusterDomain = (env.MESHGUARD_CLUSTER_DOMAIN ?? DEFAULT_CLUSTER_DOMAIN).trim().replace(/^\.+|\.+$/g, '');
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(clusterDomain))
    throw new Error(`MESHGUARD_CLUSTER_DOMAIN=${clusterDomain}: must be a DNS domain such as cluster.local`);
  return { mode, syncTimeoutMs: Number(parsed.nanos / 1_000_000n), clusterDomain };
}

export function clusterViewEnabled(settings: ClusterViewSettings, env: NodeJS.ProcessEnv = process.env): boolean {
  return settings.mode === 'on' || (settings.mode === 'auto' && Boolean(env.KUBERNETES_SERVICE_HOST));
}
