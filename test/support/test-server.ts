import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { type RunningServer, startServer } from '../../src/server/start-server';
import { createCertificateAuthority, issueServingCertificate } from '../../src/tls/certificates';

export interface TestServer {
  server: RunningServer;
  url: string;
  ca: string;
  /** Every log line the server wrote, parsed. */
  logs: Array<Record<string, unknown>>;
  stop(): Promise<void>;
}

/** The real server on 127.0.0.1 with a fresh CA and serving certificate, logs captured in memory. */
export async function startTestServer(options: { bodyLimit?: number; configYaml?: string } = {}): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'meshguard-test-'));
  const ca = await createCertificateAuthority('meshguard test CA', 1);
  const serving = await issueServingCertificate(ca, ['localhost', '127.0.0.1'], 1);
  writeFileSync(join(dir, 'tls.crt'), serving.certPem);
  writeFileSync(join(dir, 'tls.key'), serving.keyPem);
  if (options.configYaml !== undefined) writeFileSync(join(dir, 'config.yaml'), options.configYaml);
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
    metricsPort: 0,
    metricsHost: '127.0.0.1',
    bodyLimit: options.bodyLimit ?? 6 * 1024 * 1024,
    logLevel: 'info',
    configFile: options.configYaml === undefined ? undefined : join(dir, 'config.yaml'),
    logger: pino({ level: 'info' }, sink),
  });
  return {
    server,
    url: server.url.replace('localhost', '127.0.0.1'),
    ca: ca.certPem,
    logs,
    async stop() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
