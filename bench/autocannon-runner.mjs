// The fallback load generator when wrk is not installed: autocannon (a devDependency) with the same rotating bodies,
// printing the same JSON line shape as wrk-reviews.lua (AC_JSON ...).
//   node bench/autocannon-runner.mjs URL BODIES_FILE CONNECTIONS SECONDS
import { readFileSync } from 'node:fs';
import { requirePackage } from './lib/dist.mjs';

const autocannon = requirePackage('autocannon');
const [url, bodiesFile, connections, seconds] = process.argv.slice(2);
const bodies = readFileSync(bodiesFile, 'utf8')
  .split('\n')
  .filter((l) => l.length > 0);
const result = await autocannon({
  url,
  connections: Number(connections),
  duration: Number(seconds),
  timeout: 5,
  requests: bodies.map((body) => ({
    method: 'POST',
    path: '/validate',
    headers: { 'content-type': 'application/json' },
    body,
  })),
});
const ms = (v) => Math.round(v * 1000);
const l = result.latency;
process.stdout.write(
  `AC_JSON ${JSON.stringify({
    requests: result.requests.total,
    durationUs: Math.round(result.duration * 1e6),
    bytes: result.throughput.total,
    errors: { connect: 0, read: result.errors, write: 0, status: result.non2xx, timeout: result.timeouts },
    latencyUs: {
      min: ms(l.min),
      mean: ms(l.average),
      p50: ms(l.p50),
      p90: ms(l.p90),
      p99: ms(l.p99),
      p999: ms(l.p99_9),
      max: ms(l.max),
    },
  })}\n`,
);
