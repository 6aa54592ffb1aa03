import type { TLSSocket } from 'node:tls';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import type { EngineContext } from '../engine/evaluate';
import { classifyRequestError, type RequestErrorShape } from './error-reasons';
import { healthRoutes } from './health-routes';
import { registerJsonBodyParser } from './json-body-parser';
import type { ServerMetrics } from './metrics';
import type { Readiness } from './readiness';
import { lazySchemaCompilers, refuseHeaderSchemas } from './schema-compilers';
import { clientAuthOptions, tlsOptions } from './tls-options';
import { type DeadlineSettings, validateRoute } from './validate-route';

export interface AppOptions {
  /** `clientCaPem`: require POST /validate callers to present a certificate signed by it (--client-ca). */
  tls: { certPem: string | Buffer; keyPem: string | Buffer; clientCaPem?: string | Buffer };
  /** Largest accepted body in bytes. etcd stores objects up to ~1.5 MiB and a review may carry two of them. */
  bodyLimit: number;
  logger: Logger;
  engine: EngineContext;
  metrics: ServerMetrics;
  readiness: Readiness;
  /** Time budget of one review from its arrival, and the answer when it runs out; none: no deadline. */
  deadline?: DeadlineSettings;
  /** Monotonic milliseconds for the deadline; tests hand in a fake one. */
  clock?: () => number;
}

/** The HTTPS webhook: POST /validate, /healthz, /readyz. Metrics are served on their own plain port (metrics-server.ts). */
export function buildApp(options: AppOptions): FastifyInstance {
  const requireClientCertificate = options.tls.clientCaPem !== undefined;
  const app = Fastify({
    https: {
      ...tlsOptions(options.tls.certPem, options.tls.keyPem, options.tls.clientCaPem),
      ...clientAuthOptions(requireClientCertificate),
    },
    bodyLimit: options.bodyLimit,
    loggerInstance: options.logger,
    // One decision line per review is logged by the route; Fastify's two lines per request would only add noise.
    logController: new LogController({ disableRequestLogging: true }),
    // Shutdown is drained by connection-drain.ts before Fastify closes: a review that still arrives is answered, not
    // refused with a 503 (which the API server would count as a failed call, and with failurePolicy Fail, a denial).
    return503OnClosing: false,
    schemaController: lazySchemaCompilers(),
  }) as unknown as FastifyInstance;
  refuseHeaderSchemas(app);

  registerJsonBodyParser(app);
  app.addHook('onRequest', (request, reply, done) => {
    // While draining, every answer closes its connection, so the client's next review opens a new one, which the
    // Service sends to a replica that is not stopping.
    if (options.readiness.draining) reply.header('connection', 'close');
    if (requireClientCertificate && request.routeOptions.url === '/validate') {
      const socket = request.raw.socket as TLSSocket;
      if (!socket.authorized) {
        const why =
          socket.getPeerCertificate?.()?.subject === undefined
            ? 'none was presented'
            : `the one presented was refused (${String(socket.authorizationError)})`;
        options.metrics.errors.inc({ reason: 'client_certificate_required' });
        request.log.warn(
          { reason: 'client_certificate_required', detail: why },
          'refused a caller without a valid client certificate',
        );
        reply.code(401).send({
          error: 'client_certificate_required',
          message: `POST /validate requires a client certificate signed by meshguard's client CA (--client-ca); ${why}`,
        });
        return;
      }
    }
    done();
  });
  app.setErrorHandler((error, request, reply) => {
    const { status, reason, message } = classifyRequestError(
      error as RequestErrorShape,
      request.headers['content-type'],
    );
    options.metrics.errors.inc({ reason });
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    else
      request.log.warn(
        { reason, detail: message.length > 1024 ? `${message.slice(0, 1024)}…` : message },
        'refused a bad request',
      );
    return reply.code(status).send({ error: reason, message });
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send({ error: 'not_found', message: `no route ${request.method} ${request.url}; reviews go to POST /validate` }),
  );

  app.register(healthRoutes, { readiness: options.readiness });
  app.register(validateRoute, {
    engine: options.engine,
    metrics: options.metrics,
    deadline: options.deadline,
    clock: options.clock ?? (() => performance.now()),
  });
  return app;
}
