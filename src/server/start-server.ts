import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { policies } from '../../policies';
import { readConfig } from '../config/read-config';
import { IstioSchemas } from '../schema/istio-schemas';
import { buildApp } from './app';
import { ServerMetrics } from './metrics';
import { buildMetricsServer } from './metrics-server';
import { Readiness } from './readiness';

export interface ServeOptions {
  host: string;
  port: number;
  certFile: string;
  keyFile: string;
  /** Plain-HTTP /metrics listener; undefined turns it off, 0 picks a free port. */
  metricsPort?: number;
  metricsHost: string;
  bodyLimit: number;
  logLevel: string;
  /** Policy configuration file; the embedded default when absent. */
  configFile?: string;
  logger?: Logger;
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
  close(): Promise<void>;
}

function readPem(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new Error(`cannot read the TLS ${what} at ${file}: ${(err as Error).message}`);
  }
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
  const tls = { certPem: readPem(options.certFile, 'certificate'), keyPem: readPem(options.keyFile, 'key') };
  const schemas = IstioSchemas.load();
  const config = readConfig(options.configFile, policies, schemas.registry);
  const app = buildApp({
    tls,
    bodyLimit: options.bodyLimit,
    logger,
    engine: { schemas, mode: 'webhook', config },
    metrics,
    readiness,
  });
  await app.listen({ host: options.host, port: options.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const hostForUrl = options.host === '0.0.0.0' || options.host === '::' ? 'localhost' : options.host;

  let metricsApp: FastifyInstance | undefined;
  let metricsUrl: string | undefined;
  if (options.metricsPort !== undefined) {
    metricsApp = buildMetricsServer(metrics);
    await metricsApp.listen({ host: options.metricsHost, port: options.metricsPort });
    const ma = metricsApp.server.address();
    metricsUrl = `http://${options.metricsHost === '0.0.0.0' ? 'localhost' : options.metricsHost}:${typeof ma === 'object' && ma ? ma.port : options.metricsPort}/metrics`;
  }
  readiness.set('starting', false);
  logger.info(
    {
      url: `https://${hostForUrl}:${port}`,
      metrics: metricsUrl ?? 'off',
      kinds: schemas.registry.kinds.length,
      celRules: schemas.celRuleCount,
      config: options.configFile ?? 'embedded default',
      policies: config.policies.length,
    },
    'meshguard ready',
  );
  return {
    app,
    metricsApp,
    readiness,
    metrics,
    logger,
    url: `https://${hostForUrl}:${port}`,
    metricsUrl,
    async close() {
      readiness.set('shutting down', true);
      await app.close();
      await metricsApp?.close();
    },
  };
}
