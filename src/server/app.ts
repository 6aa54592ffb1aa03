import Fastify, { type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import type { EngineContext } from '../engine/evaluate';
import { classifyRequestError, type RequestErrorShape } from './error-reasons';
import { healthRoutes } from './health-routes';
import { registerJsonBodyParser } from './json-body-parser';
import type { ServerMetrics } from './metrics';
import type { Readiness } from './readiness';
import { tlsOptions } from './tls-options';
import { validateRoute } from './validate-route';

export interface AppOptions {
  tls: { certPem: string | Buffer; keyPem: string | Buffer };
  /** Largest accepted body in bytes. etcd stores objects up to ~1.5 MiB and a review may carry two of them. */
  bodyLimit: number;
  logger: Logger;
  engine: EngineContext;
  metrics: ServerMetrics;
  readiness: Readiness;
}

export const DEFAULT_BODY_LIMIT = 6 * 1024 * 1024;

/** The HTTPS webhook: POST /validate, /healthz, /readyz. Metrics are served on their own plain port (metrics-server.ts). */
export function buildApp(options: AppOptions): FastifyInstance {
  const app = Fastify({
    https: tlsOptions(options.tls.certPem, options.tls.keyPem),
    bodyLimit: options.bodyLimit,
    loggerInstance: options.logger,
    // One decision line per review is logged by the route; Fastify's two lines per request would only add noise.
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
  }) as unknown as FastifyInstance;

  registerJsonBodyParser(app);
  app.setErrorHandler((error, request, reply) => {
    const { status, reason, message } = classifyRequestError(
      error as RequestErrorShape,
      request.headers['content-type'],
    );
    options.metrics.errors.inc({ reason });
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.warn({ reason, detail: message }, 'refused a bad request');
    return reply.code(status).send({ error: reason, message });
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send({ error: 'not_found', message: `no route ${request.method} ${request.url}; reviews go to POST /validate` }),
  );

  app.register(healthRoutes, { readiness: options.readiness });
  app.register(validateRoute, { engine: options.engine, metrics: options.metrics });
  return app;
}
