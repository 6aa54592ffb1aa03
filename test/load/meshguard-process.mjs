// Starts the built server (`node dist/src/cli/main.js serve`) on loopback with a fresh CA, for scripts/fuzz.mjs and
// scripts/soak.mjs; or describes one already running (MESHGUARD_URL, MESHGUARD_CA_FILE, MESHGUARD_METRICS_URL).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './seeds.mjs';

const CLI = join(ROOT, 'dist/src/cli/main.js');
const require = createRequire(import.meta.url);

// Servers this process started: killed when it exits, however it exits, so none is left behind.
const children = new Set();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** Plain-HTTP GET/POST against the metrics port; resolves { status, body }. */
export function metricsRequest(url, method = 'GET') {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method }, (res) => {
      let body = '';
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error(`no answer from ${url}`)));
    req.end();
  });
}

/** The value of one Prometheus sample (`name` or `name{labels}`), or undefined. */
export function sample(text, name) {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name} `)) return Number(line.slice(name.length + 1));
  }
  return undefined;
}

/**
 * @param {{ nodeArgs?: string[], args?: string[], label: string }} options
 * @returns {Promise<{ url: string, metricsUrl: string, ca: string, pid?: number, external: boolean,
 *   alive(): boolean, exit: Promise<{code: number|null, signal: string|null}>, stderr(): string, stop(): Promise<void> }>}
 */
export async function startMeshguard({ nodeArgs = [], args = [], label }) {
  if (process.env.MESHGUARD_URL) {
    const url = process.env.MESHGUARD_URL.replace(/\/$/, '');
    const metricsUrl = process.env.MESHGUARD_METRICS_URL;
    if (!process.env.MESHGUARD_CA_FILE || !metricsUrl)
      throw new Error('with MESHGUARD_URL, give MESHGUARD_CA_FILE and MESHGUARD_METRICS_URL too');
    return {
      url,
      metricsUrl,
      ca: readFileSync(process.env.MESHGUARD_CA_FILE, 'utf8'),
      external: true,
      alive: () => true,
      exit: new Promise(() => {}),
      stderr: () => '',
      stop: async () => {},
    };
  }
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  const { createCertificateAuthority, issueServingCertificate } = require(join(ROOT, 'dist/src/tls/certificates.js'));
  const dir = mkdtempSync(join(tmpdir(), `meshguard-${label}-`));
  const ca = await createCertificateAuthority(`meshguard ${label} CA`, 2);
  const pair = await issueServingCertificate(ca, ['localhost', '127.0.0.1'], 2);
  writeFileSync(join(dir, 'tls.crt'), pair.certPem);
  writeFileSync(join(dir, 'tls.key'), pair.keyPem);
  const child = spawn(
    process.execPath,
    [
      ...nodeArgs,
      CLI,
      'serve',
      ...['--host', '127.0.0.1', '--port', '0', '--metrics-host', '127.0.0.1', '--metrics-port', '0'],
      ...['--cert', join(dir, 'tls.crt'), '--key', join(dir, 'tls.key')],
      ...args,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_ENV: 'production' } },
  );
  children.add(child);
  let stderr = '';
  let pending = '';
  let exited = false;
  child.stderr.on('data', (c) => {
    stderr = (stderr + c).slice(-20_000);
  });
  const exit = new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      exited = true;
      children.delete(child);
      resolve({ code, signal });
    }),
  );
  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exit;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  // The "meshguard ready" line (info) gives the ports; the log lines after it are read and dropped, as a log
  // shipper would.
  const ready = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`meshguard did not start in 30 s:\n${stderr}`)), 30_000);
    const onData = (c) => {
      pending += c;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.includes('"meshguard ready"')) continue;
        clearTimeout(timer);
        child.stdout.off('data', onData);
        resolve(JSON.parse(line));
      }
    };
    child.stdout.on('data', onData);
    exit.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`meshguard exited (${code}) before it was ready:\n${stderr}`));
    });
  }).catch(async (err) => {
    await stop();
    throw err;
  });
  child.stdout.resume();
  return {
    url: ready.url,
    metricsUrl: ready.metrics,
    ca: ca.certPem,
    pid: child.pid,
    external: false,
    alive: () => !exited,
    exit,
    stderr: () => stderr,
    stop,
  };
}
