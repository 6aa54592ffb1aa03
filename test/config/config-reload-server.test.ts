import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { type RunningServer, startServer } from '../../src/server/start-server';
import { createCertificateAuthority, issueServingCertificate } from '../../src/tls/certificates';
import { eventually } from '../cluster/support/fake-source';
import { peerAuth } from '../support/engine';
import { httpGetText, httpsRequest, postJson } from '../support/https-client';
import { reviewFor } from '../support/review';
import { MountedConfigMap } from './support/mounted-config';

describe('meshguard serve picks up configuration changes without a restart', () => {
  let server: RunningServer;
  let mount: MountedConfigMap;
  let ca: string;
  let certDir: string;
  const logs: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    certDir = mkdtempSync(join(tmpdir(), 'meshguard-reload-'));
    const authority = await createCertificateAuthority('meshguard reload test CA', 1);
    const serving = await issueServingCertificate(authority, ['localhost', '127.0.0.1'], 1);
    writeFileSync(join(certDir, 'tls.crt'), serving.certPem);
    writeFileSync(join(certDir, 'tls.key'), serving.keyPem);
    ca = authority.certPem;
    mount = new MountedConfigMap('policies:\n  mtls-mode: {action: deny}\n');
    server = await startServer({
      host: '127.0.0.1',
      port: 0,
      certFile: join(certDir, 'tls.crt'),
      keyFile: join(certDir, 'tls.key'),
      metricsPort: 0,
      metricsHost: '127.0.0.1',
      bodyLimit: 1024 * 1024,
      logLevel: 'info',
      configFile: mount.file,
      logger: pino({ level: 'info' }, { write: (l: string) => logs.push(JSON.parse(l)) }),
    });
  });
  afterAll(async () => {
    await server?.close();
    mount?.remove();
    rmSync(certDir, { recursive: true, force: true });
  });

  const url = () => server.url.replace('localhost', '127.0.0.1');
  const decide = async () => {
    const r = await postJson(`${url()}/validate`, ca, reviewFor(peerAuth('PERMISSIVE')));
    const response = (r.json() as { response: { allowed: boolean; warnings?: string[] } }).response;
    return response.allowed ? (response.warnings?.length ? 'warned' : 'allowed') : 'denied';
  };
  const status = async () =>
    (await httpsRequest(`${url()}/status`, { ca })).json() as {
      config: { generation: number; lastError: null | { errors: string[] } };
      cluster: { enabled: boolean };
    };

  it('applies a valid change, keeps it through a broken one, and reports both', async () => {
    expect(await decide()).toBe('denied');
    expect(await status()).toMatchObject({ config: { source: 'file', generation: 1, lastError: null } });

    mount.update('policies:\n  mtls-mode: {action: warn}\n');
    await eventually(() => logs.some((l) => l.msg === 'configuration reloaded'), 5000);
    expect(await decide()).toBe('warned');
    expect((await status()).config.generation).toBe(2);

    mount.update('policies:\n  mtls-mode: {action: warn}\n  no-such-policy: {action: deny}\n');
    await eventually(() => logs.some((l) => String(l.msg).startsWith('configuration change rejected')), 5000);
    expect(await decide()).toBe('warned');
    const s = await status();
    expect(s.config.generation).toBe(2);
    expect(s.config.lastError?.errors[0]).toMatch(
      /config.yaml:3:3: policies.no-such-policy: unknown policy "no-such-policy"/,
    );
    expect(s.cluster).toMatchObject({ enabled: false });

    const metrics = await httpGetText(server.metricsUrl as string);
    expect(metrics).toContain('meshguard_config_reloads_total{result="applied"} 1');
    expect(metrics).toContain('meshguard_config_reloads_total{result="rejected"} 1');
    expect(metrics).toContain('meshguard_config_generation 2');
  });
});
