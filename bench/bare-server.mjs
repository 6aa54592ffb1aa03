// The baseline for the HTTPS load section: Fastify (the version meshguard uses) over HTTPS with the same certificate,
// parsing the same AdmissionReview JSON and answering `allowed: true` with the request's uid. No logging, no metrics,
// no validation: what any Node webhook costs before it does its job.
//   node bench/bare-server.mjs --host 127.0.0.1 --port 8444 --cert tls.crt --key tls.key
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
  },
});
if (!values.cert || !values.key) {
  process.stderr.write('usage: node bench/bare-server.mjs --port N --cert FILE --key FILE\n');
  process.exit(2);
}

const app = Fastify({
  https: { cert: readFileSync(values.cert), key: readFileSync(values.key) },
  bodyLimit: Number(values['body-limit']),
  logger: false,
});
app.post('/validate', (request, reply) => {
  const review = request.body;
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
