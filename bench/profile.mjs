// Where meshguard's CPU goes. Not a section of `npm run bench`: a tool for when a target is missed.
//   node bench/profile.mjs [load]   `meshguard serve` under `node --cpu-prof`, driven with the bench's load mix (wrk or
//                                   autocannon, as in https-load.mjs); counts only samples taken while the load ran
//   node bench/profile.mjs bare     the same for bench/bare-server.mjs, to compare
//   node bench/profile.mjs startup  `meshguard serve` from spawn until /readyz answers 200
// Prints self time by module and by function, and inclusive time by function, per request (load) or in ms (startup).
// Run `npm run build` first. BENCH_SECONDS (10), BENCH_CONNECTIONS (32); BENCH_PROFILE_KEEP=1 keeps the .cpuprofile
// (its path is printed) for Chrome DevTools or speedscope.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { chooseGenerator, generate } from './https-load.mjs';
import { temporaryCertificates } from './lib/certificates.mjs';
import { benchDir, meshguardEnv, meshguardServeArgs, repoRoot } from './lib/dist.mjs';
import { loadBenchObjects } from './lib/objects.mjs';
import { freePort, startChild, stopChild, waitForOk } from './lib/processes.mjs';
import { envNumber, renderTable } from './lib/report.mjs';
import { reviewMix } from './lib/reviews.mjs';

const SERVER_CPU = process.env.BENCH_SERVER_CPU ?? '0';

/** Groups a script URL: a package of node_modules, a folder of meshguard's build, Node's internals, or V8's own. */
function moduleOf(url, functionName) {
  if (!url) return functionName.startsWith('(') ? functionName : '(native / builtin)';
  const path = url.replace(/^file:\/\//, '');
  const pkg = path.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (pkg) return pkg[1];
  if (path.startsWith('node:')) return path.split('/').slice(0, 2).join('/');
  if (path.startsWith(repoRoot)) return relative(repoRoot, path).replace(/\/[^/]+$/, '');
  return path;
}

/** Where a function is: its file relative to the repository (or package), and line. */
function placeOf(callFrame) {
  const path = callFrame.url.replace(/^file:\/\//, '');
  const short = path.startsWith(repoRoot) ? relative(repoRoot, path) : (path.match(/node_modules\/(.*)$/)?.[1] ?? path);
  return short ? `${short}:${callFrame.lineNumber + 1}` : moduleOf(callFrame.url, callFrame.functionName);
}

/** Self milliseconds per node id, from the samples taken between `fromUs` and `toUs` (profile clock). */
function selfTimes(profile, fromUs, toUs) {
  const self = new Map();
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i];
    if (t < fromUs || t > toUs) continue;
    const next = profile.timeDeltas[i + 1] ?? 0;
    self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + next / 1000);
  }
  return self;
}

/** Inclusive ms per function key, counting a function once per stack even when it recurses. */
function inclusiveTimes(profile, self, keyOf) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const inclusive = new Map();
  const walk = (node, onStack) => {
    const key = keyOf(node);
    let total = self.get(node.id) ?? 0;
    const inner = new Set(onStack).add(key);
    for (const c of node.children ?? []) total += walk(byId.get(c), inner);
    if (!onStack.has(key)) inclusive.set(key, (inclusive.get(key) ?? 0) + total);
    return total;
  };
  walk(profile.nodes[0], new Set());
  return inclusive;
}

function top(map, n) {
  return [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, n);
}

const mode = process.argv[2] ?? 'load';
if (!['load', 'bare', 'startup'].includes(mode)) throw new Error(`profile load, bare or startup, not ${mode}`);
const seconds = Math.round(envNumber('BENCH_SECONDS', 10));
const connections = Math.round(envNumber('BENCH_CONNECTIONS', 32));
const generator = mode === 'startup' ? undefined : chooseGenerator();
const certs = await temporaryCertificates();
const profileDir = mkdtempSync(join(tmpdir(), 'meshguard-profile-'));
const bodiesFile = join(certs.dir, 'bodies.jsonl');
writeFileSync(
  bodiesFile,
  `${reviewMix(loadBenchObjects())
    .map((m) => m.body)
    .join('\n')}\n`,
);
let child;
try {
  const port = await freePort();
  const metricsPort = await freePort();
  const tls = ['--host', '127.0.0.1', '--port', String(port), '--cert', certs.certFile, '--key', certs.keyFile];
  const serverArgs =
    mode === 'bare' ? [join(benchDir, 'bare-server.mjs'), ...tls] : meshguardServeArgs({ port, metricsPort, certs });
  const interval = mode === 'startup' ? '100' : '250';
  const spawnedUs = Number(process.hrtime.bigint() / 1000n);
  child = startChild(
    process.execPath,
    ['--cpu-prof', '--cpu-prof-dir', profileDir, '--cpu-prof-interval', interval, ...serverArgs],
    { cpu: SERVER_CPU, env: mode === 'bare' ? { NODE_ENV: 'production' } : meshguardEnv() },
  );
  const url = `https://127.0.0.1:${port}`;
  await waitForOk(`${url}/readyz`, {
    ca: certs.caPem,
    child,
    timeoutMs: 30_000,
    intervalMs: mode === 'startup' ? 1 : 20,
  });
  let fromUs = spawnedUs;
  let toUs = Number(process.hrtime.bigint() / 1000n);
  let result;
  if (mode !== 'startup') {
    await generate(generator, `${url}/validate`, bodiesFile, { seconds: 2, connections }); // warm-up, not counted
    fromUs = Number(process.hrtime.bigint() / 1000n);
    result = await generate(generator, `${url}/validate`, bodiesFile, { seconds, connections });
    toUs = Number(process.hrtime.bigint() / 1000n);
  }
  await stopChild(child, 10_000);
  const file = readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no profile written: ${child.stderrTail()}`);
  const profile = JSON.parse(readFileSync(join(profileDir, file), 'utf8'));

  const self = selfTimes(profile, fromUs, toUs);
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const unit = mode === 'startup' ? 'ms' : 'µs/request';
  const per = mode === 'startup' ? (ms) => ms : (ms) => (ms * 1000) / result.requests;
  const fnKey = (n) => `${(n.callFrame.functionName || '(anonymous)').slice(0, 60)} ${placeOf(n.callFrame)}`;
  const byFunction = new Map();
  const byModule = new Map();
  for (const node of profile.nodes) {
    const ms = self.get(node.id);
    if (!ms) continue;
    byFunction.set(fnKey(node), (byFunction.get(fnKey(node)) ?? 0) + ms);
    const mod = moduleOf(node.callFrame.url, node.callFrame.functionName);
    byModule.set(mod, (byModule.get(mod) ?? 0) + ms);
  }
  const inclusive = inclusiveTimes(profile, self, fnKey);
  const pct = (ms) => `${((ms / total) * 100).toFixed(1)}%`;
  const rows = (map, n) => top(map, n).map(([k, v]) => [k, pct(v), per(v)]);
  const heading =
    mode === 'startup'
      ? `meshguard serve from spawn to /readyz 200: ${(toUs - spawnedUs) / 1000} ms wall, ${total.toFixed(0)} ms of samples ` +
        '(node itself starts before the profiler: see `node -e 0` in the cold-start section)'
      : `${mode === 'bare' ? 'bare Fastify' : 'meshguard'} under ${generator} for ${seconds} s, ${connections} connections: ` +
        `${result.requests} requests, ${(result.requests / seconds).toFixed(0)} req/s; ${total.toFixed(0)} ms of samples in the window`;
  const out = [
    heading,
    '',
    renderTable({ title: 'Self time by module', columns: ['module', 'share', unit], rows: rows(byModule, 25) }),
    '',
    renderTable({ title: 'Self time by function', columns: ['function', 'share', unit], rows: rows(byFunction, 40) }),
    '',
    renderTable({
      title: 'Inclusive time by function',
      columns: ['function', 'share', unit],
      rows: rows(inclusive, 50),
    }),
  ];
  process.stdout.write(`${out.join('\n')}\n`);
  if (process.env.BENCH_PROFILE_KEEP) process.stdout.write(`\nprofile kept at ${join(profileDir, file)}\n`);
} finally {
  await stopChild(child);
  certs.cleanup();
  if (!process.env.BENCH_PROFILE_KEEP) rmSync(profileDir, { recursive: true, force: true });
}
