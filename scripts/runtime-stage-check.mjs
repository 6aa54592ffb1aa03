#!/usr/bin/env node
// Reproduces the Dockerfile's runtime stage without Docker, and starts meshguard from it.
//
// The Dockerfile is the single list of what the image carries: this script parses its last stage and repeats it in
// a clean temporary folder: every COPY (from the build stage: the repository's built files; from the context: the
// repository's files), the `npm ci` of its RUN line, its ENV, its USER (when run as root) and its ENTRYPOINT and CMD.
// Then it gives the server a freshly made certificate on 127.0.0.1 and the chart's default policy configuration
// (the ConfigMap of deploy/meshguard.yaml), and checks that
//   - /healthz and /readyz answer 200 over HTTPS, /metrics answers on the plain port;
//   - every deploy/examples object is reviewed as its `# expect:` header says (allowed or denied);
//   - its resident memory stays under the chart's memory request;
//   - SIGTERM stops it cleanly, and it wrote nothing into its folder (the image's root filesystem is read-only).
// That catches a runtime import of a dev dependency, a file the image forgets, and a broken entrypoint.
//
//   npm run build && node scripts/runtime-stage-check.mjs [--keep]
//   node scripts/runtime-stage-check.mjs --print-stage      the parsed runtime stage as JSON, nothing run
// Needs dist/ (npm run build), openssl and the npm registry (or npm's cache).
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { get as httpGet } from 'node:http';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAll } from 'js-yaml';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const START_TIMEOUT_MS = 30_000;

// ---------------------------------------------------------------------------------------------------------------
// The Dockerfile

/** Instructions of each stage, with line continuations joined and comments dropped. */
export function parseDockerfile(text) {
  const lines = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (current === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1)} `;
      continue;
    }
    lines.push(current + line);
    current = '';
  }
  const args = {};
  const stages = [];
  for (const line of lines) {
    const [, instruction, rest] = line.match(/^(\S+)\s*(.*)$/);
    const op = instruction.toUpperCase();
    if (op === 'ARG' && stages.length === 0) {
      const [name, value = ''] = rest.split('=');
      args[name] = value;
    } else if (op === 'FROM') {
      const m = rest.match(/^(\S+)(?:\s+AS\s+(\S+))?$/i);
      const image = m[1].replace(/\$\{(\w+)\}/g, (_, n) => args[n] ?? '');
      stages.push({ name: m[2] ?? String(stages.length), image, instructions: [] });
    } else if (stages.length > 0) {
      stages.at(-1).instructions.push({ op, rest });
    }
  }
  return stages;
}

/** What the last stage does, in the terms this script repeats. */
export function runtimeStage(dockerfileText) {
  const stages = parseDockerfile(dockerfileText);
  const stage = stages.at(-1);
  const workdirOf = (s) => s.instructions.filter((i) => i.op === 'WORKDIR').at(-1)?.rest ?? '/';
  const workdir = workdirOf(stage);
  const copies = [];
  const env = {};
  const npmCommands = [];
  let user;
  let entrypoint = [];
  let cmd = [];
  for (const { op, rest } of stage.instructions) {
    if (op === 'COPY') {
      const words = rest.split(/\s+/);
      const flags = words.filter((w) => w.startsWith('--'));
      const paths = words.filter((w) => !w.startsWith('--'));
      if (paths.length !== 2)
        throw new Error(`Dockerfile: "COPY ${rest}": one source and one destination per COPY, please`);
      const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length);
      let source = paths[0];
      if (from !== undefined) {
        const fromStage = stages.find((s) => s.name === from);
        if (!fromStage) throw new Error(`Dockerfile: COPY --from=${from}: no such stage`);
        const fromWorkdir = workdirOf(fromStage);
        if (!source.startsWith(`${fromWorkdir}/`))
          throw new Error(`Dockerfile: COPY --from=${from} ${source}: outside ${fromWorkdir}`);
        // The build stage's WORKDIR is the repository after `npm run build`.
        source = source.slice(fromWorkdir.length + 1);
      }
      copies.push({ from: from ?? 'context', source, destination: paths[1] });
    } else if (op === 'ENV') {
      const m = rest.match(/^(\w+)=(.*)$/);
      if (!m) throw new Error(`Dockerfile: "ENV ${rest}": write ENV KEY=value`);
      env[m[1]] = m[2];
    } else if (op === 'RUN') {
      for (const part of rest.split(/&&|;/).map((p) => p.trim()))
        if (/^npm ci\b/.test(part)) npmCommands.push(part.split(/\s+/));
    } else if (op === 'USER') user = rest;
    else if (op === 'ENTRYPOINT') entrypoint = JSON.parse(rest);
    else if (op === 'CMD') cmd = JSON.parse(rest);
  }
  if (npmCommands.length !== 1)
    throw new Error(`Dockerfile: the runtime stage must run exactly one npm ci, found ${npmCommands.length}`);
  return { name: stage.name, image: stage.image, workdir, copies, env, user, npmCi: npmCommands[0], entrypoint, cmd };
}

/** The Node flags of an exec-form ENTRYPOINT `["node", <flags>..., <script>, ...]`. */
export function entrypointNodeFlags(entrypoint) {
  const [command, ...rest] = entrypoint;
  if (command !== 'node') throw new Error(`Dockerfile: the ENTRYPOINT must start with node, not ${command}`);
  const script = rest.findIndex((arg) => !arg.startsWith('-'));
  return script === -1 ? rest : rest.slice(0, script);
}

/** .dockerignore patterns (the simple kind this repository uses: paths, `*` within one segment, no `!`). */
function dockerignored(path, patterns) {
  return patterns.some((p) => {
    const re = new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}(/.*)?$`);
    return re.test(path);
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Helpers

function log(message) {
  process.stdout.write(`runtime-stage-check: ${message}\n`);
}

function fail(message) {
  throw new Error(message);
}

function listFiles(dir, base = dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(full, base));
    else out.push(`${relative(base, full)} ${statSync(full).size}`);
  }
  return out;
}

function makeCertificate(dir) {
  const run = (args) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  run(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key']);
  run([
    'req',
    '-x509',
    '-new',
    '-key',
    'ca.key',
    '-sha256',
    '-days',
    '1',
    '-subj',
    '/CN=runtime-stage-check CA',
    '-out',
    'ca.crt',
  ]);
  run(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'tls.key']);
  run(['req', '-new', '-key', 'tls.key', '-subj', '/CN=localhost', '-out', 'tls.csr']);
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  run([
    'x509',
    '-req',
    '-in',
    'tls.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '1',
    '-sha256',
    '-extfile',
    'ext.cnf',
    '-out',
    'tls.crt',
  ]);
  return { ca: readFileSync(join(dir, 'ca.crt')), cert: join(dir, 'tls.crt'), key: join(dir, 'tls.key') };
}

function https(url, ca, method = 'GET', body) {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, ca, headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
      let text = '';
      res.on('data', (c) => {
        text += c;
      });
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error(`timeout: ${method} ${url}`)));
    if (body) req.write(JSON.stringify(body));
    req.end();
  });
}

function http(url) {
  return new Promise((resolve, reject) => {
    httpGet(url, (res) => {
      let text = '';
      res.on('data', (c) => {
        text += c;
      });
      res.on('end', () => resolve({ status: res.statusCode, text }));
    }).on('error', reject);
  });
}

const PLURALS = {
  PeerAuthentication: 'peerauthentications',
  AuthorizationPolicy: 'authorizationpolicies',
  RequestAuthentication: 'requestauthentications',
  DestinationRule: 'destinationrules',
  VirtualService: 'virtualservices',
  Gateway: 'gateways',
  ServiceEntry: 'serviceentries',
  Sidecar: 'sidecars',
  Telemetry: 'telemetries',
};

/** deploy/examples: each file's object and the verdict its first line promises. */
export function loadExamples() {
  const dir = join(ROOT, 'deploy/examples');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((file) => {
      const text = readFileSync(join(dir, file), 'utf8');
      const expect =
        text.match(/^# expect: (allowed|denied)/)?.[1] ??
        fail(`deploy/examples/${file}: first line must be "# expect: allowed" or "# expect: denied (...)"`);
      const [object] = loadAll(text);
      return { file, expect, object };
    });
}

function reviewOf(object) {
  const [group, version] = object.apiVersion.split('/');
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: randomUUID(),
      kind: { group, version, kind: object.kind },
      resource: { group, version, resource: PLURALS[object.kind] ?? `${object.kind.toLowerCase()}s` },
      name: object.metadata.name,
      namespace: object.metadata.namespace,
      operation: 'CREATE',
      userInfo: { username: 'runtime-stage-check' },
      object,
      oldObject: null,
      dryRun: false,
    },
  };
}

/** The stage's `npm ci`, exactly: a lockfile it refuses would fail the image build the same way. */
function installDependencies(stage, app) {
  const [npm, ...args] = stage.npmCi;
  try {
    execFileSync(npm, [...args, '--prefer-offline'], {
      cwd: app,
      encoding: 'utf8',
      env: { ...process.env, ...stage.env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch (err) {
    const hint = String(err.stderr ?? '').includes('Missing:')
      ? '\n(after `npm install <pkg>`, run `node scripts/lock-foreign-platforms.mjs`)'
      : '';
    fail(`${stage.npmCi.join(' ')} failed:\n${String(err.stderr ?? err.message)}${hint}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The check

async function main() {
  const keep = process.argv.includes('--keep');
  const started = Date.now();
  const stage = runtimeStage(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
  const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  log(
    `Dockerfile stage "${stage.name}" (${stage.image}): ${stage.copies.length} COPY, ${stage.npmCi.join(' ')}, user ${stage.user ?? 'root'}`,
  );

  if (!/^\d+(:\d+)?$/.test(stage.user ?? '') || stage.user.startsWith('0'))
    fail(`the runtime stage's USER must be a numeric non-root uid, is ${stage.user}`);
  for (const c of stage.copies) {
    if (!existsSync(join(ROOT, c.source)))
      fail(`COPY ${c.source}: missing in the repository${c.from === 'build' ? ' (run `npm run build` first)' : ''}`);
    if (c.from === 'context' && dockerignored(c.source, ignore))
      fail(`COPY ${c.source}: excluded from the build context by .dockerignore`);
  }

  const work = mkdtempSync(join(tmpdir(), 'meshguard-runtime-stage-'));
  const app = join(work, 'app');
  const tlsDir = join(work, 'tls');
  mkdirSync(app);
  mkdirSync(tlsDir);
  let child;
  try {
    for (const c of stage.copies) {
      const destination = join(app, c.destination.replace(/^\.\/?/, ''));
      cpSync(join(ROOT, c.source), destination, { recursive: true });
    }
    log(`copied ${stage.copies.map((c) => c.source).join(', ')} into ${app}`);
    const t0 = Date.now();
    installDependencies(stage, app);
    log(`production dependencies installed: ${Date.now() - t0} ms`);
    const pkg = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8'));
    const lock = JSON.parse(readFileSync(join(app, 'package-lock.json'), 'utf8'));
    // A dev dependency may also be a production package's dependency (client-node needs @types/node, say): only
    // what the lockfile marks dev-only has leaked.
    const leaked = Object.keys(pkg.devDependencies ?? {}).filter(
      (d) => existsSync(join(app, 'node_modules', d)) && lock.packages?.[`node_modules/${d}`]?.dev === true,
    );
    if (leaked.length > 0) fail(`dev dependencies installed in the runtime stage: ${leaked.join(', ')}`);

    const tls = makeCertificate(tlsDir);
    // The policy configuration the chart ships by default, as its ConfigMap would be mounted.
    const configMap = loadAll(readFileSync(join(ROOT, 'deploy/meshguard.yaml'), 'utf8')).find(
      (o) => o?.kind === 'ConfigMap',
    );
    const configFile = join(tlsDir, 'config.yaml');
    writeFileSync(
      configFile,
      configMap?.data?.['config.yaml'] ?? fail('deploy/meshguard.yaml has no ConfigMap with config.yaml'),
    );
    chmodSync(configFile, 0o644);
    // The image runs as a non-root uid: so does this, when it can, and everything must be readable to it.
    const asRoot = process.getuid?.() === 0;
    const [uid, gid = uid] = (stage.user ?? '').split(':').map(Number);
    for (const p of [work, app, tlsDir]) chmodSync(p, 0o755);
    chmodSync(tls.key, 0o644);
    const before = listFiles(app).sort();

    const env = {
      PATH: process.env.PATH,
      HOME: '/nonexistent',
      ...stage.env,
      MESHGUARD_TLS_CERT: tls.cert,
      MESHGUARD_TLS_KEY: tls.key,
      MESHGUARD_CONFIG: configFile,
      MESHGUARD_HOST: '127.0.0.1',
      MESHGUARD_PORT: '0',
      MESHGUARD_METRICS_HOST: '127.0.0.1',
      MESHGUARD_METRICS_PORT: '0',
    };
    const [command, ...args] = [...stage.entrypoint, ...stage.cmd];
    log(`starting ${[command, ...args].join(' ')}${asRoot ? ` as ${uid}:${gid}` : ''}`);
    child = spawn(command, args, { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'], ...(asRoot ? { uid, gid } : {}) });
    const output = [];
    const ready = new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no "meshguard ready" within ${START_TIMEOUT_MS} ms:\n${output.join('')}`)),
        START_TIMEOUT_MS,
      );
      let buffer = '';
      child.stdout.on('data', (chunk) => {
        output.push(String(chunk));
        buffer += chunk;
        for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
          const line = buffer.slice(0, i);
          buffer = buffer.slice(i + 1);
          try {
            const entry = JSON.parse(line);
            if (entry.msg === 'meshguard ready') {
              clearTimeout(timer);
              resolve(entry);
            }
          } catch {
            // not a log line
          }
        }
      });
      child.stderr.on('data', (chunk) => output.push(String(chunk)));
      child.on('close', (code) =>
        reject(new Error(`the server exited (${code}) before it was ready:\n${output.join('')}`)),
      );
    });
    const readyLine = await ready;
    log(`ready in ${Date.now() - t0} ms from npm ci start; ${readyLine.url}, metrics ${readyLine.metrics}`);

    for (const path of ['/healthz', '/readyz']) {
      const r = await https(`${readyLine.url}${path}`, tls.ca);
      if (r.status !== 200) fail(`GET ${path}: ${r.status} ${r.text}`);
      log(`GET ${path}: 200`);
    }
    const metrics = await http(readyLine.metrics);
    if (metrics.status !== 200 || !metrics.text.includes('# HELP')) fail(`GET /metrics: ${metrics.status}`);
    log('GET /metrics: 200');

    const examples = loadExamples();
    if (examples.length === 0) fail('deploy/examples has no examples');
    for (const { file, expect, object } of examples) {
      const review = reviewOf(object);
      const r = await https(`${readyLine.url}/validate`, tls.ca, 'POST', review);
      if (r.status !== 200) fail(`POST /validate (${file}): ${r.status} ${r.text}`);
      const response = JSON.parse(r.text).response;
      if (response?.uid !== review.request.uid)
        fail(`POST /validate (${file}): response uid ${response?.uid} is not the request's`);
      const verdict = response.allowed ? 'allowed' : 'denied';
      if (verdict !== expect)
        fail(
          `deploy/examples/${file}: expected ${expect}, meshguard answered ${verdict}: ${response.status?.message ?? ''}`,
        );
      log(
        `POST /validate ${file}: ${verdict}${response.allowed ? '' : ` (${(response.status?.message ?? '').split('\n')[0].slice(0, 100)})`}`,
      );
    }

    // Memory: the chart's request must cover what the server holds after start-up and a few reviews.
    if (existsSync(`/proc/${child.pid}/status`)) {
      const rssKiB = Number(readFileSync(`/proc/${child.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)?.[1]);
      const deployment = loadAll(readFileSync(join(ROOT, 'deploy/meshguard.yaml'), 'utf8')).find(
        (o) => o?.kind === 'Deployment',
      );
      const request = deployment.spec.template.spec.containers[0].resources.requests.memory;
      const requestMiB = Number(request.replace(/Mi$/, ''));
      log(`resident memory after the reviews: ${(rssKiB / 1024).toFixed(0)} MiB (chart memory request ${request})`);
      if (!/^\d+Mi$/.test(request) || rssKiB / 1024 > requestMiB)
        fail(
          `resident memory ${(rssKiB / 1024).toFixed(0)} MiB exceeds the chart's memory request ${request}: resize resources in values.yaml`,
        );
    }

    const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    child.kill('SIGTERM');
    const timeout = new Promise((resolve) => setTimeout(() => resolve({ code: 'timeout' }), 15_000).unref());
    const stop = await Promise.race([exited, timeout]);
    if (stop.code !== 0) fail(`after SIGTERM the server ended with ${JSON.stringify(stop)}`);
    child = undefined;
    log('SIGTERM: exited 0');

    const after = listFiles(app).sort();
    const written = after.filter((f) => !before.includes(f));
    if (written.length > 0) fail(`the server wrote into its folder (read-only in the image): ${written.join(', ')}`);
    log(`passed in ${Date.now() - started} ms`);
  } finally {
    if (child) child.kill('SIGKILL');
    if (keep) log(`kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv.includes('--print-stage')) {
  // What the check would repeat, for tests: the parsed runtime stage and the examples' expectations.
  process.stdout.write(
    `${JSON.stringify({ stage: runtimeStage(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')), examples: loadExamples() })}\n`,
  );
} else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    process.stderr.write(`runtime-stage-check: FAILED: ${err.message}\n`);
    process.exit(1);
  });
}
