import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { type RunningServer, type ServeOptions, startServer } from '../../src/server/start-server';
import type { CertificateAuthority } from '../../src/tls/certificates';
import { newCa, servingPair } from '../server/helpers/certs';

export interface Served {
  server: RunningServer;
  /** https://127.0.0.1:<port> */
  url: string;
  ca: string;
  serverCa: CertificateAuthority;
  dir: string;
  logs: Array<Record<string, unknown>>;
  stop(): Promise<void>;
}

/**
 * The real server on 127.0.0.1 with a fresh CA, every log line captured and parsed in `logs` (at `captureLevel`,
 * info unless a test wants the debug lines too), any ServeOptions on top.
 */
export async function serve(
  options: Partial<ServeOptions> & { clientCaPem?: string; configYaml?: string; captureLevel?: string } = {},
): Promise<Served> {
  const dir = mkdtempSync(join(tmpdir(), 'meshguard-server-'));
  const serverCa = await newCa();
  const pair = await servingPair(serverCa);
  writeFileSync(join(dir, 'tls.crt'), pair.certPem);
  writeFileSync(join(dir, 'tls.key'), pair.keyPem);
  const { clientCaPem, configYaml, captureLevel = 'info', ...rest } = options;
  if (clientCaPem !== undefined) writeFileSync(join(dir, 'client-ca.crt'), clientCaPem);
  if (configYaml !== undefined) writeFileSync(join(dir, 'config.yaml'), configYaml);
  const logs: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line.trim() !== '') logs.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  const server = await startServer({
    host: '127.0.0.1',
    port: 0,
    certFile: join(dir, 'tls.crt'),
    keyFile: join(dir, 'tls.key'),
    clientCaFile: clientCaPem === undefined ? undefined : join(dir, 'client-ca.crt'),
    configFile: configYaml === undefined ? undefined : join(dir, 'config.yaml'),
    metricsPort: 0,
    metricsHost: '127.0.0.1',
    bodyLimit: 1024 * 1024,
    logLevel: 'info',
    logger: pino({ level: captureLevel }, sink),
    ...rest,
  });
  return {
    server,
    url: server.url.replace('localhost', '127.0.0.1'),
    ca: serverCa.certPem,
    serverCa,
    dir,
    logs,
    async stop() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Value of a counter or gauge sample with exactly these labels (0 when absent). */
export async function metricValue(served: Served, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = served.server.metrics.registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  const found = values.find(
    (v) =>
      Object.keys(labels).length === Object.keys(v.labels).length &&
      Object.entries(labels).every(([k, val]) => String(v.labels[k]) === val),
  );
  return found?.value ?? 0;
}
