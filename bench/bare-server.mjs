// The baselines for the HTTPS load section: Fastify (the version meshguard uses) over HTTPS with the same certificate,
// parsing the same AdmissionReview JSON and answering `allowed: true` with the request's uid.
//   node bench/bare-server.mjs --host 127.0.0.1 --port 8444 --cert tls.crt --key tls.key [--duties]
// Plain: no logging, no metrics, no validation: what any Node webhook costs before it does its job.
// --duties: also what issue #2 asks of every webhook besides validation, done the way meshguard does it: a pino
// logger handed to Fastify, one info line per decision, and a Prometheus counter and latency histogram per review.
// Measured beside the plain one, it shows how much of meshguard's cost is validation and how much is the duties.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { requirePackage } from './lib/dist.mjs';

const Fastify = requirePackage('fastify');

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '8444' },
    cert: { type: 'string' },
    key: { type: 'string' },
    'body-limit': { type: 'string', default: String(6 * 1024 * 1024) },
    duties: { type: 'boolean', default: false },
  },
});
if (!values.cert || !values.key) {
  process.stderr.write('usage: node bench/bare-server.mjs --port N --cert FILE --key FILE [--duties]\n');
  process.exit(2);
}

/** The decision log line and the two metrics, as meshguard's validate route writes them. */
function duties() {
  const pino = requirePackage('pino');
  const { Counter, Histogram, Registry } = requirePackage('prom-client');
  const registry = new Registry();
  const labelNames = ['kind', 'operation', 'decision'];
  const requests = new Counter({ name: 'requests_total', help: 'reviews', labelNames, registers: [registry] });
  const duration = new Histogram({
    name: 'duration_seconds',
    help: 'review latency',
    labelNames,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 2.5],
    registers: [registry],
  });
  const logger = pino({ level: 'info', base: { app: 'bare' } });
  return {
    fastifyOptions: {
      loggerInstance: logger,
      logController: new Fastify.LogController({ disableRequestLogging: true }),
    },
    record(request, started) {
      const req = request.body.request;
      const labels = { kind: req.kind?.kind, operation: req.operation, decision: 'allowed' };
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      requests.inc(labels);
      duration.observe(labels, seconds);
      request.log.info(
        {
          uid: req.uid,
          kind: req.kind?.kind,
          namespace: req.namespace ?? '',
          name: req.name ?? '',
          operation: req.operation,
          dryRun: req.dryRun === true,
          allowed: true,
          decision: 'allowed',
          ms: Math.round(seconds * 1e6) / 1e3,
        },
        'admission decision',
      );
    },
  };
}

const extra = values.duties ? duties() : undefined;
const app = Fastify({
  https: { cert: readFileSync(values.cert), key: readFileSync(values.key) },
  bodyLimit: Number(values['body-limit']),
  ...(extra ? extra.fastifyOptions : { logger: false }),
});
app.post('/validate', (request, reply) => {
  const started = process.hrtime.bigint();
  const review = request.body;
  extra?.record(request, started);
  return reply.send({
    apiVersion: review.apiVersion,
    kind: 'AdmissionReview',
    response: { uid: review.request.uid, allowed: true },
  });
});
// Only for the bench to see that the server is up, as it does with meshguard.
app.get('/readyz', (_request, reply) => reply.send({ status: 'ready' }));

await app.listen({ host: values.host, port: Number(values.port) });
for (const signal of ['SIGTERM', 'SIGINT']) process.once(signal, () => app.close().then(() => process.exit(0)));
