#!/usr/bin/env node
// Fuzzes the running webhook with mutated AdmissionReviews (test/load/fuzz-cases.mjs) and checks every answer:
// no crash, no 5xx, each answer a well-formed AdmissionReview (for the request's uid) or a 4xx JSON error, no policy
// that throws, and the server's heap back near its baseline afterwards (full GC through --debug-endpoints).
//
//   npm run fuzz                                   10,000 cases, random seed (printed)
//   FUZZ_SEED=7 FUZZ_COUNT=100000 npm run fuzz     the long run (docs/operations.md)
//   FUZZ_SEED=7 FUZZ_ONLY=1234 npm run fuzz        replay one case
//
// Environment: FUZZ_SEED, FUZZ_COUNT (10000), FUZZ_CONCURRENCY (8), FUZZ_ONLY, FUZZ_HEAP_GROWTH_MIB (24: allowed
// growth of the heap after GC), FUZZ_RESULT_FILE (write the summary JSON there). Exit 0 when every check passed.
// Against a server already running: MESHGUARD_URL, MESHGUARD_CA_FILE, MESHGUARD_METRICS_URL (memory is then
// checked only if it runs with --debug-endpoints under node --expose-gc).
import { writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { connect } from 'node:tls';
import { fuzzCase } from '../test/load/fuzz-cases.mjs';
import { metricsRequest, startMeshguard } from '../test/load/meshguard-process.mjs';
import { seedReviews } from '../test/load/seeds.mjs';

const env = (name, fallback) =>
  process.env[name] === undefined || process.env[name] === '' ? fallback : Number(process.env[name]);
const SEED = env('FUZZ_SEED', Math.floor(Math.random() * 2 ** 31));
const COUNT = env('FUZZ_COUNT', 10_000);
const CONCURRENCY = env('FUZZ_CONCURRENCY', 8);
const ONLY = env('FUZZ_ONLY', undefined);
const HEAP_GROWTH_MIB = env('FUZZ_HEAP_GROWTH_MIB', 24);
/** meshguard's default; passed explicitly so the checks know it. */
const BODY_LIMIT = env('FUZZ_BODY_LIMIT', 6 * 1024 * 1024);
const MiB = 1024 * 1024;

function send(url, ca, agent, c) {
  return new Promise((resolve) => {
    const headers = { 'content-length': c.body.length };
    if (c.contentType !== undefined) headers['content-type'] = c.contentType;
    const req = request(`${url}/validate`, { method: 'POST', agent, ca, headers }, (res) => {
      const chunks = [];
      res.on('data', (d) => chunks.push(d));
      res.on('end', () =>
        resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', (err) => resolve({ error: err.message }));
    });
    req.on('error', (err) => resolve({ error: `${err.code ?? ''} ${err.message}` }));
    req.setTimeout(30_000, () => req.destroy(new Error('no answer in 30 s')));
    req.end(c.body);
  });
}

/** One request on its own TLS connection, bytes as given; parses the (Content-Length framed) answer if any. */
function sendRaw(url, ca, c) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port), ca, servername: 'localhost' });
    const chunks = [];
    const timer = setTimeout(() => socket.destroy(new Error('no answer in 30 s')), 30_000);
    socket.on('secureConnect', () => {
      socket.write(`${c.raw.head}\r\nConnection: close\r\n\r\n`, 'latin1');
      socket.write(c.raw.body);
      if (c.raw.halfClose) socket.end();
    });
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('utf8');
      if (text === '') return resolve({ closedWithoutAnswer: true });
      const [head, ...rest] = text.split('\r\n\r\n');
      const status = Number(head.match(/^HTTP\/1\.1 (\d{3})/)?.[1]);
      const headers = Object.fromEntries(
        head
          .split('\r\n')
          .slice(1)
          .map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
      );
      resolve({ status, headers, body: rest.join('\r\n\r\n') });
    });
  });
}

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

/** What the request carried, as far as a JSON parse can tell (for the uid and apiVersion to expect back). */
function sentReview(c) {
  try {
    const parsed = JSON.parse(c.body.toString('utf8'));
    return isObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Undefined when the answer is acceptable, else what is wrong with it. */
function problemWith(c, res) {
  // Over the limit, the server answers 413 from the Content-Length alone and closes the connection (Connection:
  // close) without reading the rest; a client still writing then gets EPIPE or a reset instead of the 413.
  if (res.error && c.body.length > BODY_LIMIT && /EPIPE|ECONNRESET/.test(res.error)) return undefined;
  if (res.error) return `no answer: ${res.error}`;
  if (res.closedWithoutAnswer) return c.raw?.halfClose ? undefined : 'connection closed without an answer';
  if (res.status >= 500) return `HTTP ${res.status}: ${res.body.slice(0, 300)}`;
  if (!/application\/json/.test(String(res.headers['content-type'] ?? '')))
    return `HTTP ${res.status} without a JSON content type`;
  let body;
  try {
    body = JSON.parse(res.body);
  } catch {
    return `HTTP ${res.status}: not JSON: ${res.body.slice(0, 200)}`;
  }
  if (res.status >= 400 && res.status < 500) {
    return isObject(body) && typeof body.error === 'string' && typeof body.message === 'string'
      ? undefined
      : `HTTP ${res.status}: not a {error, message} JSON error: ${res.body.slice(0, 200)}`;
  }
  if (res.status !== 200) return `unexpected HTTP ${res.status}`;
  const sent = sentReview(c);
  const r = body?.response;
  if (body?.kind !== 'AdmissionReview' || !isObject(r))
    return `200 without an AdmissionReview: ${res.body.slice(0, 200)}`;
  if (sent && body.apiVersion !== sent.apiVersion) return `apiVersion ${body.apiVersion} answers ${sent.apiVersion}`;
  if (sent && r.uid !== sent.request?.uid) return `uid ${r.uid} answers ${sent.request?.uid}`;
  if (typeof r.allowed !== 'boolean') return 'response.allowed is not a boolean';
  if (
    r.status !== undefined &&
    (!isObject(r.status) || typeof r.status.code !== 'number' || typeof r.status.message !== 'string')
  )
    return 'response.status is malformed';
  if (r.warnings !== undefined && (!Array.isArray(r.warnings) || r.warnings.some((w) => typeof w !== 'string')))
    return 'response.warnings is malformed';
  if (r.status?.code === 500) return `internal error: ${r.status.message}`;
  const text = `${r.status?.message ?? ''}\n${(r.warnings ?? []).join('\n')}`;
  const threw = text.match(/\[([\w-]+)\][^\n]*meshguard could not evaluate this policy[^\n]*/);
  if (threw) return `policy ${threw[1]} threw: ${threw[0].slice(0, 300)}`;
  return undefined;
}

async function memory(server) {
  const r = await metricsRequest(server.metricsUrl.replace(/\/metrics$/, '/debug/gc'), 'POST').catch(() => undefined);
  return r?.status === 200 ? JSON.parse(r.body) : undefined;
}

/** The server this run started, for the signal handlers. */
let running;

async function main() {
  const seeds = seedReviews();
  const started = Date.now();
  const server = await startMeshguard({
    label: 'fuzz',
    nodeArgs: ['--expose-gc'],
    args: ['--debug-endpoints', '--body-limit', String(BODY_LIMIT)],
  });
  running = server;
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY, ca: server.ca });
  const problems = [];
  const outcomes = {};
  const byMutation = {};
  let done = 0;
  try {
    // Warm-up: every seed a few times, so lazily built validators and caches exist before the baseline.
    for (let i = 0; i < 20; i++) {
      await Promise.all(
        seeds.map((s) =>
          send(server.url, server.ca, agent, { body: Buffer.from(JSON.stringify(s)), contentType: 'application/json' }),
        ),
      );
    }
    const baseline = await memory(server);

    const indices = ONLY === undefined ? Array.from({ length: COUNT }, (_, i) => i) : [ONLY];
    let next = 0;
    let stopAt = 0;
    const worker = async () => {
      while (next < stopAt) {
        const index = indices[next++];
        const c = fuzzCase(SEED, index, seeds);
        const res = c.raw ? await sendRaw(server.url, server.ca, c) : await send(server.url, server.ca, agent, c);
        const outcome = res.error
          ? c.body.length > BODY_LIMIT
            ? 'over the limit, closed while sending'
            : 'error'
          : res.closedWithoutAnswer
            ? 'closed'
            : String(res.status);
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
        const kind = c.label.split(/[ :]/)[0];
        byMutation[kind] = (byMutation[kind] ?? 0) + 1;
        const problem = problemWith(c, res);
        if (problem) problems.push({ index, label: c.label, problem });
        done += 1;
        if (!server.alive()) throw new Error(`meshguard exited during case ${index} (${c.label}):\n${server.stderr()}`);
        if (done % 2000 === 0) process.stderr.write(`fuzz: ${done}/${indices.length}\n`);
      }
    };
    // Two halves with a full GC between them: growth in the second half, when every kind of input has been seen
    // once, is what a leak would show; growth in the first is caches filling (validators of kinds met late).
    stopAt = Math.ceil(indices.length / 2);
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const middle = await memory(server);
    stopAt = indices.length;
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    agent.destroy();

    const health = await new Promise((resolve) => {
      const req = request(`${server.url}/healthz`, { ca: server.ca, agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on('error', () => resolve(0));
      req.end();
    });
    await new Promise((r) => setTimeout(r, 1000));
    const after = await memory(server);
    const mib = (bytes) => Math.round((bytes / MiB) * 10) / 10;
    const heapGrowthMiB = baseline && after ? mib(after.heapUsed - baseline.heapUsed) : undefined;
    const secondHalfGrowthMiB = middle && after ? mib(after.heapUsed - middle.heapUsed) : undefined;
    const summary = {
      seed: SEED,
      cases: indices.length,
      concurrency: CONCURRENCY,
      seconds: Math.round((Date.now() - started) / 100) / 10,
      outcomes,
      byMutation,
      problems: problems.length,
      alive: server.alive(),
      healthz: health,
      memory:
        baseline && after
          ? {
              baselineHeapMiB: mib(baseline.heapUsed),
              middleHeapMiB: middle ? mib(middle.heapUsed) : undefined,
              afterHeapMiB: mib(after.heapUsed),
              heapGrowthMiB,
              secondHalfGrowthMiB,
              baselineRssMiB: Math.round(baseline.rss / MiB),
              afterRssMiB: Math.round(after.rss / MiB),
            }
          : 'not measured (server without --debug-endpoints or --expose-gc)',
    };
    const failures = [];
    if (problems.length > 0) failures.push(`${problems.length} bad answers`);
    if (!summary.alive || health !== 200) failures.push('the server is not healthy afterwards');
    if (heapGrowthMiB !== undefined && heapGrowthMiB > HEAP_GROWTH_MIB)
      failures.push(`heap grew by ${heapGrowthMiB} MiB after GC (limit ${HEAP_GROWTH_MIB})`);
    if (secondHalfGrowthMiB !== undefined && secondHalfGrowthMiB > HEAP_GROWTH_MIB / 3)
      failures.push(`heap grew by ${secondHalfGrowthMiB} MiB over the second half (limit ${HEAP_GROWTH_MIB / 3})`);
    summary.passed = failures.length === 0;
    summary.failures = failures;
    summary.firstProblems = problems.slice(0, 20);
    for (const p of problems.slice(0, 20))
      process.stderr.write(
        `fuzz: case ${p.index} (${p.label}): ${p.problem}\n  replay: FUZZ_SEED=${SEED} FUZZ_ONLY=${p.index} npm run fuzz\n`,
      );
    if (process.env.FUZZ_RESULT_FILE) writeFileSync(process.env.FUZZ_RESULT_FILE, JSON.stringify(summary, null, 2));
    console.log(`FUZZ_RESULT ${JSON.stringify(summary)}`);
    console.log(
      `fuzz: seed ${SEED}, ${indices.length} cases in ${summary.seconds} s: ${Object.entries(outcomes)
        .sort()
        .map(([k, v]) => `${k}: ${v}`)
        .join(
          ', ',
        )}; ${problems.length} problems; heap ${typeof summary.memory === 'object' ? `${summary.memory.baselineHeapMiB} → ${summary.memory.middleHeapMiB} → ${summary.memory.afterHeapMiB} MiB after GC, RSS ${summary.memory.baselineRssMiB} → ${summary.memory.afterRssMiB} MiB` : summary.memory}; ${summary.passed ? 'PASSED' : `FAILED: ${failures.join('; ')}`}`,
    );
    process.exitCode = summary.passed ? 0 : 1;
  } finally {
    agent.destroy();
    await server.stop();
  }
}

// Stopped from outside (Ctrl-C, a test's timeout): take the server down with us, never leave it running.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    const stopping = running?.stop() ?? Promise.resolve();
    stopping.finally(() => process.exit(130));
  });
}

main().catch((err) => {
  console.error(`fuzz: ${err.stack ?? err}`);
  process.exit(2);
});
