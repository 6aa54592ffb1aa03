// Section 3: cold start. Milliseconds from spawning `meshguard serve` (certificate files given) to /readyz answering
// 200, polled over HTTPS about every millisecond; median of BENCH_COLD_RUNS runs. For reading the figure, the same
// is measured for a bare `node` that exits at once, and for IstioSchemas.load() inside a fresh process.

import { temporaryCertificates } from './lib/certificates.mjs';
import { meshguardEnv, meshguardServeArgs, repoRoot, requireDist } from './lib/dist.mjs';
import {
  cpuBusyBetween,
  cpuSecondsOf,
  cpuTimes,
  freePort,
  runChild,
  startChild,
  stopChild,
  waitForOk,
} from './lib/processes.mjs';
import { envNumber, median, target } from './lib/report.mjs';
import { runIfMain } from './lib/section.mjs';

const SERVER_CPU = process.env.BENCH_SERVER_CPU ?? '0';

async function oneColdStart(certs) {
  const port = await freePort();
  const metricsPort = await freePort();
  const cpuBefore = cpuTimes();
  const started = performance.now();
  const child = startChild(process.execPath, meshguardServeArgs({ port, metricsPort, certs }), {
    cpu: SERVER_CPU,
    env: meshguardEnv(),
  });
  try {
    const ready = await waitForOk(`https://127.0.0.1:${port}/readyz`, {
      ca: certs.caPem,
      child,
      timeoutMs: envNumber('BENCH_COLD_TIMEOUT_MS', 15000),
    });
    // CPU the server used to get there: unlike the wall time, barely stretched by other processes on its CPU.
    const cpuMs = cpuSecondsOf(child.pid) * 1000;
    const busy = cpuBusyBetween(cpuBefore, cpuTimes())[SERVER_CPU] ?? Number.NaN;
    const wallMs = ready - started;
    return { wallMs, cpuMs, otherOnCpu: Math.max(0, busy - cpuMs / wallMs) };
  } finally {
    await stopChild(child);
  }
}

/** Wall time of a process that only starts node and exits (what no server code can go below). */
async function nodeBaseline() {
  const started = performance.now();
  await runChild(process.execPath, ['-e', '0'], { cpu: SERVER_CPU, timeoutMs: 15000 });
  return performance.now() - started;
}

/** IstioSchemas.load() timed inside a fresh process, where nothing is cached yet. */
async function schemaLoadInFreshProcess() {
  const script = `
    const t0 = performance.now();
    const { IstioSchemas } = require(${JSON.stringify(`${repoRoot}dist/src/schema/istio-schemas.js`)});
    const t1 = performance.now();
    IstioSchemas.load();
    const t2 = performance.now();
    process.stdout.write(JSON.stringify({ requireMs: t1 - t0, loadMs: t2 - t1 }));`;
  const { stdout } = await runChild(process.execPath, ['-e', script], { cpu: SERVER_CPU, timeoutMs: 15000 });
  return JSON.parse(stdout);
}

const section = {
  id: 'cold-start',
  title: 'Cold start: spawn `meshguard serve` → /readyz 200',
  async run() {
    const runs = Math.round(envNumber('BENCH_COLD_RUNS', 5));
    requireDist('cli/serve-command'); // fails early, with a clear message, when there is no build
    const certs = await temporaryCertificates();
    try {
      const ready = [];
      const baseline = [];
      const requireMs = [];
      const loadMs = [];
      for (let i = 0; i < runs; i++) {
        ready.push(await oneColdStart(certs));
        baseline.push(await nodeBaseline());
        const s = await schemaLoadInFreshProcess();
        requireMs.push(s.requireMs);
        loadMs.push(s.loadMs);
      }
      const row = (label, values) => [label, median(values), Math.min(...values), Math.max(...values)];
      const wall = ready.map((r) => r.wallMs);
      const readyMedian = median(wall);
      const notes = [
        'CPU ms is the CPU time the server had used when /readyz answered (10 ms resolution): other processes on ' +
          `CPU ${SERVER_CPU} stretch the wall time but barely this. Fresh-process rows are timed inside that process.`,
      ];
      const disturbed = ready.filter((r) => r.otherOnCpu > 0.1).length;
      if (disturbed > 0) {
        notes.push(`DISTURBED: in ${disturbed} of ${runs} runs other processes took over 10% of CPU ${SERVER_CPU}`);
      }
      return {
        tables: [
          {
            title: `${runs} runs, server pinned to CPU ${SERVER_CPU}`,
            columns: ['what', 'median ms', 'min ms', 'max ms'],
            rows: [
              row('meshguard serve → /readyz 200, wall', wall),
              row(
                'meshguard serve → /readyz 200, server CPU',
                ready.map((r) => r.cpuMs),
              ),
              row('  node -e 0 (start and exit), wall', baseline),
              row('  require istio-schemas (fresh process)', requireMs),
              row('  IstioSchemas.load() (fresh process)', loadMs),
            ],
          },
        ],
        targets: [target('cold start to /readyz (median)', readyMedian, { atMost: 500, unit: ' ms' })],
        notes,
        data: {
          runs,
          readyMs: wall,
          readyCpuMs: ready.map((r) => r.cpuMs),
          otherOnServerCpu: ready.map((r) => r.otherOnCpu),
          medianReadyMs: readyMedian,
          medianReadyCpuMs: median(ready.map((r) => r.cpuMs)),
          nodeBaselineMs: median(baseline),
          schemaRequireMs: median(requireMs),
          schemaLoadMs: median(loadMs),
        },
      };
    } finally {
      certs.cleanup();
    }
  },
};

export default section;

await runIfMain(import.meta.url, section);
