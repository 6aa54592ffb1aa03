/**
 * What `meshguard serve` keeps up to date while it runs, besides its certificate: the cluster view (informers for
 * the kinds the enabled policies read) and the configuration (the mounted file, reloaded on change). Both are
 * swapped into the engine context between requests, so evaluation stays synchronous and never waits on them:
 *
 * - `engine.cluster` is the view's index; watch events update it on the event loop, between reviews;
 * - `engine.config` is replaced by a new object when a valid configuration arrives: a review sees the old or the
 *   new one, never a mix (evaluate() reads ctx.config once).
 *
 * GET /status (on the webhook's HTTPS port) shows both: configuration generation, digest and last error; per kind,
 * whether it is synced, how many objects, the last error.
 */
import type { FastifyPluginCallback } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { ConfigMetrics } from '../config/config-metrics';
import { type ConfigStatus, ConfigWatcher } from '../config/config-watcher';
import type { ConfigResult } from '../config/load-config';
import type { EngineContext } from '../engine/evaluate';
import { clientNodeSource } from './client-node-source';
import { type ClusterViewStatus, LiveClusterView } from './live-view';
import type { ReflectorTuning } from './reflector';
import { neededKinds } from './resources';
import { type ClusterViewSettings, clusterViewEnabled, clusterViewSettings } from './settings';
import { type ClusterSource, deferredSource } from './source';

export const SYNC_READINESS_REASON = 'cluster view syncing';

export interface LiveStateOptions {
  /** The context the webhook evaluates with; `config` and `cluster` are set here. */
  engine: EngineContext;
  /** The configuration file in force (watched); undefined: the embedded default, nothing to watch. */
  configFile?: string;
  /** The text `engine.config` was loaded from, when known. */
  configText?: string;
  /** Validates a configuration text (loadConfig bound to the policy registry and the kinds). */
  loadConfig(text: string, file: string): ConfigResult;
  logger: Logger;
  registry: Registry;
  readiness: { set(reason: string, blocking: boolean): void };
  env?: NodeJS.ProcessEnv;
  /** Instead of the settings from the environment. */
  settings?: Partial<ClusterViewSettings>;
  /** Instead of the API server (tests). */
  source?: ClusterSource;
  tuning?: Partial<ReflectorTuning>;
  configPollIntervalMs?: number;
}

export interface LiveStatus {
  config: (ConfigStatus & { source: 'file' }) | { source: 'embedded default'; generation: 1 };
  cluster: ClusterViewStatus | { enabled: false; reason: string };
}

export interface LiveState {
  cluster?: LiveClusterView;
  config?: ConfigWatcher;
  status(): LiveStatus;
  /** GET /status, for the webhook's Fastify app. */
  statusRoute: FastifyPluginCallback;
  close(): Promise<void>;
}

export async function startLiveState(options: LiveStateOptions): Promise<LiveState> {
  const { engine, logger } = options;
  const env = options.env ?? process.env;
  const settings = { ...clusterViewSettings(env), ...options.settings };
  const enabled = options.source !== undefined || clusterViewEnabled(settings, env);

  let cluster: LiveClusterView | undefined;
  let clusterOff = `off (MESHGUARD_CLUSTER_VIEW=${settings.mode}${settings.mode === 'auto' ? ', not in a cluster' : ''}); cross-object policies check nothing`;
  if (enabled) {
    // client-node takes most of a second to load: the server listens meanwhile (not ready), and the reflectors
    // wait for it. A source that cannot be set up (no kubeconfig, a bad one) fails their lists like an unreachable
    // API server would: retried, shown on /status, policies warn.
    const loading = options.source !== undefined ? Promise.resolve(options.source) : clientNodeSource({ env });
    loading.catch((err: unknown) =>
      logger.error({ err: (err as Error).message }, 'cluster view: cannot connect to the API server'),
    );
    const source = deferredSource(loading, env.KUBERNETES_SERVICE_HOST ? 'in-cluster API server' : 'KUBECONFIG');
    cluster = new LiveClusterView({
      source,
      logger,
      clusterDomain: settings.clusterDomain,
      registry: options.registry,
      tuning: options.tuning,
    });
    engine.cluster = cluster.view;
    const kinds = neededKinds(engine.config);
    await cluster.setKinds(kinds);
    if (kinds.length === 0) clusterOff = 'no enabled policy reads other objects';
    else {
      options.readiness.set(SYNC_READINESS_REASON, true);
      const view = cluster;
      view.whenSynced(settings.syncTimeoutMs).then((synced) => {
        options.readiness.set(SYNC_READINESS_REASON, false);
        if (synced) logger.info({ kinds: view.kinds, apiServer: source.description }, 'cluster view synced');
        else
          logger.warn(
            { deadlineMs: settings.syncTimeoutMs, notSynced: view.kinds.filter((k) => !view.index.synced(k)) },
            'cluster view not synced by the deadline; serving anyway: cross-object policies warn until it is (see /status)',
          );
      });
    }
  } else {
    logger.info({ mode: settings.mode }, `cluster view ${clusterOff}`);
  }

  let watcher: ConfigWatcher | undefined;
  if (options.configFile !== undefined) {
    const metrics = new ConfigMetrics(options.registry);
    watcher = new ConfigWatcher({
      file: options.configFile,
      initialText: options.configText,
      load: options.loadConfig,
      logger,
      pollIntervalMs: options.configPollIntervalMs,
      apply: (config) => {
        // Start watching what the new configuration needs before it is used; policies warn until it has synced.
        if (cluster !== undefined) {
          cluster.setKinds(neededKinds(config)).catch((err: unknown) => {
            logger.error({ err }, 'cluster view: could not change the watched kinds');
          });
        }
        engine.config = config;
      },
      onResult: (result, generation) => metrics.record(result, generation),
    });
    watcher.start();
  }

  const status = (): LiveStatus => ({
    config:
      watcher === undefined ? { source: 'embedded default', generation: 1 } : { source: 'file', ...watcher.status() },
    cluster:
      cluster === undefined || cluster.kinds.length === 0 ? { enabled: false, reason: clusterOff } : cluster.status(),
  });

  const statusRoute: FastifyPluginCallback = (app, _opts, done) => {
    app.get('/status', (_request, reply) => reply.send(status()));
    done();
  };

  return {
    cluster,
    config: watcher,
    status,
    statusRoute,
    async close() {
      watcher?.close();
      await cluster?.stop();
    },
  };
}
