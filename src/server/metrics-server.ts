import Fastify, { type FastifyInstance } from 'fastify';
import type { ServerMetrics } from './metrics';
import { lazySchemaCompilers, refuseHeaderSchemas } from './schema-compilers';

/**
 * /metrics on a plain-HTTP port of its own: Prometheus scrapes it without trusting meshguard's CA, and a scrape
 * never competes with the API server for the webhook listener. Metrics hold counts only, nothing secret.
 *
 * `debugEndpoints` adds POST /debug/gc (a full garbage collection, then process.memoryUsage()), for the fuzzer's
 * "memory back to baseline" check; it needs `node --expose-gc` and is off unless `--debug-endpoints` is given.
 */
export function buildMetricsServer(
  metrics: ServerMetrics,
  options: { debugEndpoints?: boolean } = {},
): FastifyInstance {
  const app = Fastify({ logger: false, schemaController: lazySchemaCompilers() });
  refuseHeaderSchemas(app);
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  if (options.debugEndpoints) {
    app.post('/debug/gc', async (_request, reply) => {
      const gc = (globalThis as { gc?: () => void }).gc;
      if (gc === undefined) return reply.code(501).send({ error: 'start node with --expose-gc' });
      gc();
      gc();
      return process.memoryUsage();
    });
  }
  return app;
}
