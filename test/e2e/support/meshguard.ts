import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type CertificateAuthority,
  createCertificateAuthority,
  issueServingCertificate,
} from '../../../src/tls/certificates';
import { REPO_ROOT } from '../../support/helm';
import { freePort, get, ManagedProcess, waitFor } from './processes';

/** The built entry point, the one the Dockerfile runs. */
export const MESHGUARD_MAIN = join(REPO_ROOT, 'dist/src/cli/main.js');
export const MESHGUARD_START_TIMEOUT_MS = 30_000;

/**
 * meshguard as the cluster runs it (`node dist/src/cli/main.js serve`), on 127.0.0.1 with a serving certificate of
 * its own CA. The ports, certificate and CA stay the same across restarts, so the webhook configuration registered
 * once keeps pointing at it; each start may bring another policy configuration.
 */
export class Meshguard {
  readonly port: number;
  readonly metricsPort: number;
  readonly caPem: string;
  private process: ManagedProcess | undefined;
  private starts = 0;

  private constructor(
    private readonly dir: string,
    ports: { port: number; metricsPort: number },
    ca: CertificateAuthority,
    private readonly certFile: string,
    private readonly keyFile: string,
  ) {
    this.port = ports.port;
    this.metricsPort = ports.metricsPort;
    this.caPem = ca.certPem;
  }

  static async create(dir: string): Promise<Meshguard> {
    if (!existsSync(MESHGUARD_MAIN)) throw new Error(`${MESHGUARD_MAIN} is missing: run \`npm run build\` first`);
    mkdirSync(dir, { recursive: true });
    const ca = await createCertificateAuthority('meshguard e2e webhook CA', 1);
    const serving = await issueServingCertificate(ca, ['127.0.0.1', 'localhost'], 1);
    const certFile = join(dir, 'tls.crt');
    const keyFile = join(dir, 'tls.key');
    writeFileSync(certFile, serving.certPem);
    writeFileSync(keyFile, serving.keyPem, { mode: 0o600 });
    return new Meshguard(dir, { port: await freePort(), metricsPort: await freePort() }, ca, certFile, keyFile);
  }

  /** The URL the webhook configuration calls. */
  get webhookUrl(): string {
    return `https://127.0.0.1:${this.port}/validate`;
  }

  get running(): boolean {
    return this.process?.alive === true;
  }

  get logFile(): string | undefined {
    return this.process?.logFile;
  }

  /** Starts meshguard with `configYaml` (a MeshguardConfig document; the embedded default when absent). */
  async start(configYaml?: string): Promise<void> {
    if (this.running) throw new Error('meshguard is already running');
    this.starts += 1;
    const args = [
      MESHGUARD_MAIN,
      'serve',
      '--host=127.0.0.1',
      `--port=${this.port}`,
      `--cert=${this.certFile}`,
      `--key=${this.keyFile}`,
      '--metrics-host=127.0.0.1',
      `--metrics-port=${this.metricsPort}`,
      '--log-level=info',
    ];
    if (configYaml !== undefined) {
      const configFile = join(this.dir, `config-${this.starts}.yaml`);
      writeFileSync(configFile, configYaml);
      args.push(`--config=${configFile}`);
    }
    const env = { ...process.env };
    for (const key of Object.keys(env)) if (key.startsWith('MESHGUARD_')) delete env[key];
    const proc = new ManagedProcess(
      'meshguard',
      process.execPath,
      args,
      join(this.dir, `meshguard-${this.starts}.log`),
      {
        cwd: REPO_ROOT,
        env,
      },
    );
    this.process = proc;
    try {
      await waitFor(
        'meshguard /readyz',
        async () => {
          const r = await get(`https://127.0.0.1:${this.port}/readyz`, { ca: this.caPem });
          return r.status === 200 ? true : undefined;
        },
        { timeoutMs: MESHGUARD_START_TIMEOUT_MS, process: proc },
      );
    } catch (err) {
      await proc.stop();
      throw err;
    }
  }

  async stop(): Promise<void> {
    await this.process?.stop();
  }

  async restart(configYaml?: string): Promise<void> {
    await this.stop();
    await this.start(configYaml);
  }

  /** Reviews answered since this process started (meshguard_admission_requests_total, all labels). */
  async reviewsAnswered(): Promise<number> {
    const r = await get(`http://127.0.0.1:${this.metricsPort}/metrics`);
    if (r.status !== 200) throw new Error(`GET /metrics: ${r.status}`);
    let total = 0;
    for (const line of r.body.split('\n')) {
      const m = line.match(/^meshguard_admission_requests_total(?:\{[^}]*\})?\s+(\S+)/);
      if (m) total += Number(m[1]);
    }
    return total;
  }
}
