// Section 2: HTTPS under load. The real `meshguard serve` (logging at info to /dev/null, metrics listener on, as in
// production) against bench/bare-server.mjs (Fastify, same certificate, parses the review and allows it), both driven
// by the same generator in the same run: servers pinned to BENCH_SERVER_CPU (0), generator to BENCH_LOAD_CPU (1).
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { temporaryCertificates } from './lib/certificates.mjs';
import { benchDir, meshguardEnv, meshguardNodeArgs, meshguardServeArgs, requireDist } from './lib/dist.mjs';
import { loadBenchObjects } from './lib/objects.mjs';
import {
  cpuBusyBetween,
  cpuSecondsOf,
  cpuTimes,
  freePort,
  hasTaskset,
  httpsRequest,
  memoryOf,
  reapedChildrenCpuSeconds,
  runChild,
  startChild,
  stopChild,
  waitForOk,
  watchMemory,
} from './lib/processes.mjs';
import { envNumber, median, target } from './lib/report.mjs';
import { reviewMix } from './lib/reviews.mjs';
import { runIfMain } from './lib/section.mjs';

const SERVER_CPU = process.env.BENCH_SERVER_CPU ?? '0';
const LOAD_CPU = process.env.BENCH_LOAD_CPU ?? '1';
const MiB = 1024 * 1024;

/** wrk when it is installed (or BENCH_LOADGEN=wrk), else autocannon. */
export function chooseGenerator() {
  const wanted = process.env.BENCH_LOADGEN;
  if (wanted && wanted !== 'wrk' && wanted !== 'autocannon')
    throw new Error(`BENCH_LOADGEN=${wanted}: use wrk or autocannon`);
  const hasWrk = spawnSync('sh', ['-c', 'command -v wrk'], { stdio: 'ignore' }).status === 0;
  if (wanted === 'wrk' && !hasWrk)
    throw new Error('BENCH_LOADGEN=wrk but wrk is not installed (Debian: apt-get install wrk)');
  return wanted ?? (hasWrk ? 'wrk' : 'autocannon');
}

/** Drives `url` for `seconds` with the generator pinned to LOAD_CPU; returns the parsed JSON line. */
export async function generate(generator, url, bodiesFile, { seconds, connections }) {
  const timeoutMs = seconds * 1000 + 30_000;
  const { stdout } =
    generator === 'wrk'
      ? await runChild(
          'wrk',
          ['-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '5s', '-s', join(benchDir, 'wrk-reviews.lua'), url],
          { cpu: LOAD_CPU, env: { BENCH_BODIES: bodiesFile }, timeoutMs },
        )
      : await runChild(
          process.execPath,
          [join(benchDir, 'autocannon-runner.mjs'), url, bodiesFile, String(connections), String(seconds)],
          { cpu: LOAD_CPU, timeoutMs },
        );
  const line = stdout.split('\n').find((l) => l.startsWith('WRK_JSON ') || l.startsWith('AC_JSON '));
  if (!line) throw new Error(`${generator} printed no result: ${stdout.slice(-2000)}`);
  return JSON.parse(line.slice(line.indexOf(' ') + 1));
}

/** One measured run against one server, with its CPU and memory read from /proc meanwhile. */
async function measure(server, generator, bodiesFile, load) {
  const cpuBefore = cpuTimes();
  const serverCpuBefore = cpuSecondsOf(server.child.pid);
  const generatorCpuBefore = reapedChildrenCpuSeconds();
  const memory = watchMemory(server.child.pid);
  const started = performance.now();
  const result = await generate(generator, `${server.url}/validate`, bodiesFile, load);
  const wall = (performance.now() - started) / 1000;
  const mem = memory.stop();
  const busy = cpuBusyBetween(cpuBefore, cpuTimes());
  const serverCores = (cpuSecondsOf(server.child.pid) - serverCpuBefore) / wall;
  // The generator has exited and been reaped by now, so its CPU time is in this process's children's times.
  const generatorCores = (reapedChildrenCpuSeconds() - generatorCpuBefore) / wall;
  const seconds = result.durationUs / 1e6;
  return {
    reqPerSec: result.requests / seconds,
    /** Server CPU time per request: less sensitive than req/s to other processes taking the server's CPU. */
    cpuUsPerRequest: (serverCores * wall * 1e6) / result.requests,
    requests: result.requests,
    p50Ms: result.latencyUs.p50 / 1000,
    p90Ms: result.latencyUs.p90 / 1000,
    p99Ms: result.latencyUs.p99 / 1000,
    p999Ms: result.latencyUs.p999 / 1000,
    maxMs: result.latencyUs.max / 1000,
    errors: Object.values(result.errors).reduce((a, b) => a + b, 0),
    errorDetail: result.errors,
    maxRssBytes: mem.maxRss,
    serverCores,
    serverCpuBusy: busy[SERVER_CPU],
    loadCpuBusy: busy[LOAD_CPU],
    generatorCores,
    /** What else ran on the server's CPU: its busy share less the server's own. */
    otherOnServerCpu: Math.max(0, (busy[SERVER_CPU] ?? Number.NaN) - serverCores),
  };
}

/** Sends every body once and checks the answers: right uid, and for meshguard the expected decision. */
async function sanityCheck(server, mix, ca) {
  const problems = [];
  let allowed = 0;
  let denied = 0;
  for (const m of mix) {
    const res = await httpsRequest(`${server.url}/validate`, {
      method: 'POST',
      ca,
      body: m.body,
      headers: { 'content-type': 'application/json' },
    });
    if (res.status !== 200) {
      problems.push(`${server.name}: ${m.label} answered HTTP ${res.status}: ${res.body.slice(0, 200)}`);
      continue;
    }
    const answer = JSON.parse(res.body).response;
    if (answer?.uid !== m.review.request.uid) problems.push(`${server.name}: ${m.label} answered another uid`);
    if (answer?.allowed) allowed++;
    else denied++;
    if (server.name === 'meshguard' && (answer?.allowed ? 'allowed' : 'denied') !== m.expect) {
      problems.push(
        `meshguard: ${m.label} is meant to be ${m.expect} but was ${answer?.allowed ? 'allowed' : 'denied'}`,
      );
    }
  }
  return { allowed, denied, problems };
}

/** Pins this process to LOAD_CPU for the section (its polling stays off the servers' CPU); returns the undo. */
function pinSelf() {
  if (!hasTaskset()) return () => {};
  try {
    const mask = execFileSync('taskset', ['-p', String(process.pid)], { encoding: 'utf8' })
      .trim()
      .split(/\s+/)
      .pop();
    execFileSync('taskset', ['-pc', LOAD_CPU, String(process.pid)], { stdio: 'ignore' });
    return () => execFileSync('taskset', ['-p', mask, String(process.pid)], { stdio: 'ignore' });
  } catch {
    return () => {};
  }
}

/** Starts both servers one after the other, pushing each into `started` first, so a failure still stops them. */
async function startServers(certs, started) {
  const [port, metricsPort, barePort, dutiesPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const common = ['--host', '127.0.0.1', '--cert', certs.certFile, '--key', certs.keyFile];
  const servers = [
    {
      name: 'bare',
      url: `https://127.0.0.1:${barePort}`,
      command: [join(benchDir, 'bare-server.mjs'), ...common, '--port', String(barePort)],
      env: { NODE_ENV: 'production' },
    },
    {
      name: 'duties',
      url: `https://127.0.0.1:${dutiesPort}`,
      command: [join(benchDir, 'bare-server.mjs'), ...common, '--port', String(dutiesPort), '--duties'],
      env: { NODE_ENV: 'production' },
    },
    {
      name: 'meshguard',
      url: `https://127.0.0.1:${port}`,
      command: meshguardServeArgs({ port, metricsPort, certs }),
      env: meshguardEnv(),
    },
  ];
  for (const s of servers) {
    s.child = startChild(process.execPath, s.command, { cpu: SERVER_CPU, env: s.env });
    started.push(s);
    await waitForOk(`${s.url}/readyz`, { ca: certs.caPem, child: s.child, timeoutMs: 30_000, intervalMs: 20 });
    s.readyRssBytes = memoryOf(s.child.pid)?.rss ?? Number.NaN;
  }
  return servers;
}

const section = {
  id: 'https',
  title: 'HTTPS under load: meshguard serve vs bare Fastify',
  async run() {
    const load = {
      seconds: Math.round(envNumber('BENCH_SECONDS', 10)),
      connections: Math.round(envNumber('BENCH_CONNECTIONS', 32)),
    };
    const warmupSeconds = Math.round(envNumber('BENCH_WARMUP_SECONDS', Math.min(3, load.seconds)));
    // 0 skips the one-connection run.
    const latencySeconds =
      process.env.BENCH_LATENCY_SECONDS === '0'
        ? 0
        : Math.round(envNumber('BENCH_LATENCY_SECONDS', Math.min(5, load.seconds)));
    const rounds = Math.round(envNumber('BENCH_ROUNDS', 1));
    const generator = chooseGenerator();
    requireDist('cli/serve-command'); // fails early, with a clear message, when there is no build

    const mix = reviewMix(loadBenchObjects());
    const certs = await temporaryCertificates();
    const bodiesFile = join(certs.dir, 'bodies.jsonl');
    writeFileSync(bodiesFile, `${mix.map((m) => m.body).join('\n')}\n`);
    const unpin = pinSelf();
    const servers = [];
    try {
      await startServers(certs, servers);
      const notes = [];
      for (const s of servers) {
        const check = await sanityCheck(s, mix, certs.caPem);
        notes.push(`${s.name} answered the ${mix.length} reviews: ${check.allowed} allowed, ${check.denied} denied`);
        notes.push(...check.problems);
      }
      for (const s of servers)
        await generate(generator, `${s.url}/validate`, bodiesFile, { ...load, seconds: warmupSeconds });
      const runs = Object.fromEntries(servers.map((s) => [s.name, []]));
      for (let r = 0; r < rounds; r++) {
        for (const s of r % 2 === 0 ? servers : [...servers].reverse())
          runs[s.name].push(await measure(s, generator, bodiesFile, load));
      }
      // One connection, one request at a time: the latency of a review with no queue in front of it.
      const single = {};
      if (latencySeconds > 0) {
        for (const s of servers)
          single[s.name] = await measure(s, generator, bodiesFile, { seconds: latencySeconds, connections: 1 });
      }
      const summary = {};
      for (const s of servers) {
        const list = runs[s.name];
        const pick = (key) => median(list.map((m) => m[key]));
        summary[s.name] = {
          reqPerSec: pick('reqPerSec'),
          p50Ms: pick('p50Ms'),
          p99Ms: pick('p99Ms'),
          p999Ms: pick('p999Ms'),
          errors: list.reduce((a, m) => a + m.errors, 0),
          serverCores: pick('serverCores'),
          cpuUsPerRequest: pick('cpuUsPerRequest'),
          otherOnServerCpu: pick('otherOnServerCpu'),
          loadCpuBusy: pick('loadCpuBusy'),
          generatorCores: pick('generatorCores'),
          readyRssBytes: s.readyRssBytes,
          maxRssBytes: Math.max(...list.map((m) => m.maxRssBytes)),
          peakRssBytes: memoryOf(s.child.pid)?.hwm ?? Number.NaN,
          runs: list,
          oneConnection: single[s.name],
        };
      }
      const m = summary.meshguard;
      const b = summary.bare;
      const d = summary.duties;
      const ratios = {
        throughput: m.reqPerSec / b.reqPerSec,
        p50: m.p50Ms / b.p50Ms,
        p99: m.p99Ms / b.p99Ms,
        peakRss: m.peakRssBytes / b.peakRssBytes,
      };
      const row = (name, x) => [
        name,
        x.reqPerSec,
        x.p50Ms,
        x.p99Ms,
        x.p999Ms,
        x.errors,
        x.serverCores,
        x.cpuUsPerRequest,
        `${Math.round(x.otherOnServerCpu * 100)}%`,
        x.generatorCores,
        x.readyRssBytes / MiB,
        x.peakRssBytes / MiB,
      ];
      /** x's figures over base's, in the same columns (counts and shares left empty). */
      const ratioRow = (label, x, base) => [
        label,
        x.reqPerSec / base.reqPerSec,
        x.p50Ms / base.p50Ms,
        x.p99Ms / base.p99Ms,
        x.p999Ms / base.p999Ms,
        '',
        x.serverCores / base.serverCores,
        x.cpuUsPerRequest / base.cpuUsPerRequest,
        '',
        '',
        x.readyRssBytes / base.readyRssBytes,
        x.peakRssBytes / base.peakRssBytes,
      ];
      const rows = [
        row('bare Fastify', b),
        row('bare + log line + metrics', d),
        row('meshguard', m),
        ratioRow('meshguard / bare', m, b),
        ratioRow('meshguard / bare + duties', m, d),
      ];
      if (rounds > 1) {
        for (const s of servers) {
          for (const [i, x] of runs[s.name].entries()) {
            rows.push(
              row(`  ${s.name} round ${i + 1}`, { ...x, readyRssBytes: Number.NaN, peakRssBytes: x.maxRssBytes }),
            );
          }
        }
      }
      const tables = [
        {
          title: `Load mix: ${mix.length} reviews in turn (${mix.filter((x) => x.expect === 'denied').length} denied), ${load.connections} connections`,
          columns: [
            'server',
            'req/s',
            'p50 ms',
            'p99 ms',
            'p99.9 ms',
            'errors',
            'server CPU',
            'CPU µs/req',
            `other on CPU ${SERVER_CPU}`,
            'generator CPU',
            'RSS ready MiB',
            'peak RSS MiB',
          ],
          rows,
        },
      ];
      if (latencySeconds > 0) {
        const lrow = (name, x) => [name, x.reqPerSec, x.p50Ms, x.p99Ms, x.p999Ms, x.errors];
        tables.push({
          title: `Same mix over 1 connection, one review at a time (${latencySeconds} s): latency without queueing`,
          columns: ['server', 'req/s', 'p50 ms', 'p99 ms', 'p99.9 ms', 'errors'],
          rows: [
            lrow('bare Fastify', single.bare),
            lrow('bare + log line + metrics', single.duties),
            lrow('meshguard', single.meshguard),
            [
              'meshguard / bare',
              single.meshguard.reqPerSec / single.bare.reqPerSec,
              single.meshguard.p50Ms / single.bare.p50Ms,
              single.meshguard.p99Ms / single.bare.p99Ms,
              single.meshguard.p999Ms / single.bare.p999Ms,
              '',
            ],
          ],
        });
      }
      for (const s of servers) {
        for (const [i, x] of runs[s.name].entries()) {
          if (x.otherOnServerCpu > 0.1) {
            notes.push(
              `DISTURBED: during ${s.name} run ${i + 1} other processes took ${Math.round(x.otherOnServerCpu * 100)}% of CPU ` +
                `${SERVER_CPU}; compare CPU µs/req rather than req/s, or rerun with BENCH_ROUNDS=3`,
            );
          }
          if (x.generatorCores > 0.9) {
            notes.push(
              `GENERATOR-BOUND: during ${s.name} run ${i + 1} ${generator} used ${x.generatorCores.toFixed(2)} of CPU ${LOAD_CPU}: ` +
                'it, not the server, may have set the pace',
            );
          } else if (x.loadCpuBusy - x.generatorCores > 0.3) {
            notes.push(
              `DISTURBED: during ${s.name} run ${i + 1} other processes took ${Math.round((x.loadCpuBusy - x.generatorCores) * 100)}% ` +
                `of CPU ${LOAD_CPU}, where ${generator} runs`,
            );
          }
        }
        if (summary[s.name].errors > 0)
          notes.push(
            `${s.name}: ${summary[s.name].errors} errors ${JSON.stringify(runs[s.name].map((x) => x.errorDetail))}`,
          );
      }
      notes.push(
        `${generator}, ${load.connections} connections, ${load.seconds} s per run after ${warmupSeconds} s of warm-up, ${rounds} round(s); ` +
          `servers on CPU ${SERVER_CPU}, generator on CPU ${LOAD_CPU}${hasTaskset() ? '' : ' (taskset missing: NOT pinned)'}`,
      );
      notes.push(
        "'bare + log line + metrics' (bare-server.mjs --duties) is the bare server plus what issue #2 asks of every " +
          'webhook besides validation (a pino decision line per review, a request counter and a latency histogram), ' +
          "done as meshguard does them; the targets are against plain 'bare', the second ratio is for scale",
      );
      notes.push(
        `meshguard runs as the image starts it: node ${meshguardNodeArgs().join(' ') || '(no flags)'}, environment ${
          Object.entries(meshguardEnv())
            .map(([k, v]) => `${k}=${v}`)
            .join(' ') || 'none'
        }; the bare server with NODE_ENV=production and Node's defaults`,
      );
      notes.push(
        `'server CPU' is the server's CPU time over wall time (1 = one core), 'CPU µs/req' that time per request (steadier than ` +
          `req/s when other processes take CPU ${SERVER_CPU}); 'other on CPU ${SERVER_CPU}' is that CPU's busy share ` +
          `less the server's own (other processes competing with it); 'generator CPU' is ${generator}'s CPU time over wall time, ` +
          'near 1 meaning the generator may be the limit. ' +
          `Peak RSS is VmHWM at the end (start-up and warm-up included).`,
      );
      return {
        tables,
        targets: [
          target('throughput meshguard / bare', ratios.throughput, { atLeast: 0.9 }),
          target('p99 latency meshguard / bare', ratios.p99, { atMost: 1.1 }),
          target('peak RSS meshguard / bare', ratios.peakRss, { atMost: 1.15 }),
        ],
        notes,
        data: {
          generator,
          ...load,
          warmupSeconds,
          latencySeconds,
          rounds,
          serverCpu: SERVER_CPU,
          loadCpu: LOAD_CPU,
          ratios: { ...ratios, cpuPerRequest: m.cpuUsPerRequest / b.cpuUsPerRequest },
          ratiosToDuties: {
            throughput: m.reqPerSec / d.reqPerSec,
            p99: m.p99Ms / d.p99Ms,
            peakRss: m.peakRssBytes / d.peakRssBytes,
            cpuPerRequest: m.cpuUsPerRequest / d.cpuUsPerRequest,
          },
          bare: b,
          duties: d,
          meshguard: m,
        },
      };
    } finally {
      await Promise.all(servers.map((s) => stopChild(s.child)));
      unpin();
      certs.cleanup();
    }
  },
};

export default section;

await runIfMain(import.meta.url, section);
