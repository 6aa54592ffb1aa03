#!/usr/bin/env node
// Soak: a steady load of real reviews against the built server for a long time, sampling its resident memory, heap,
// event-loop delay (meshguard_event_loop_delay_seconds) and the client-side latency percentiles per window. Passes
// when no review failed and resident memory stayed flat after the warm-up.
//
//   npm run soak                          30 minutes (SOAK_SECONDS=1800), a sample every 30 s
//   SOAK_SECONDS=60 npm run soak          the CI run (test/load/soak.test.ts does this)
//
// Environment: SOAK_SECONDS (1800), SOAK_SAMPLE_SECONDS (30, or 5 under 5 minutes), SOAK_WARMUP_SECONDS (a quarter of
// the run, at most 300; 40% under 5 minutes), SOAK_RATE (reviews per second, 200), SOAK_CONNECTIONS (8 kept-alive connections),
// SOAK_RSS_GROWTH_MIB (16: allowed growth of the median RSS from the first to the last third after warm-up, or 10%,
// whichever is larger), SOAK_RESULT_FILE. MESHGUARD_URL, MESHGUARD_CA_FILE, MESHGUARD_METRICS_URL: soak a server
// already running (in a cluster, through a port-forward).
import { writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { metricsRequest, sample, startMeshguard } from '../test/load/meshguard-process.mjs';
import { seedReviews } from '../test/load/seeds.mjs';

const env = (name, fallback) => (process.env[name] ? Number(process.env[name]) : fallback);
const SECONDS = env('SOAK_SECONDS', 1800);
const SAMPLE = env('SOAK_SAMPLE_SECONDS', SECONDS < 300 ? 5 : 30);
// V8 grows its heap for the first minute or so under steady load (measured: RSS rises ~20 MiB, then stays flat).
const WARMUP = env(
  'SOAK_WARMUP_SECONDS',
  SECONDS < 300 ? Math.round(SECONDS * 0.4) : Math.min(300, Math.round(SECONDS / 4)),
);
const RATE = env('SOAK_RATE', 200);
const CONNECTIONS = env('SOAK_CONNECTIONS', 8);
const RSS_GROWTH_MIB = env('SOAK_RSS_GROWTH_MIB', 16);
const MiB = 1024 * 1024;

const percentile = (sorted, p) =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const median = (xs) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );
const round = (x, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

/** The server this run started, for the signal handlers. */
let running;

async function main() {
  const server = await startMeshguard({ label: 'soak' });
  running = server;
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS, ca: server.ca });
  const bodies = seedReviews().map((r) => JSON.stringify(r));
  const started = performance.now();
  const end = started + SECONDS * 1000;
  let window = { latencies: [], ok: 0, failed: 0 };
  const totals = { sent: 0, ok: 0, failed: 0, failures: [] };
  let inflight = 0;
  let n = 0;

  const one = () => {
    const body = bodies[n++ % bodies.length].replace(/"uid":"[^"]*"/, `"uid":"soak-${n}"`);
    const uid = `soak-${n}`;
    const t0 = performance.now();
    inflight += 1;
    totals.sent += 1;
    const finish = (ok, why) => {
      inflight -= 1;
      const w = window;
      if (ok) {
        w.ok += 1;
        totals.ok += 1;
        w.latencies.push(performance.now() - t0);
      } else {
        w.failed += 1;
        totals.failed += 1;
        if (totals.failures.length < 10) totals.failures.push(why);
      }
    };
    const req = request(
      `${server.url}/validate`,
      { method: 'POST', agent, ca: server.ca, headers: { 'content-type': 'application/json' } },
      (res) => {
        let text = '';
        res.on('data', (c) => {
          text += c;
        });
        res.on('end', () => {
          try {
            const answer = JSON.parse(text);
            finish(
              res.statusCode === 200 && answer?.response?.uid === uid,
              `HTTP ${res.statusCode}: ${text.slice(0, 200)}`,
            );
          } catch {
            finish(false, `HTTP ${res.statusCode}: ${text.slice(0, 200)}`);
          }
        });
      },
    );
    req.on('error', (err) => finish(false, err.message));
    req.setTimeout(10_000, () => req.destroy(new Error('no answer in 10 s')));
    req.end(body);
  };

  // Paced: RATE per second in 10 ms ticks, never more than 4 requests per connection in flight (a stalled server
  // shows as failures and latency, not as an ever-growing queue in this process).
  let credit = 0;
  const pacer = setInterval(() => {
    credit += RATE / 100;
    while (credit >= 1 && inflight < CONNECTIONS * 4) {
      credit -= 1;
      one();
    }
    if (credit > RATE) credit = RATE;
  }, 10);

  const samples = [];
  console.log(
    `soak: ${SECONDS} s at ${RATE} reviews/s over ${CONNECTIONS} connections, a sample every ${SAMPLE} s, warm-up ${WARMUP} s`,
  );
  console.log(
    '     t(s)  reviews/s  failed  p50 ms  p90 ms  p99 ms  max ms  loop p99 ms  loop max ms  RSS MiB  heap MiB',
  );
  try {
    while (performance.now() < end) {
      await new Promise((r) => setTimeout(r, Math.min(SAMPLE * 1000, end - performance.now())));
      const w = window;
      window = { latencies: [], ok: 0, failed: 0 };
      const metrics = await metricsRequest(server.metricsUrl);
      const sorted = w.latencies.sort((a, b) => a - b);
      const s = {
        t: round((performance.now() - started) / 1000, 0),
        rate: round(w.ok / SAMPLE, 0),
        failed: w.failed,
        p50: round(percentile(sorted, 50), 2),
        p90: round(percentile(sorted, 90), 2),
        p99: round(percentile(sorted, 99), 2),
        max: round(sorted.at(-1) ?? 0, 2),
        loopP99: round((sample(metrics.body, 'meshguard_event_loop_delay_seconds{quantile="0.99"}') ?? 0) * 1000, 2),
        loopMax: round((sample(metrics.body, 'meshguard_event_loop_delay_seconds{quantile="1"}') ?? 0) * 1000, 2),
        rssMiB: round((sample(metrics.body, 'meshguard_process_resident_memory_bytes') ?? 0) / MiB),
        heapMiB: round((sample(metrics.body, 'meshguard_nodejs_heap_size_used_bytes') ?? 0) / MiB),
      };
      samples.push(s);
      console.log(
        [s.t, s.rate, s.failed, s.p50, s.p90, s.p99, s.max, s.loopP99, s.loopMax, s.rssMiB, s.heapMiB]
          .map((v, i) => String(v).padStart([9, 11, 8, 8, 8, 8, 8, 13, 13, 9, 10][i]))
          .join(''),
      );
      if (!server.alive()) throw new Error(`meshguard exited:\n${server.stderr()}`);
    }
  } finally {
    clearInterval(pacer);
  }
  while (inflight > 0) await new Promise((r) => setTimeout(r, 10));
  agent.destroy();
  await server.stop();

  const steady = samples.filter((s) => s.t > WARMUP);
  const third = Math.max(1, Math.floor(steady.length / 3));
  const early = median(steady.slice(0, third).map((s) => s.rssMiB));
  const late = median(steady.slice(-third).map((s) => s.rssMiB));
  const allowed = Math.max(RSS_GROWTH_MIB, early * 0.1);
  const summary = {
    seconds: SECONDS,
    rate: RATE,
    connections: CONNECTIONS,
    sent: totals.sent,
    ok: totals.ok,
    failed: totals.failed,
    failures: totals.failures,
    rss: {
      warmupSeconds: WARMUP,
      firstSampleMiB: samples[0]?.rssMiB,
      earlyMedianMiB: early,
      lateMedianMiB: late,
      growthMiB: round(late - early),
      allowedGrowthMiB: round(allowed),
      maxMiB: Math.max(...samples.map((s) => s.rssMiB)),
    },
    heapMiB: {
      early: median(steady.slice(0, third).map((s) => s.heapMiB)),
      late: median(steady.slice(-third).map((s) => s.heapMiB)),
    },
    latencyMs: {
      p50: median(steady.map((s) => s.p50)),
      p99: median(steady.map((s) => s.p99)),
      worstP99: Math.max(...steady.map((s) => s.p99)),
    },
    eventLoopDelayMs: {
      p99: median(steady.map((s) => s.loopP99)),
      worstMax: Math.max(...steady.map((s) => s.loopMax)),
    },
    samples,
  };
  const failures = [];
  if (totals.failed > 0) failures.push(`${totals.failed} reviews failed`);
  if (steady.length < 3) failures.push(`only ${steady.length} samples after warm-up: run longer or sample more often`);
  if (late - early > allowed)
    failures.push(`RSS grew ${round(late - early)} MiB after warm-up (allowed ${round(allowed)})`);
  summary.passed = failures.length === 0;
  summary.problems = failures;
  if (process.env.SOAK_RESULT_FILE) writeFileSync(process.env.SOAK_RESULT_FILE, JSON.stringify(summary, null, 2));
  console.log(`SOAK_RESULT ${JSON.stringify({ ...summary, samples: undefined })}`);
  console.log(
    `soak: ${totals.ok} reviews answered, ${totals.failed} failed; RSS ${early} → ${late} MiB after warm-up (median of the first and last third; allowed +${round(allowed)}); latency p50 ${summary.latencyMs.p50} ms, p99 ${summary.latencyMs.p99} ms; event-loop p99 ${summary.eventLoopDelayMs.p99} ms; ${summary.passed ? 'PASSED' : `FAILED: ${failures.join('; ')}`}`,
  );
  process.exitCode = summary.passed ? 0 : 1;
}

// Stopped from outside (Ctrl-C, a test's timeout): take the server down with us, never leave it running.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    const stopping = running?.stop() ?? Promise.resolve();
    stopping.finally(() => process.exit(130));
  });
}

main().catch((err) => {
  console.error(`soak: ${err.stack ?? err}`);
  process.exit(2);
});
