/**
 * The cluster view's connection to the API server, through @kubernetes/client-node: its KubeConfig (in-cluster
 * service account with token rotation, or a kubeconfig with any of its auth methods), its generated list calls and
 * its streaming Watch.
 *
 * client-node is ESM-only since v1, and meshguard is CommonJS. Node ≥ 20.19 loads it at run time through the
 * dynamic `import()` below (TypeScript keeps it as an import() in the CommonJS output); jest, which cannot load
 * ESM without transforming it, never loads this file: unit tests hand the view a fake ClusterSource, and the
 * integration tests run the built server (`dist/`) against a fake API server on loopback, where this adapter is
 * exercised for real. Kept small on purpose: everything an informer does beyond one list or watch call is in
 * reflector.ts, which is tested in-process.
 */
import { collectionPath, type WatchedResource } from './resources';
import { type ClusterSource, type ListPage, SourceError, type WatchEvent } from './source';

type ClientNode = typeof import('@kubernetes/client-node', { with: { 'resolution-mode': 'import' }});

export interface ClientNodeSourceOptions {
  /** A kubeconfig file; otherwise in-cluster when KUBERNETES_SERVICE_HOST is set, else KUBECONFIG or ~/.kube/config. */
  kubeconfig?: string;
  env?: NodeJS.ProcessEnv;
}

function toSourceError(err: unknown): SourceError {
  if (err instanceof SourceError) return err;
  const e = err as { code?: unknown; statusCode?: unknown; message?: unknown; body?: unknown };
  const status = typeof e.code === 'number' ? e.code : typeof e.statusCode === 'number' ? e.statusCode : undefined;
  let message = typeof e.message === 'string' ? e.message : String(err);
  // An ApiException's message carries the whole response; the Status message is what a person needs.
  const body = typeof e.body === 'string' ? safeJson(e.body) : e.body;
  if (body !== null && typeof body === 'object' && typeof (body as { message?: unknown }).message === 'string')
    message = (body as { message: string }).message;
  return new SourceError(message.length > 300 ? `${message.slice(0, 300)}…` : message, status);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function listOf(result: unknown): ListPage {
  const r = (result ?? {}) as { items?: unknown[]; metadata?: Record<string, unknown> };
  const meta = r.metadata ?? {};
  const token = meta.continue ?? meta._continue;
  return {
    items: Array.isArray(r.items) ? r.items : [],
    resourceVersion: typeof meta.resourceVersion === 'string' ? meta.resourceVersion : '',
    ...(typeof token === 'string' && token !== '' ? { continueToken: token } : {}),
  };
}

export async function clientNodeSource(options: ClientNodeSourceOptions = {}): Promise<ClusterSource> {
  const k8s: ClientNode = await import('@kubernetes/client-node');
  const env = options.env ?? process.env;
  const kc = new k8s.KubeConfig();
  if (options.kubeconfig !== undefined) kc.loadFromFile(options.kubeconfig);
  else if (env.KUBERNETES_SERVICE_HOST && !env.KUBECONFIG) kc.loadFromCluster();
  else kc.loadFromDefault();
  const server = kc.getCurrentCluster()?.server;
  if (server === undefined) throw new Error('no Kubernetes cluster configured (no in-cluster account, no kubeconfig)');
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const watcher = new k8s.Watch(kc);

  return {
    description: server,
    async list(resource: WatchedResource, version: string, { limit, continueToken }): Promise<ListPage> {
      const paging = { limit, ...(continueToken ? { _continue: continueToken } : {}) };
      try {
        if (resource.group !== '') {
          return listOf(
            await custom.listClusterCustomObject({
              group: resource.group,
              version,
              plural: resource.plural,
              ...paging,
            }),
          );
        }
        if (resource.plural === 'namespaces') return listOf(await core.listNamespace(paging));
        if (resource.plural === 'services') return listOf(await core.listServiceForAllNamespaces(paging));
        throw new SourceError(`meshguard does not list core ${resource.plural}`);
      } catch (err) {
        throw toSourceError(err);
      }
    },
    async watch(resource, version, { resourceVersion, timeoutSeconds }, onEvent, onDone): Promise<() => void> {
      let done = false;
      const finish = (err?: unknown) => {
        if (done) return;
        done = true;
        onDone(err === undefined || err === null ? undefined : toSourceError(err));
      };
      const controller = await watcher.watch(
        collectionPath(resource, version),
        { resourceVersion, timeoutSeconds, allowWatchBookmarks: true },
        (type: string, object: unknown) => onEvent({ type: type as WatchEvent['type'], object }),
        finish,
      );
      return () => {
        controller.abort();
        finish();
      };
    },
  };
}
