import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_BODY_LIMIT } from '../server/app';
import { ensureDevCertificate } from '../server/dev-certificate';
import { startServer } from '../server/start-server';
import { sampleReviewCurl } from './sample-review';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError('must be a port number from 0 to 65535');
  return n;
}

function bytes(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1024)
    throw new InvalidArgumentError('must be a whole number of bytes, at least 1024');
  return n;
}

export function serveCommand(): Command {
  return new Command('serve')
    .description(
      'serve AdmissionReviews over HTTPS on POST /validate (with /healthz, /readyz, and /metrics on a plain port)',
    )
    .addOption(new Option('--host <address>', 'address to listen on').env('MESHGUARD_HOST').default('0.0.0.0'))
    .addOption(new Option('--port <port>', 'HTTPS port').env('MESHGUARD_PORT').argParser(port).default(8443))
    .addOption(
      new Option(
        '--cert <file>',
        'PEM serving certificate (with --key); without both, a development certificate is generated',
      ).env('MESHGUARD_TLS_CERT'),
    )
    .addOption(new Option('--key <file>', 'PEM private key of the serving certificate').env('MESHGUARD_TLS_KEY'))
    .addOption(
      new Option('--config <file>', 'policy configuration (YAML); the embedded default when absent').env(
        'MESHGUARD_CONFIG',
      ),
    )
    .addOption(
      new Option('--dev-cert-dir <dir>', 'where the generated development CA and certificate are kept')
        .env('MESHGUARD_DEV_CERT_DIR')
        .default('.dev-certs'),
    )
    .addOption(
      new Option('--metrics-port <port>', 'plain-HTTP port for /metrics')
        .env('MESHGUARD_METRICS_PORT')
        .argParser(port)
        .default(9090),
    )
    .addOption(
      new Option('--metrics-host <address>', 'address for the metrics listener')
        .env('MESHGUARD_METRICS_HOST')
        .default('0.0.0.0'),
    )
    .addOption(new Option('--no-metrics', 'do not serve /metrics'))
    .addOption(
      new Option('--body-limit <bytes>', 'largest accepted request body')
        .env('MESHGUARD_BODY_LIMIT')
        .argParser(bytes)
        .default(DEFAULT_BODY_LIMIT),
    )
    .addOption(
      new Option('--log-level <level>', 'pino log level')
        .env('MESHGUARD_LOG_LEVEL')
        .choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace'])
        .default('info'),
    )
    .action(async (opts: ServeCliOptions) => {
      if ((opts.cert === undefined) !== (opts.key === undefined)) {
        throw new InvalidArgumentError(
          '--cert and --key go together: give both, or neither for a development certificate',
        );
      }
      let certFile = opts.cert;
      let keyFile = opts.key;
      let devCa: string | undefined;
      if (certFile === undefined || keyFile === undefined) {
        const dev = await ensureDevCertificate(opts.devCertDir);
        certFile = dev.cert;
        keyFile = dev.key;
        devCa = dev.caCert;
      }
      const server = await startServer({
        host: opts.host,
        port: opts.port,
        certFile,
        keyFile,
        metricsPort: opts.metrics === false ? undefined : opts.metricsPort,
        metricsHost: opts.metricsHost,
        bodyLimit: opts.bodyLimit,
        logLevel: opts.logLevel,
        configFile: opts.config,
      });
      if (devCa !== undefined) {
        process.stderr.write(
          `\nmeshguard is serving with a development certificate; its CA is ${devCa}\nTry a review:\n\n${sampleReviewCurl(devCa, server.url)}\n\n`,
        );
      }
      const stop = (signal: string) => {
        server.logger.info({ signal }, 'shutting down');
        server.close().then(
          () => process.exit(0),
          (err: unknown) => {
            server.logger.error({ err }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
}

interface ServeCliOptions {
  host: string;
  port: number;
  cert?: string;
  key?: string;
  config?: string;
  devCertDir: string;
  metricsPort: number;
  metricsHost: string;
  metrics: boolean;
  bodyLimit: number;
  logLevel: string;
}
