import Fastify, { type FastifyInstance } from 'fastify';
import type { ServerMetrics } from './metrics';

/**
 * /metrics on a plain-HTTP port of its own: Prometheus scrapes it without trusting meshguard's CA, and a scrape
 * never competes with the API server for the webhook listener. Metrics hold counts only, nothing secret.
 */
export function buildMetricsServer(metrics: ServerMetrics): FastifyInstance {
  const app = Fastify({ logger: false });
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  return app;
}
