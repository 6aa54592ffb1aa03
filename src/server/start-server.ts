import type { Server as TlsServer } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { policies } from '../../policies';
import { FailurePolicyPromoter } from '../cluster/failure-policy';
import { KubeClient, type KubeConnection } from '../cluster/kube-client';
import { startLiveState } from '../cluster/live-state';
import { loadConfig } from '../config/load-config';
import { readConfig } from '../config/read-config';
import type { EngineContext } from '../engine/evaluate';
import { IstioSchemas } from '../schema/istio-schemas';
import { CertificateReloader } from '../tls/certificate-reloader';
import { loadTlsMaterial, type TlsMaterial } from '../tls/tls-material';
import { buildApp } from './app';
import { ConnectionDrain, type DrainResult } from './connection-drain';
import { DEFAULT_SHUTDOWN, type ShutdownSettings } from './defaults';
import { ServerMetrics } from './metrics';
import { buildMetricsServer } from './metrics-server';
import { Readiness } from './readiness';
import { tlsOptions } from './tls-options';
import type { DeadlineSettings } from './validate-route';

export interface FailClosedSettings {
  webhookConfiguration: string;
  webhookName: string;
  probeNamespace: string;
  connection: KubeConnection;
  retryMinMs?: number;
  retryMaxMs?: number;
  recheckMs?: number;
}

export interface ServeOptions {
  host: string;
  port: number;
  certFile: string;
  keyFile: string;
  /** PEM CA that callers' client certificates must chain to; POST /validate then refuses callers without one. */
  clientCaFile?: string;
  /** Plain-HTTP /metrics listener; undefined turns it off, 0 picks a free port. */
  metricsPort?: number;
  metricsHost: string;
  bodyLimit: number;
  logLevel: string;
  /** Policy configuration file; the embedded default when absent. */
  configFile?: string;
  logger?: Logger;
  /** Evaluation deadline per review and the answer when it passes; undefined: no deadline. */
  deadline?: DeadlineSettings;
  shutdown?: Partial<ShutdownSettings>;
  /** Certificate reloading; `false` turns it off. */
  tlsReload?: { debounceMs?: number; pollIntervalMs?: number } | false;
  /** Switch the webhook configuration to failurePolicy Fail once a dry-run probe proves the API server reaches us. */
  failClosed?: FailClosedSettings;
  /** POST /debug/gc on the metrics port (for `npm run fuzz`; needs node --expose-gc). Never in production. */
  debugEndpoints?: boolean;
  /** Monotonic milliseconds for deadlines; tests hand in a fake one. */
  clock?: () => number;
}

export interface RunningServer {
  app: FastifyInstance;
  metricsApp?: FastifyInstance;
  readiness: Readiness;
  metrics: ServerMetrics;
  logger: Logger;
  /** Where the webhook listens, with the real port when 0 was asked for. */
  url: string;
  metricsUrl?: string;
  /** The certificate in service (changes when the files do). */
  readonly tls: TlsMaterial;
  reloader?: CertificateReloader;
  promoter?: FailurePolicyPromoter;
  /**
   * Graceful stop: not ready at once, keep serving for `delayMs`, close the listener, let in-flight reviews finish
   * and idle connections go, then close everything. Settles once; later calls get the same result.
   */
  shutdown(settings?: Partial<ShutdownSettings>): Promise<DrainResult>;
  /** `shutdown()` with the configured settings. */
  close(): Promise<void>;
}

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const logger =
    options.logger ??
    pino({
      level: options.logLevel,
      base: { app: 'meshguard' },
      redact: ['req.headers.authorization', 'object', 'oldObject'],
    });
  const readiness = new Readiness();
  const metrics = new ServerMetrics();
  const files = { certFile: options.certFile, keyFile: options.keyFile, clientCaFile: options.clientCaFile };
  const initial = loadTlsMaterial(files);
  metrics.certificateNotAfter.set(Math.floor(initial.notAfter.getTime() / 1000));
  const schemas = IstioSchemas.load();
  const config = readConfig(options.configFile, policies, schemas.registry);
  // Swapped in place by the live state below (configuration reloads, the cluster view), between requests.
  const engine: EngineContext = { schemas, mode: 'webhook', config };
  const app = buildApp({
    tls: { certPem: initial.certPem, keyPem: initial.keyPem, clientCaPem: initial.clientCaPem },
    bodyLimit: options.bodyLimit,
    logger,
    engine,
    metrics,
    readiness,
    deadline: options.deadline,
    clock: options.clock,
  });
  // --- cluster awareness (src/cluster, src/config): cluster view, live configuration, GET /status ---
  const live = await startLiveState({
    engine,
    configFile: options.configFile,
    loadConfig: (text, file) => loadConfig(text, file, policies, schemas.registry),
    logger,
    registry: metrics.registry,
    readiness,
  });
  app.register(live.statusRoute);
  // --- end cluster awareness ---
  await app.listen({ host: options.host, port: options.port });
  // buildApp always serves HTTPS; Fastify's types only know the default http.Server.
  const server = app.server as unknown as TlsServer;
  const drain = new ConnectionDrain(server);
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const hostForUrl = options.host === '0.0.0.0' || options.host === '::' ? 'localhost' : options.host;

  let reloader: CertificateReloader | undefined;
  if (options.tlsReload !== false) {
    reloader = new CertificateReloader({
      files,
      current: initial,
      logger,
      debounceMs: options.tlsReload?.debounceMs,
      pollIntervalMs: options.tlsReload?.pollIntervalMs,
      apply: (m) => server.setSecureContext(tlsOptions(m.certPem, m.keyPem, m.clientCaPem)),
      onReload: (result, m) => {
        metrics.certificateReloads.inc({ result });
        if (m) metrics.certificateNotAfter.set(Math.floor(m.notAfter.getTime() / 1000));
      },
    });
    reloader.start();
  }

  let metricsApp: FastifyInstance | undefined;
  let metricsUrl: string | undefined;
  try {
    if (options.metricsPort !== undefined) {
      metricsApp = buildMetricsServer(metrics, { debugEndpoints: options.debugEndpoints === true });
      await metricsApp.listen({ host: options.metricsHost, port: options.metricsPort });
      const ma = metricsApp.server.address();
      metricsUrl = `http://${options.metricsHost === '0.0.0.0' ? 'localhost' : options.metricsHost}:${typeof ma === 'object' && ma ? ma.port : options.metricsPort}/metrics`;
    }
  } catch (err) {
    reloader?.stop();
    await app.close();
    throw err;
  }

  let promoter: FailurePolicyPromoter | undefined;
  if (options.failClosed !== undefined) {
    const fc = options.failClosed;
    promoter = new FailurePolicyPromoter({
      client: new KubeClient(fc.connection),
      webhookConfiguration: fc.webhookConfiguration,
      webhookName: fc.webhookName,
      probeNamespace: fc.probeNamespace,
      logger,
      isReady: () => readiness.ready,
      onProbe: (result) => metrics.reachabilityProbes.inc({ result }),
      onFailClosed: (failClosed) => metrics.failClosed.set(failClosed ? 1 : 0),
      retryMinMs: fc.retryMinMs,
      retryMaxMs: fc.retryMaxMs,
      recheckMs: fc.recheckMs,
    });
  }

  readiness.set('starting', false);
  promoter?.start();
  setImmediate(() => metrics.registerProcessMetrics());
  logger.info(
    {
      url: `https://${hostForUrl}:${port}`,
      metrics: metricsUrl ?? 'off',
      kinds: schemas.registry.kinds.length,
      celRules: schemas.celRuleCount,
      config: options.configFile ?? 'embedded default',
      policies: config.policies.length,
      certificate: { fingerprint256: initial.fingerprint256, notAfter: initial.notAfter.toISOString() },
      clientCertificates: options.clientCaFile === undefined ? 'not required' : `required (CA ${options.clientCaFile})`,
      deadline: options.deadline ? `${options.deadline.ms} ms, then ${options.deadline.action}` : 'none',
      failClosedAfterProbe: options.failClosed?.webhookConfiguration ?? 'off',
    },
    'meshguard ready',
  );

  let stopping: Promise<DrainResult> | undefined;
  const shutdown = (overrides: Partial<ShutdownSettings> = {}): Promise<DrainResult> => {
    stopping ??= (async () => {
      const settings = { ...DEFAULT_SHUTDOWN, ...options.shutdown, ...overrides };
      readiness.startDraining();
      metrics.draining.set(1);
      // A stopping replica no longer speaks for the webhook configuration.
      const promoterStopped = promoter?.stop();
      logger.info({ connections: drain.openConnections, ...settings }, 'draining: not ready; finishing reviews');
      if (settings.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, settings.delayMs));
      const result = await drain.drain(settings);
      reloader?.stop();
      await promoterStopped;
      await live.close(); // cluster awareness
      await app.close();
      await metricsApp?.close();
      metrics.stopMonitors();
      (result.forced > 0 ? logger.error : logger.info).call(logger, result, 'drained and closed');
      return result;
    })();
    return stopping;
  };

  return {
    app,
    metricsApp,
    readiness,
    metrics,
    logger,
    url: `https://${hostForUrl}:${port}`,
    metricsUrl,
    get tls() {
      return reloader?.material ?? initial;
    },
    reloader,
    promoter,
    shutdown,
    async close() {
      await shutdown();
    },
  };
}
