import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_BODY_LIMIT, DEFAULT_SHUTDOWN } from '../server/defaults';

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

function milliseconds(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new InvalidArgumentError('must be a whole number of milliseconds, 0 or more');
  return n;
}

/**
 * 3000 ms: 60% of the chart's 5-second timeoutSeconds. The rest is for what the deadline cannot see: the TLS
 * handshake and the request on the wire, the event loop busy with other reviews before this one is parsed (the
 * clock starts when Fastify sees the request), serializing the answer, and the API server's own overhead. The chart
 * derives it from webhook.timeoutSeconds the same way.
 */
export const DEFAULT_EVALUATION_DEADLINE_MS = 3000;

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
      new Option(
        '--client-ca <file>',
        'PEM CA bundle: POST /validate then requires a client certificate signed by it (the API server presents one when its AdmissionConfiguration gives it a kubeconfig for the webhook)',
      ).env('MESHGUARD_CLIENT_CA'),
    )
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
      new Option(
        '--evaluation-deadline-ms <ms>',
        "time budget of one review from its arrival; keep it below the webhook's timeoutSeconds so meshguard, not the API server, decides what a timeout means (0: none)",
      )
        .env('MESHGUARD_EVALUATION_DEADLINE_MS')
        .argParser(milliseconds)
        .default(DEFAULT_EVALUATION_DEADLINE_MS),
    )
    .addOption(
      new Option('--on-deadline <answer>', 'the answer when the deadline passes before every policy ran')
        .env('MESHGUARD_ON_DEADLINE')
        .choices(['deny', 'allow'])
        .default('deny'),
    )
    .addOption(
      new Option(
        '--shutdown-delay-ms <ms>',
        "after SIGTERM, keep serving (not ready, closing each connection after its answer) this long before the listener closes; the chart's preStop pause does this job in Kubernetes",
      )
        .env('MESHGUARD_SHUTDOWN_DELAY_MS')
        .argParser(milliseconds)
        .default(DEFAULT_SHUTDOWN.delayMs),
    )
    .addOption(
      new Option(
        '--shutdown-timeout-ms <ms>',
        'after the listener closes, how long in-flight reviews and open connections get before they are cut (keep it inside terminationGracePeriodSeconds)',
      )
        .env('MESHGUARD_SHUTDOWN_TIMEOUT_MS')
        .argParser(milliseconds)
        .default(DEFAULT_SHUTDOWN.timeoutMs),
    )
    .addOption(
      new Option(
        '--fail-closed-after-probe <webhookconfiguration>',
        'once ready, prove through a dry-run request that the API server reaches meshguard, then set failurePolicy Fail in this ValidatingWebhookConfiguration (installed with Ignore)',
      ).env('MESHGUARD_FAIL_CLOSED_AFTER_PROBE'),
    )
    .addOption(
      new Option('--webhook-name <name>', 'the webhook to switch inside that configuration')
        .env('MESHGUARD_WEBHOOK_NAME')
        .default('validate.meshguard.io'),
    )
    .addOption(
      new Option('--probe-namespace <namespace>', 'a namespace the webhook reviews, for the dry-run probe')
        .env('MESHGUARD_PROBE_NAMESPACE')
        .default('default'),
    )
    .addOption(
      new Option(
        '--kubeconfig <file>',
        "how to reach the API server for --fail-closed-after-probe; default: the pod's service account",
      ).env('MESHGUARD_KUBECONFIG'),
    )
    .addOption(new Option('--debug-endpoints', 'POST /debug/gc on the metrics port (testing only)').hideHelp())
    .addOption(
      new Option('--log-level <level>', 'pino log level')
        .env('MESHGUARD_LOG_LEVEL')
        .choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace'])
        .default('info'),
    )
    .action((opts: ServeCliOptions) => {
      // The server's modules are required only when it starts: `check`, `policies` and `explain` never need them.
      const { serve } = require('./serve') as typeof import('./serve');
      return serve(opts);
    });
}

export interface ServeCliOptions {
  host: string;
  port: number;
  cert?: string;
  key?: string;
  clientCa?: string;
  config?: string;
  evaluationDeadlineMs: number;
  onDeadline: 'deny' | 'allow';
  shutdownDelayMs: number;
  shutdownTimeoutMs: number;
  failClosedAfterProbe?: string;
  webhookName: string;
  probeNamespace: string;
  kubeconfig?: string;
  debugEndpoints?: boolean;
  devCertDir: string;
  metricsPort: number;
  metricsHost: string;
  metrics: boolean;
  bodyLimit: number;
  logLevel: string;
}
