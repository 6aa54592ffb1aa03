import type { FastifyPluginCallback } from 'fastify';
import type { Readiness } from './readiness';

/** /healthz: the process answers. /readyz: it should receive reviews (validators loaded, not draining). */
export const healthRoutes: FastifyPluginCallback<{ readiness: Readiness }> = (app, { readiness }, done) => {
  app.get('/healthz', (_request, reply) => reply.send({ status: 'ok' }));
  app.get('/readyz', (_request, reply) => {
    if (readiness.ready) return reply.send({ status: 'ready' });
    return reply.code(503).send({ status: 'not ready', reasons: readiness.reasons });
  });
  done();
};
